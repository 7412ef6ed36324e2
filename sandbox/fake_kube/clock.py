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

    def start_at(self, seconds: float) -> None:
        """Set the clock to `seconds` since the epoch, earlier than now included: only for a
        cluster that has nothing yet (the caller checks), which then has no past to contradict."""
        self._offset = seconds - time.time()

    def catch_up_with_wall_time(self) -> None:
        """Back to wall time if behind it (after a history replayed up to a past moment);
        a clock ahead of it stays where it is."""
        self._offset = max(self._offset, 0.0)

    def iso(self) -> str:
        """The API's timestamp format (RFC 3339, seconds, UTC)."""
        return to_iso(self.now())


def to_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> float:
    """RFC 3339 as clients send it back (`...Z` or the Python client's `...+00:00`)."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
