"""Pino JSON log lines (what the hub writes), read into their level, time, message and the
fields the runbook searches by (issueKey, workflowType, durationMs)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

PINO_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
LEVEL_ORDER = ("fatal", "error", "warn", "info", "debug", "trace")


@dataclass(frozen=True)
class LogLine:
    """One log line; the Pino fields are filled in when the line is Pino JSON."""

    text: str
    level: str | None = None
    time: datetime | None = None
    msg: str | None = None
    issue_key: str | None = None
    workflow_type: str | None = None
    duration_ms: float | None = None


def parse_log_line(text: str) -> LogLine:
    if not text.startswith("{"):
        return LogLine(text)
    try:
        data = json.loads(text)
    except ValueError:
        return LogLine(text)
    if not isinstance(data, dict) or "level" not in data:
        return LogLine(text)
    level = data["level"]
    name = PINO_LEVELS.get(level, str(level)) if isinstance(level, int) else str(level).lower()
    moment = data.get("time")
    duration = data.get("durationMs")
    return LogLine(
        text=text,
        level=name,
        time=datetime.fromtimestamp(moment / 1000, UTC)
        if isinstance(moment, int | float)
        else None,
        msg=str(data["msg"]) if "msg" in data else None,
        issue_key=str(data["issueKey"]) if data.get("issueKey") else None,
        workflow_type=str(data["workflowType"]) if data.get("workflowType") else None,
        duration_ms=float(duration) if isinstance(duration, int | float) else None,
    )
