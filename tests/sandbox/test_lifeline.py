"""Servers die with their owner, however it dies: a real owner process starts Redis and
PostgreSQL (side by side in worker threads, as the sandbox does), is killed with SIGKILL — no
atexit, no finally — and no server process, postgres' own children included, survives it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sandbox.lifeline import spawn
from tests.processes import Proc, descendants, kill_survivors, survivors

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60
GONE_SECONDS = 30  # a bound for the broken case, not a measure (gone in well under 1 s)

OWNER = """
import json, sys, threading
from concurrent.futures import ThreadPoolExecutor
from sandbox.servers import PostgresServer, RedisServer
servers = [RedisServer(), PostgresServer()]
with ThreadPoolExecutor(2) as pool:  # the starting threads end before the owner is killed
    list(pool.map(lambda server: server.start(), servers))
print(json.dumps([server.url for server in servers]), flush=True)
threading.Event().wait()
"""


def server_dirs(procs: list[Proc]) -> list[Path]:
    """The servers' temp dirs (`redis-server --dir D`, `postgres -D D/data`): left behind."""
    dirs = []
    for proc in procs:
        words = proc.cmdline.split()
        if "--dir" in words:
            dirs.append(Path(words[words.index("--dir") + 1]))
        if "-D" in words:
            dirs.append(Path(words[words.index("-D") + 1]).parent)
    return dirs


def test_sigkill_of_the_owner_stops_its_servers(tmp_path):
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER],
        stdout=subprocess.PIPE,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        cwd=ROOT,
    )
    assert owner.stdout is not None
    servers: list[Proc] = []
    try:
        urls = json.loads(owner.stdout.readline() or "null")
        assert urls is not None, "the owner did not start its servers"
        servers = descendants(owner.pid)
        programs = {Path(proc.program).name for proc in servers}
        assert {"redis-server", "postgres"} <= programs, servers
        assert len([p for p in servers if "postgres" in p.program]) > 1  # its backends too
        owner.send_signal(signal.SIGKILL)
        owner.wait(START_SECONDS)
        left = survivors(servers, GONE_SECONDS)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        kill_survivors(servers)
        for directory in server_dirs(servers):
            shutil.rmtree(directory, ignore_errors=True)
    assert left == []


def pending_signals(pid: int) -> int:
    """The signals sent to `pid` and not yet delivered (thread and process queues)."""
    status = dict(
        line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(status["SigPnd"], 16) | int(status["ShdPnd"], 16)


def thread_gone(native_id: int | None, wait_seconds: float) -> bool:
    task = Path(f"/proc/self/task/{native_id}")
    deadline = time.monotonic() + wait_seconds
    while task.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not task.exists()


def test_a_child_spawned_from_a_thread_outlives_that_thread():
    """The parent-death signal follows the parent *thread*: spawn must not tie a child to the
    short-lived thread that asked for it. Once that thread is gone from /proc (the kernel has
    sent any death signal by then), the child is running with no signal pending."""
    started: list[subprocess.Popen[bytes]] = []
    asker = threading.Thread(target=lambda: started.append(spawn(["sleep", "30"])))
    asker.start()
    asker.join()
    (child,) = started
    try:
        assert thread_gone(asker.native_id, GONE_SECONDS)
        assert child.poll() is None
        assert pending_signals(child.pid) & (1 << (signal.SIGTERM - 1)) == 0
    finally:
        child.kill()
        child.wait()
