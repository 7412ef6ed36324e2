"""Child processes that die with the process that started them, whatever ends it (even SIGKILL).

A crashed or killed test run, or a console ended by SIGKILL, must not leave a redis-server or a
postgres running. ``atexit`` and ``with`` blocks do not run on SIGKILL; the kernel's
parent-death signal (Linux ``prctl(PR_SET_PDEATHSIG)``) does. Two facts shape this module:

* The signal is sent when the child's parent *thread* ends, not its process (checked here: a
  child started from a ``ThreadPoolExecutor`` worker was killed as the worker's thread ended,
  and the sandbox starts its servers side by side in such workers). So every child is forked
  by one daemon thread that lives as long as the process (``spawn``).
* A change of user clears the signal; ``subprocess`` runs ``preexec_fn`` after it has switched
  to ``user=``/``group=`` (PostgreSQL as root runs as ``postgres``), so the signal set there
  stays (checked).

Each child also gets a process group of its own (unless asked not to), so a terminal's Ctrl-C
reaches only its owner, which then stops its servers in order. A server's own children are the
server's business: ``postgres`` on SIGQUIT stops its backends and frees its shared memory.

What this cannot do: remove the temp dir of a server whose owner was SIGKILLed (the dir is
left, the process is not). Other platforms than Linux get the process group only.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["spawn"]

_PR_SET_PDEATHSIG = 1
T = TypeVar("T")


def _load_prctl() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = getattr(libc, "prctl", None)
    if prctl is not None:
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _load_prctl()  # resolved before any fork: the child only calls it


def _death_signal_setter(signum: int, then: Callable[[], None] | None) -> Callable[[], None]:
    def in_child() -> None:
        if _PRCTL is not None and _PRCTL(_PR_SET_PDEATHSIG, signum, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if then is not None:
            then()

    return in_child


class _Spawner:
    """Runs callables in one daemon thread, started on first use (and again in a forked child)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def run(self, job: Callable[[], T]) -> T:
        self._ensure_thread()
        done: Future[T] = Future()
        self._jobs.put((job, done))
        return done.result()

    def forget_thread(self) -> None:
        """In a forked child: the thread (and a lock it may have held) stayed in the parent."""
        self._lock = threading.Lock()
        self._thread = None

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._jobs = queue.SimpleQueue()
                self._thread = threading.Thread(target=self._serve, name="lifeline", daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        jobs = self._jobs
        while True:
            job, done = jobs.get()
            try:
                done.set_result(job())
            except BaseException as exc:  # handed to the caller waiting in run()
                done.set_exception(exc)


_SPAWNER = _Spawner()
os.register_at_fork(after_in_child=_SPAWNER.forget_thread)


def spawn(
    args: Sequence[str],
    *,
    death_signal: int = signal.SIGTERM,
    own_process_group: bool = True,
    preexec_fn: Callable[[], None] | None = None,
    **popen_kwargs: Any,
) -> subprocess.Popen[Any]:
    """``subprocess.Popen(args, **popen_kwargs)`` whose process gets ``death_signal`` when this
    process ends, however it ends. ``preexec_fn`` still runs in the child, after the signal is
    set; a child that calls ``setsid()`` there must pass ``own_process_group=False``."""
    setter = _death_signal_setter(death_signal, preexec_fn)
    group: dict[str, Any] = {"process_group": 0} if own_process_group else {}
    return _SPAWNER.run(lambda: subprocess.Popen(args, preexec_fn=setter, **group, **popen_kwargs))
