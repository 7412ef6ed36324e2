"""PagerDuty Events API v2 (`POST /v2/enqueue`) over aiohttp: send one event, never raise.

The official `pagerduty` client is not installed here and the Events API is one POST, so this is
plain aiohttp (one session, opened on first use, closed at shutdown).

The routing key (the integration key of the PagerDuty service) comes from the environment
(`PAGERDUTY_ROUTING_KEY`), goes only into the request body and is never logged: a log line
names the event's action, dedup key and the HTTP status, nothing else.

Retries: a 429 (rate limited), a 5xx, a timeout or a refused connection is tried again, at most
`attempts` times in all, waiting `retry_seconds`, then twice that, and so on (a Retry-After
header, when PagerDuty sends one, is waited instead, capped at `MAX_WAIT_SECONDS`). A retry is
safe: the Events API deduplicates on `dedup_key`, so a trigger that landed but whose answer was
lost is the same alert when it lands again, and acknowledge/resolve are idempotent. A 400 (an
invalid event) or any other 4xx is not retried: the same event would be refused again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import structlog

log = structlog.get_logger(__name__)
Outcome = Literal["accepted", "refused", "unavailable"]
Sleep = Callable[[float], Awaitable[None]]
MAX_WAIT_SECONDS = 30.0
_RETRYABLE = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class EventsAnswer:
    """What PagerDuty made of one event, after the retries.

    `accepted`: 202, PagerDuty queued it (`dedup_key` is the one it answered). `refused`: a 4xx
    other than 429, the event itself is wrong (`errors` as PagerDuty listed them). `unavailable`:
    no 2xx after every attempt (429, 5xx, timeouts, connection refused).
    """

    outcome: Outcome
    attempts: int
    status: int | None = None  # the last HTTP status; None: no answer at all
    dedup_key: str | None = None
    errors: tuple[str, ...] = ()


class PagerDutyEvents:
    def __init__(
        self,
        url: str,
        routing_key: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        retry_seconds: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.url = url
        self._routing_key = routing_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.attempts = max(1, attempts)
        self.retry_seconds = retry_seconds
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:  # the routing key stays out of reprs (and so of tracebacks)
        return f"PagerDutyEvents(url={self.url!r})"

    async def send(self, event: Mapping[str, Any]) -> EventsAnswer:
        """POST `event` (without `routing_key`: added here) until PagerDuty takes or refuses it."""
        body = {**event, "routing_key": self._routing_key}
        status: int | None = None
        for attempt in range(1, self.attempts + 1):
            status, answer, retry_after = await self._post_once(body)
            if status is not None and 200 <= status < 300:
                return EventsAnswer("accepted", attempt, status, _dedup_key(answer, event))
            if status is not None and status not in _RETRYABLE:
                return EventsAnswer("refused", attempt, status, None, _errors(answer))
            if attempt < self.attempts:
                await self._sleep(self._wait(attempt, retry_after))
        return EventsAnswer("unavailable", self.attempts, status)

    async def _post_once(self, body: dict[str, Any]) -> tuple[int | None, Any, float | None]:
        """(status, parsed JSON body or None, Retry-After seconds); status None: no answer."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self.url, json=body, allow_redirects=False) as response:
                text = await response.text()
                return response.status, _json_or_none(text), _retry_after(response.headers)
        except (aiohttp.ClientError, TimeoutError):
            log.warning("PagerDuty did not answer", action=body.get("event_action"))
            return None, None, None

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_WAIT_SECONDS)
        return float(min(self.retry_seconds * 2 ** (attempt - 1), MAX_WAIT_SECONDS))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _json_or_none(text: str) -> Any:
    """PagerDuty answers JSON; a proxy's error page is not, and only its status counts."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return max(0.0, float(headers.get("Retry-After", "")))
    except ValueError:
        return None


def _dedup_key(answer: Any, event: Mapping[str, Any]) -> str | None:
    if isinstance(answer, dict) and isinstance(answer.get("dedup_key"), str):
        return str(answer["dedup_key"])
    found = event.get("dedup_key")
    return found if isinstance(found, str) else None


def _errors(answer: Any) -> tuple[str, ...]:
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return tuple(str(e)[:200] for e in errors) if isinstance(errors, list) else ()
