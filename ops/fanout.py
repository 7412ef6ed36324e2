"""Run the parts of an answer concurrently; answer with what arrived, naming what failed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog

from ops.backends.faults import describe_failure
from ops.errors import BackendUnavailable, UserError

T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Failed:
    """A part that did not answer: which backend, and a reason that is safe to show."""

    backend: str
    reason: str


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


async def _one(name: str, awaitable: Awaitable[T], timeout: float) -> Part[T]:
    try:
        return Part(value=await asyncio.wait_for(awaitable, timeout))
    except TimeoutError:
        return Part(failure=Failed(name, f"no answer within {timeout:g} s"))
    except BackendUnavailable as exc:
        return Part(failure=Failed(exc.backend, exc.reason))
    except UserError as exc:
        return Part(failure=Failed(name, exc.message))
    except Exception as exc:
        reason = describe_failure(exc)
        if reason is None:
            log.exception("fan-out part failed", part=name)
            reason = "unexpected error (see the bot's log)"
        return Part(failure=Failed(name, reason))
