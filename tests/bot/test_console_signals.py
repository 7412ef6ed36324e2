"""SIGTERM, SIGHUP and SIGINT (Ctrl-C, but at a terminal's prompt, where it drops the line)
end `rtb-bot shell --sandbox` as end of input does: the shell exits at once with 128 + the
signal's number, and the Redis and PostgreSQL servers it started are stopped and their temp
dirs removed. Real processes: the shell as a subprocess, its
children found in /proc."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import signal
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from sandbox.lifeline import spawn
from tests.processes import Proc, descendants, kill_survivors, survivors

SHELL = [sys.executable, "-m", "bot.cli", "shell", "--sandbox", "--lang", "en"]
# Bounds for a broken case, not measures (nothing here asserts a duration): a fresh sandbox
# answers its first line after ~4-5 s on a 2-core machine; a signal ends the shell in ~1-2 s.
READY_SECONDS = 120
EXIT_BOUND_SECONDS = 60
GONE_SECONDS = 30


class Output:
    """Everything a file descriptor yields, read in a thread (so a wait has a timeout)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # a pty whose other end closed
                chunk = b""
            with self._changed:
                self.data += chunk
                self._changed.notify_all()
            if not chunk:
                return

    def wait_for(self, marker: bytes, timeout: float) -> None:
        with self._changed:
            found = self._changed.wait_for(lambda: marker in self.data, timeout)
        assert found, f"no {marker!r} within {timeout} s; output so far:\n{self.text}"

    def wait_for_count(self, marker: bytes, count: int, timeout: float) -> None:
        with self._changed:
            found = self._changed.wait_for(lambda: self.data.count(marker) >= count, timeout)
        assert found, f"no {count} x {marker!r} within {timeout} s; output so far:\n{self.text}"

    def finish(self, timeout: float = 10) -> str:
        self._thread.join(timeout)
        return self.text

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


def sandbox_servers(shell: subprocess.Popen[bytes]) -> list[Proc]:
    """The shell's Redis and PostgreSQL (with postgres' own children)."""
    servers = [proc for proc in descendants(shell.pid) if is_server(proc)]
    kinds = {"redis" if "redis-server" in proc.cmdline else "postgres" for proc in servers}
    assert kinds == {"redis", "postgres"}, servers
    return servers


def is_server(proc: Proc) -> bool:
    return "redis-server" in proc.cmdline or "postgres" in proc.cmdline


def postgres_dir(servers: list[Proc]) -> Path:
    """`postgres -D <dir>/data`: as root the data dir is under /tmp, not $TMPDIR."""
    (words,) = (proc.cmdline.split() for proc in servers if "-D" in proc.cmdline.split())
    return Path(words[words.index("-D") + 1]).parent


def stop_leftovers(shell: subprocess.Popen[bytes]) -> None:
    """Whatever happened (an assertion failed before the servers were looked up, the shell
    hangs): leave no process behind. Its servers are found now, before the shell goes."""
    servers = [proc for proc in descendants(shell.pid) if is_server(proc)]
    if shell.poll() is None:
        shell.kill()
        shell.wait(10)
    kill_survivors(survivors(servers, GONE_SECONDS))


