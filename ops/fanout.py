"""Run the parts of an answer concurrently; answer with what arrived, naming what failed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog

from ops.backends.classify import classify_failure
from ops.backends.faults import UNTOLD
from ops.errors import BackendError, Details, Symptom, UserError

T = TypeVar("T")
K = TypeVar("K")
log = structlog.get_logger(__name__)
# Parts given up on but still winding down: a strong reference until they are done (the event
# loop keeps only weak references to tasks).
_abandoned: set[asyncio.Future[Any]] = set()


@dataclass(frozen=True)
class Failed:
    """A part that did not answer: which backend, a reason that is safe to show (English, the
    log's), and its details for a reader's words (`handlers/render/failures.py`); `error` when
    the part refused with a user error (e.g. an env without a cluster): its words are the
    error's own."""

    backend: str
    reason: str
    details: Details = UNTOLD
    error: UserError | None = None


@dataclass(frozen=True)
class Part(Generic[T]):
    value: T | None = None
    failure: Failed | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


async def gather_parts(parts: Mapping[str, Awaitable[T]], timeout: float) -> dict[str, Part[T]]:
    """Await every part at once; each gets at most `timeout` seconds."""
    names = list(parts)
    results = await asyncio.gather(*(_one(name, parts[name], timeout) for name in names))
    return dict(zip(names, results, strict=True))


def split_parts(
    keys: Sequence[K], parts: Mapping[str, Part[T]]
) -> tuple[list[tuple[K, T]], list[Failed]]:
    """Pair each key with its part (same order): (key, value) of those that answered, failures."""
    answered: list[tuple[K, T]] = []
    failures: list[Failed] = []
    for key, part in zip(keys, parts.values(), strict=True):
        if part.failure is not None:
            failures.append(part.failure)
        elif part.value is not None:
            answered.append((key, part.value))
    return answered, failures


async def _one(name: str, awaitable: Awaitable[T], timeout: float) -> Part[T]:
    try:
        return Part(value=await _within(timeout, awaitable))
    except TimeoutError:
        reason = f"no answer within {timeout:g} s"  # internal: the log's reason
        return Part(failure=Failed(name, reason, Details(Symptom.NO_ANSWER, seconds=timeout)))
    except BackendError as exc:
        return Part(failure=Failed(exc.backend, exc.reason, exc.details))
    except UserError as exc:
        return Part(failure=Failed(name, str(exc), error=exc))  # reason: its code and data
    except Exception as exc:
        failure = classify_failure(exc)
        if failure is None:
            log.exception("fan-out part failed", part=name)
            reason = "unexpected error (see the bot's log)"  # internal: the log's reason
            return Part(failure=Failed(name, reason, Details(Symptom.UNEXPECTED)))
        return Part(failure=Failed(name, failure.reason, failure.details))


async def _within(timeout: float, awaitable: Awaitable[T]) -> T:
    """`awaitable` within `timeout`, without waiting for its cancellation to finish.

    `asyncio.wait_for` waits until a cancelled part has wound down. psycopg cancels a query on
    a hung server by asking the server (up to 5 s) and then waiting for the query to end (up to
    5 s more), which would turn a 2 s timeout into 12 s. A part that is too late is cancelled
    and left to wind down in the background; its outcome is dropped.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        _abandon(task)
        raise
    if not done:
        _abandon(task)
        raise TimeoutError
    return task.result()


def _abandon(task: asyncio.Future[Any]) -> None:
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_forget)


def _forget(task: asyncio.Future[Any]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
