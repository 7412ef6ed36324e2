"""Processes seen in /proc, read the way /proc must be read: anything listed a moment ago may
be gone by the next read (a thread that ended, a process that exited), and a pid may be reused.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

_GONE = (FileNotFoundError, ProcessLookupError)


@dataclass(frozen=True)
class Proc:
    pid: int
    cmdline: str

    @property
    def program(self) -> str:
        return self.cmdline.split(" ", 1)[0]


def _read_cmdline(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except _GONE:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def _child_pids(pid: int) -> list[int]:
    """Children started by any of `pid`'s threads (a thread may end between list and read)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except _GONE:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except _GONE:
            continue
    return found


def children(pid: int) -> list[Proc]:
    """The running processes `pid` started, with their command lines."""
    procs = [(child, _read_cmdline(child)) for child in _child_pids(pid)]
    return [Proc(child, cmdline) for child, cmdline in procs if cmdline]


def descendants(pid: int) -> list[Proc]:
    """`pid`'s children, theirs, and so on (postgres' backends under postgres)."""
    found: list[Proc] = []
    for child in children(pid):
        found += [child, *descendants(child.pid)]
    return found


def alive(proc: Proc) -> bool:
    """Still running (not a zombie) and still the same program (pids are reused)."""
    try:
        stat = Path(f"/proc/{proc.pid}/stat").read_text()
    except _GONE:
        return False
    now = _read_cmdline(proc.pid)
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and now is not None and now.split(" ", 1)[0] == proc.program


def survivors(procs: list[Proc], wait_seconds: float) -> list[Proc]:
    """Those of `procs` still alive once all are gone or `wait_seconds` have passed (a bound
    for a broken case, never a measure: the usual answer comes in well under a second)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        left = [proc for proc in procs if alive(proc)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def kill_survivors(procs: list[Proc]) -> None:
    """After a failed test: leave nothing running."""
    for proc in procs:
        if alive(proc):
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
