"""The console's plumbing as a process: stop signals, reading lines, text that always encodes,
and the bot's logged errors (for the exit status). What they are for: bot/console_session.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from types import FrameType, TracebackType
from typing import TypeVar

from handlers.render.i18n import _

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Loggers whose ERROR records are unexpected errors of the bot (see LoggedErrors).
_COUNTED_LOGGERS = ("bot", "handlers", "ops", "approvals", "asyncio", "apscheduler", "slack_bolt")
T = TypeVar("T")


class LoggedErrors(logging.Handler):
    """Counts the ERROR records of the bot's loggers while installed on the root logger.

    The bot logs at ERROR only what it did not expect: an answer it could not deliver,
    background work that raised, a scheduled job that failed, a fan-out part or a mutation
    that failed in an unknown way. Such a failure often leaves no trace in the answer.

        with LoggedErrors() as logged:  # after configure_logging(), which resets the handlers
            ...
    """

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".", 1)[0] not in _COUNTED_LOGGERS:
            return
        self.count += 1
        event = record.msg
        # printed in the transcript, which people paste: the bot's own words, never a library's
        # message (it may quote an exception's text) — for those, only which logger it was
        self.last = (
            str(event.get("msg") or event.get("event") or "")
            if isinstance(event, dict)
            else _("an error logged by {logger}", logger=record.name)
        )

    def __enter__(self) -> LoggedErrors:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        logging.getLogger().removeHandler(self)


def valid_text(text: str) -> str:
    """`text` that encodes as UTF-8: bytes that were not valid UTF-8 (kept as surrogates by
    Python's `surrogateescape`) become U+FFFD, any other lone surrogate `?`."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


class FdLines:
    """Lines read from a file descriptor with `os.read`. A read blocked here when the shell
    ends holds no lock: one blocked in `sys.stdin.buffer.readline()` holds the buffer's,
    which the interpreter takes when it exits (it then aborts: "could not acquire lock")."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._pending = b""
        self._ended = False

    def readline(self) -> bytes:
        while b"\n" not in self._pending and not self._ended:
            chunk = os.read(self.fd, 65536)
            self._ended = not chunk
            self._pending += chunk
        line, newline, self._pending = self._pending.partition(b"\n")
        return line + newline


async def in_daemon_thread(read: Callable[[], T]) -> T:
    """`read()` in a daemon thread: a read blocked on input then keeps neither a signal from
    ending the shell nor the process from exiting (asyncio's default executor would wait)."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not result.done():  # not given up (a signal cancels the wait)
            outcome()

    def target() -> None:
        try:
            value = read()
        except BaseException as exc:  # handed to the awaiting coroutine
            done = partial(settle, partial(result.set_exception, exc))
        else:
            done = partial(settle, partial(result.set_result, value))
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(done)

    threading.Thread(target=target, name="console input", daemon=True).start()
    return await result


class ShellStopped(BaseException):
    """A stop signal arrived before the event loop ran (while the sandbox started)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopSignals:
    """SIGINT, SIGTERM and SIGHUP end the shell (see the module docstring).

    Before the event loop runs, the first one raises ShellStopped in the main thread (the
    sandbox's start stops what it started); while the loop runs, it sets the loop's `stopped`
    event; once the shell is ending anyway (after the loop), it is only noted, so that the
    teardown is never cut short.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
        self._handled = [sig for sig, h in self._previous.items() if h != signal.SIG_IGN]
        self._raising = True
        self._stopped: asyncio.Event | None = None

    def install(self) -> None:
        for sig in self._handled:
            signal.signal(sig, self._on_signal)

    def restore(self) -> None:
        for sig in self._handled:
            previous = self._previous[sig]
            signal.signal(sig, signal.SIG_DFL if previous is None else previous)

    def attach(self, loop: asyncio.AbstractEventLoop, stopped: asyncio.Event) -> None:
        self._stopped = stopped
        for sig in self._handled:
            loop.add_signal_handler(sig, self._in_loop, sig)

    def detach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._raising = False
        for sig in self._handled:
            loop.remove_signal_handler(sig)
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return
        self.received = signum
        if self._raising:
            raise ShellStopped(signum)

    def _in_loop(self, signum: int) -> None:
        if self.received is None:
            self.received = signum
            say_stopping(signum)
        if self._stopped is not None:
            self._stopped.set()


def say_stopping(signum: int) -> None:
    with contextlib.suppress(OSError):  # after a hangup there may be no terminal to write to
        stopping = _("{signal}: stopping the console", signal=signal.Signals(signum).name)
        print("\n" + stopping, file=sys.stderr, flush=True)


def can_encode(stream: object, text: str) -> bool:
    """Whether `stream` writes `text` as it is (a latin-1 or ASCII terminal would not)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def replace_unencodable_output() -> None:
    """An answer quoting what was typed must print on any terminal (U+FFFD on a latin-1 one)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # what input() decodes with
