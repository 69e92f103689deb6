"""@file test_interrupt.py
@brief Ctrl-C stops a long call promptly with KeyboardInterrupt: SIGINT to a script running one
       (threads and pool mode), and an interrupt of a Jupyter kernel in the middle of one.
"""
import os
import signal
import subprocess
import sys
import time

import jupyter_client
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
# From SIGINT to the process's exit: the polling interval (50 ms), the running chunks (tens of
# ms), the pool's processes stopping, and Python's exit. A second leaves room for a busy machine.
PROMPT_SECONDS = 1.5


@pytest.mark.parametrize("mode,width", [("threads", "wide"), ("pool", "wide"),
                                        ("threads", "narrow"), ("pool", "narrow")])
def test_sigint_stops_a_long_call(mode, width):
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "interrupt_script.py"), mode, width],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("counting")
        time.sleep(0.5)  # well inside the call, which lasts minutes
        assert proc.poll() is None
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
    out, err = proc.stdout.read(), proc.stderr.read()
    assert "finished" not in out
    # An uncaught KeyboardInterrupt: the traceback, and Python's exit by SIGINT.
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert proc.returncode == -signal.SIGINT
    assert elapsed < PROMPT_SECONDS, elapsed


def test_interrupting_a_notebook_kernel():
    km = jupyter_client.KernelManager(kernel_name="python3")
    # The kernel is this Python (ipykernel's own spec), on loopback, with our environment.
    km.kernel_spec.argv[0] = sys.executable
    km.start_kernel(env=dict(os.environ), extra_arguments=[])
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        code = ("import numfactors\n"
                "numfactors.histogram(10**15, 10**15 + 10**11, method='sieve', chunk=2**23)")
        msg_id = kc.execute(code)
        # Wait until the cell runs (its status busy), then a little more to be inside the call.
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if (msg["parent_header"].get("msg_id") == msg_id
                    and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "busy"):
                break
        time.sleep(1.0)
        sent = time.monotonic()
        km.interrupt_kernel()
        # wait_for_ready may have left a second kernel_info reply ahead of the cell's.
        reply = kc.get_shell_msg(timeout=30)
        while reply["parent_header"].get("msg_id") != msg_id:
            assert reply["msg_type"] == "kernel_info_reply", reply["msg_type"]
            reply = kc.get_shell_msg(timeout=30)
        elapsed = time.monotonic() - sent
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert elapsed < PROMPT_SECONDS, elapsed
        # The kernel goes on: the next cell runs.
        kc.execute_interactive("assert numfactors.histogram(2, 10) == {1: 7, 2: 2}", timeout=30)
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
