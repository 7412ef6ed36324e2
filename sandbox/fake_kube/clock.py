"""The cluster's clock: wall time plus whatever a test advanced it by.

Everything time-based in the fake (pods turning Ready, progress deadlines, namespaces finishing
their termination) reads this clock, so a test jumps past a deadline with `advance()` instead of
sleeping, and stays deterministic.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the cluster sees them."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the cluster's clock only moves forward")
        self._offset += seconds

    def iso(self) -> str:
        """The API's timestamp format (RFC 3339, seconds, UTC)."""
        return to_iso(self.now())


def to_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> float:
    """RFC 3339 as clients send it back (`...Z` or the Python client's `...+00:00`)."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
