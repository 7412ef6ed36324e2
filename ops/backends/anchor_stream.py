"""The audit chain's anchors: {seq, hash} lines in a CloudWatch Logs stream (append-only).

The bot's role may only PutLogEvents and GetLogEvents on that stream (README: Security), so the
bot's database role, even its owner, cannot rewrite what was anchored.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops.backends.aws import AwsSessions
from ops.backends.blocking import BlockingCalls
from ops.config import AuditAnchor

BACKEND = "CloudWatch Logs (audit anchor)"  # a name: the backend, as failures call it
_MAX_PAGES = 10_000  # ~10,000 events a page: far more anchors than a year of 10 s batches


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: datetime


class AnchorStream:
    def __init__(
        self, settings: AuditAnchor, aws: AwsSessions, blocking: BlockingCalls, timeout: float
    ) -> None:
        self.settings = settings
        self._aws = aws
        self._blocking = blocking
        self._timeout = timeout

    async def put(self, seq: int, hash_: str) -> None:
        """Append one anchor; BackendError when CloudWatch Logs refuses or is away."""
        await self._blocking.run(BACKEND, self._timeout, self._put, seq, hash_)

    async def read(self) -> list[Anchor]:
        """Every anchor, oldest first (verify reads them all; it is not on a hot path)."""
        return await self._blocking.run(BACKEND, self._timeout * 6, self._read)

    def _client(self) -> Any:
        return self._aws.client(self.settings.env, "logs")

    def _put(self, seq: int, hash_: str) -> None:
        message = json.dumps({"seq": seq, "hash": hash_}, separators=(",", ":"))
        self._client().put_log_events(
            logGroupName=self.settings.log_group,
            logStreamName=self.settings.log_stream,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
        )

    def _read(self) -> list[Anchor]:
        client, anchors, token = self._client(), [], None
        for _ in range(_MAX_PAGES):
            page = client.get_log_events(
                logGroupName=self.settings.log_group,
                logStreamName=self.settings.log_stream,
                startFromHead=True,
                **({"nextToken": token} if token else {}),
            )
            anchors += [a for a in map(_anchor, page["events"]) if a is not None]
            if page.get("nextForwardToken") in (None, token):
                break  # the same token again: the end of the stream
            token = page["nextForwardToken"]
        return anchors


def _anchor(event: dict[str, Any]) -> Anchor | None:
    """A line this bot wrote; anything else in the stream is skipped."""
    try:
        data = json.loads(event["message"])
        seq, hash_ = int(data["seq"]), str(data["hash"])
    except (ValueError, KeyError, TypeError):
        return None
    return Anchor(seq, hash_, datetime.fromtimestamp(event["timestamp"] / 1000, UTC))
