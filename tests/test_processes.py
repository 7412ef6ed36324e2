"""tests/processes.py reads /proc as it must be read: what was listed a moment ago may be gone."""

from __future__ import annotations

import subprocess
import sys

from tests.processes import Proc, alive, children, descendants

# A process whose threads keep starting and ending, each thread's life a few microseconds.
CHURN = """
import threading
print("ready", flush=True)
while True:
    thread = threading.Thread(target=int)
    thread.start()
    thread.join()
"""


def test_a_process_that_has_gone_has_no_children_and_is_not_alive():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert children(gone.pid) == [] and descendants(gone.pid) == []
    assert not alive(Proc(gone.pid, sys.executable))


def test_threads_ending_while_their_children_are_listed():
    churn = subprocess.Popen([sys.executable, "-c", CHURN], stdout=subprocess.PIPE)
    try:
        assert churn.stdout is not None and churn.stdout.readline() == b"ready\n"
        for _ in range(2000):  # each listing races the thread churn; none may raise
            assert children(churn.pid) == []
    finally:
        churn.kill()
        churn.wait()