def shell_environ(tmp_path: Path) -> dict[str, str]:
    """TMPDIR of its own: the sandbox's temp dirs (Redis', its own) land there."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    return {**os.environ, "TMPDIR": str(temp)}


def default_stop_signals() -> None:
    """In the child: SIGINT/SIGTERM/SIGHUP as a terminal would give them, whatever this test
    run inherited (`sh -c 'pytest &'` starts with SIGINT ignored, `nohup` with SIGHUP ignored,
    and the shell keeps an ignored signal ignored, as it should)."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def assert_all_stopped(servers: list[Proc], tmp_path: Path) -> None:
    assert survivors(servers, GONE_SECONDS) == []
    assert not postgres_dir(servers).exists()
    (log,) = (tmp_path / "tmp").iterdir()  # the console's own log, and nothing else
    assert log.name.startswith("rtb-console-") and log.name.endswith(".log")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_ends_the_shell_and_stops_the_sandbox(tmp_path, signum):
    shell = spawn(
        SHELL,
        stdin=subprocess.PIPE,  # kept open: the shell waits for the next line
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=shell_environ(tmp_path),
        preexec_fn=default_stop_signals,
    )
    assert shell.stdin is not None and shell.stdout is not None and shell.stderr is not None
    out, err = Output(shell.stdout.fileno()), Output(shell.stderr.fileno())
    try:
        shell.stdin.write(b"/rtb ping\n")
        shell.stdin.flush()
        out.wait_for(b"pong", READY_SECONDS)
        servers = sandbox_servers(shell)
        shell.send_signal(signum)
        status = shell.wait(EXIT_BOUND_SECONDS)
    finally:
        stop_leftovers(shell)
        shell.stdin.close()
    output = out.finish() + err.finish()
    assert status == 128 + signum, output[-3000:]
    assert f"{signum.name}: stopping the console" in output
    assert "Traceback" not in output
    assert_all_stopped(servers, tmp_path)


def test_at_the_interactive_prompt_ctrl_c_drops_the_line_and_sigint_ends_the_shell(tmp_path):
    """A terminal of its own (a pty as the controlling terminal). The prompt is prompt_toolkit's:
    in raw mode, Ctrl-C there is a key that drops the line being typed (the shell goes on); a
    SIGINT still ends the shell with 130 and stops its servers."""
    controller, terminal = pty.openpty()

    def on_its_own_terminal() -> None:
        default_stop_signals()
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    environ = shell_environ(tmp_path)
    environ["XDG_STATE_HOME"] = str(tmp_path / "state")  # the history, not in the user's home
    environ["PROMPT_TOOLKIT_NO_CPR"] = "1"  # this pty answers no cursor position request
    shell = spawn(
        SHELL,
        own_process_group=False,  # it makes a session of its own
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=environ,
        preexec_fn=on_its_own_terminal,
    )
    os.close(terminal)
    screen = Output(controller)
    try:
        screen.wait_for(b"operator1>", READY_SECONDS)  # the prompt, in raw mode from now on
        servers = sandbox_servers(shell)
        os.write(controller, b"/as lead1\x03/whoami\r")  # Ctrl-C drops `/as lead1`
        screen.wait_for(b"acting as operator1 (UOPERATOR1)", 30)
        shell.send_signal(signal.SIGINT)
        status = shell.wait(EXIT_BOUND_SECONDS)
    finally:
        stop_leftovers(shell)
    text = screen.finish()
    os.close(controller)
    assert status == 130, text[-3000:]
    assert "now acting as lead1" not in text
    assert "SIGINT: stopping the console" in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    history = tmp_path / "state" / "rtb-ops-bot" / "console_history"
    assert "+/whoami" in history.read_text() and "lead1" not in history.read_text()
    assert_all_stopped(servers, tmp_path)


def test_sigkill_of_the_shell_still_stops_its_servers(tmp_path):
    """No handler runs on SIGKILL: the kernel's parent-death signal stops the servers (their
    temp dirs stay behind, removed here)."""
    shell = spawn(
        SHELL,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=shell_environ(tmp_path),
        preexec_fn=default_stop_signals,
    )
    assert shell.stdin is not None and shell.stdout is not None
    out = Output(shell.stdout.fileno())
    servers: list[Proc] = []
    try:
        shell.stdin.write(b"/rtb ping\n")
        shell.stdin.flush()
        out.wait_for(b"pong", READY_SECONDS)
        servers = sandbox_servers(shell)
        shell.send_signal(signal.SIGKILL)
        status = shell.wait(EXIT_BOUND_SECONDS)
        left = survivors(servers, GONE_SECONDS)
    finally:
        stop_leftovers(shell)
        kill_survivors(servers)  # the shell is gone: its servers are no longer its children
        shell.stdin.close()
        if servers:
            shutil.rmtree(postgres_dir(servers), ignore_errors=True)
    out.finish()
    assert status == -signal.SIGKILL
    assert left == []
