"""Synchronous client libraries (kubernetes, boto3) run here, never on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from ops.backends.classify import backend_error
from ops.backends.faults import BackendError, Details, Symptom, TimedOut

# The client libraries get a slightly longer timeout than the call itself, so the call's own
# timeout always fires first and says the same thing ("timed out after 2 s"); the library's
# then only frees the worker thread soon after.
LIBRARY_TIMEOUT_SLACK_SECONDS = 1.0

P = ParamSpec("P")
T = TypeVar("T")


class BlockingCalls:
    """A bounded thread pool; every call has a timeout and a backend name for its errors."""

    def __init__(self, max_workers: int = 32) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="backend")

    async def run(
        self, backend: str, timeout: float, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        return await _answer(backend, timeout, future)

    async def run_detached(
        self, backend: str, timeout: float, fn: Callable[[], T], *, name: str
    ) -> T:
        """`run` for a call that may be abandoned: a long poll (SQS waits up to 20 s). It runs
        in a daemon thread of its own, not the pool, because Python joins the pool's threads
        at exit: a replica told to stop would wait for the poll to end. Cancelling the caller
        abandons the thread (its answer is dropped; an SQS message it received then returns
        to the queue after its visibility timeout)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(outcome: Callable[[], None]) -> None:
            if not future.done():
                outcome()

        def work() -> None:
            try:
                result = fn()
            except BaseException as exc:  # handed to the caller's loop, not lost in the thread
                error = exc
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
                return
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

        threading.Thread(target=work, name=name, daemon=True).start()
        return await _answer(backend, timeout, future)

    async def untimed(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Local work in the pool with no backend's timeout (loading a module on first use):
        it is this process's time, and a backend that was never asked is not "not answering"."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


async def _answer(backend: str, timeout: float, future: Awaitable[T]) -> T:
    """The call's result within `timeout`; a timeout or a failure we can describe becomes
    BackendError naming `backend` (never the exception's text)."""
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        reason = f"timed out after {timeout:g} s"  # internal: the log's reason
        told = Details(Symptom.TIMED_OUT, seconds=timeout)
        raise TimedOut(backend, reason, details=told) from None
    except BackendError:
        raise
    except Exception as exc:
        error = backend_error(backend, exc)
        if error is None:
            raise
        raise error from exc
