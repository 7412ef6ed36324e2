"""Results that ran but could not be recorded, kept on local disk until PostgreSQL is back.

One JSON object per line, appended and fsynced before the bot says anything about the change, so
a result survives the bot's own restart (on a volume that outlives the container). Each replica
has its own file and is the only writer and reader of it; `approvals.recording` writes the
entries to the database and then `forget`s them. Entries are small (a result is a few hundred
bytes) and few (only what ran during an outage of the bot's database).
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from approvals.audit import AuditEvent, iso_utc
from approvals.outcomes import RunResult, RunStatus

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class UnrecordedResult:
    """A change's result and the audit event that should have recorded it.

    `event.approval_id` is set when the result closes an approval request."""

    spool_id: str
    finished_at: str  # ISO UTC: when the result was known (the late audit event says so)
    status: RunStatus
    result: dict[str, Any]
    event: AuditEvent

    @classmethod
    def of(cls, run: RunResult, event: AuditEvent) -> UnrecordedResult:
        now = iso_utc(datetime.now(UTC))
        return cls(uuid.uuid4().hex, now, run.status, run.result, event)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> UnrecordedResult:
        raw = json.loads(line)
        return cls(**{**raw, "event": AuditEvent(**raw["event"])})


class ResultSpool:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()  # keep() during a replay must not be lost by its rewrite

    async def keep(self, entry: UnrecordedResult) -> bool:
        """Append and fsync; False (logged) when the disk refused it."""
        async with self._lock:
            try:
                await asyncio.to_thread(self._append, entry.to_json())
            except OSError as exc:
                log.error(
                    "could not keep an unrecorded result", path=str(self.path), errno=exc.errno
                )
                return False
        return True

    async def pending(self) -> list[UnrecordedResult]:
        async with self._lock:
            return await asyncio.to_thread(self._read)

    async def forget(self, spool_ids: set[str]) -> None:
        """Rewrite the file without these entries (atomically: a crash keeps the old file)."""
        if not spool_ids:
            return
        async with self._lock:
            left = [e for e in await asyncio.to_thread(self._read) if e.spool_id not in spool_ids]
            await asyncio.to_thread(self._replace, [e.to_json() for e in left])

    # -- blocking file work (in a thread) -----------------------------------------------------

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as spool:
            spool.write(line + "\n")
            spool.flush()
            os.fsync(spool.fileno())

    def _read(self) -> list[UnrecordedResult]:
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:  # logged at every round until someone fixes the volume
            log.error("cannot read the result spool", path=str(self.path), errno=exc.errno)
            return []
        entries = []
        for number, line in enumerate(lines, 1):
            try:
                entries.append(UnrecordedResult.from_json(line))
            except (ValueError, TypeError, KeyError):  # a line cut short by a crash mid-write
                log.error("unreadable line in the result spool", path=str(self.path), line=number)
        return entries

    def _replace(self, lines: list[str]) -> None:
        if not lines:
            self.path.unlink(missing_ok=True)
            return
        partial = self.path.with_suffix(self.path.suffix + ".partial")
        with partial.open("w", encoding="utf-8") as spool:
            spool.write("".join(line + "\n" for line in lines))
            spool.flush()
            os.fsync(spool.fileno())
        partial.replace(self.path)
