"""@file test_notebook.py
@brief examples/num_factors.ipynb runs from top to bottom in a Jupyter kernel (nbclient); a cell
       that fails fails the test. Processes it leaves behind (an ipyparallel cluster of a cell
       that failed) are stopped.
"""
import os
import shutil
import signal
import sys
import time

import nbclient
import nbformat

from reference import SOURCE

NOTEBOOK = os.path.join(SOURCE, "examples", "num_factors.ipynb")


def processes_mentioning(text):
    """The ids of this machine's processes whose command line or environment holds `text`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        if int(pid) != os.getpid() and (text.encode() in cmdline or text.encode() in environ):
            found.append(int(pid))
    return found


def test_notebook_runs(tmp_path, monkeypatch):
    # The kernel and the cluster it starts keep their files (and so their command lines and
    # environment) under tmp_path: that is how leftovers are told from anything else.
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    work = tmp_path / "examples"
    work.mkdir()
    shutil.copy(NOTEBOOK, work)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(work)}})
    start = time.monotonic()
    try:
        client.execute()
    finally:
        for pid in processes_mentioning(str(tmp_path)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    seconds = time.monotonic() - start
    # Every code cell ran, none raised, and the plots came out as pictures.
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
    text = "".join(o.get("text", "") for o in outputs)
    assert "{1: 41724, 2: 150785, 3: 191810, 4: 97676, 5: 17312, 6: 692}" in text
    print(f"notebook ran in {seconds:.1f} s", file=sys.stderr)
    assert seconds < 90
