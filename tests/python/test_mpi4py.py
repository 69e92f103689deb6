"""@file test_mpi4py.py
@brief mpi4py: `mpiexec -n 2 python3 mpi_histogram.py` counts the parts of a range on 2 ranks and
       reduces them on rank 0: exactly the single call's histogram. Traffic stays on loopback.
"""
import json
import os
import signal
import subprocess
import sys

import numfactors

HERE = os.path.dirname(os.path.abspath(__file__))
LO, HI = 10**12, 10**12 + 4 * 10**7


def test_reduce_on_two_ranks():
    env = dict(os.environ, OMPI_MCA_btl_tcp_if_include="lo", OMPI_MCA_oob_tcp_if_include="lo",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    # Its own process group, so that a hung launch can be stopped whole.
    proc = subprocess.Popen(["mpiexec", "-n", "2", sys.executable,
                             os.path.join(HERE, "mpi_histogram.py"), str(LO), str(HI), "8"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # timed out: mpiexec stops its ranks on SIGTERM; else the group
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["ranks"] == 2 and report["parts_per_rank"] == [4, 4]
    histogram = {int(k): v for k, v in report["histogram"].items()}
    assert histogram == numfactors.histogram(LO, HI, method="sieve")
