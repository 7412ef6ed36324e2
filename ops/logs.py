"""Logs Insights search over the hub's Pino log groups (runbook §4), always from int.

int is the central observability account: stg/prd log groups are shared into it with
CloudWatch OAM, so every query runs in int and names its log group by ARN (a source account's
group must be named by ARN in the monitoring account).

The user's text only ever appears inside one double-quoted string literal with `\\` and `"`
escaped, and control characters are refused, so it cannot end the literal, start a new
command (`|`) or a comment (`#`): the query always has the same four commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import BackendUnavailable, UserError

SERVICES = ("webhook-listener", "workflow-engine", "auth-service", "preview")
LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
FIELDS = ("@timestamp", "level", "msg", "issueKey", "workflowType", "durationMs", "env")
LOG_GROUP_PREFIX = "/rtb-ai-hub"
MAX_TEXT = 200
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
QUERY_ENV: EnvName = "int"  # the observability account
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_POLL_FIRST_SECONDS = 0.2
_POLL_MAX_SECONDS = 1.0
_NUMBER = re.compile(r"-?\d{1,15}(\.\d+)?")
_ENDED = frozenset({"Failed", "Cancelled", "Timeout", "Unknown"})


def search_text(text: str) -> str:
    """Text to search for: 1–200 characters, none of them control or invisible characters."""
    if not text.strip():
        raise ValueError("must not be empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text):
        raise ValueError("must not contain control characters (newlines, tabs, invisible marks)")
    return text


def string_literal(text: str) -> str:
    """A Logs Insights double-quoted string literal that means exactly `text`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_query(text: str, *, level: str | None, env: str | None, limit: int) -> str:
    """fields … | [filter msg like "…" [and level = "…"] [and env = "…"]] | sort | limit.
    Empty `text`: every message (an incident's "recent error lines" is a level, not a text)."""
    conditions = [f"msg like {string_literal(search_text(text))}"] if text else []
    if level is not None:
        conditions.append(f"level = {string_literal(_one_of(level, LEVELS, 'level'))}")
    if env is not None:
        conditions.append(f"env = {string_literal(_one_of(env, ('int', 'stg', 'prd'), 'env'))}")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    commands = (
        f"fields {', '.join(FIELDS)}",
        *(["filter " + " and ".join(conditions)] if conditions else []),
        "sort @timestamp desc",
        f"limit {limit}",
    )
    return "\n| ".join(commands)


def _one_of(value: str, options: tuple[str, ...], what: str) -> str:
    if value not in options:
        raise ValueError(f"{what} must be one of {', '.join(options)}")
    return value


def log_group(service: str, env: EnvName | None) -> str:
    if service == "preview":
        return f"{LOG_GROUP_PREFIX}/preview/{env or QUERY_ENV}"
    return f"{LOG_GROUP_PREFIX}/{_one_of(service, SERVICES, 'service')}"


@dataclass(frozen=True)
class LogLine:
    time: datetime | None
    level: str
    msg: str
    issue_key: str
    workflow_type: str
    duration_ms: int | None
    env: str


@dataclass(frozen=True)
class LogSearch:
    service: str
    log_group: str
    text: str
    level: str | None
    env: EnvName | None
    since: timedelta
    limit: int
    lines: tuple[LogLine, ...]  # newest first
    complete: bool  # False: still running at the deadline; stopped, lines are what arrived
    matched: int
    scanned: int


async def search(
    backends: Backends,
    service: str,
    text: str,
    *,
    env: EnvName | None = None,
    since: timedelta = timedelta(hours=1),
    level: str | None = None,
    limit: int = DEFAULT_LIMIT,
    wait_seconds: float | None = None,
    now: datetime | None = None,
) -> LogSearch:
    """Run one Logs Insights query in int; wait for it until `wait_seconds` (then stop it)."""
    try:
        group = log_group(service, env)
        query = build_query(
            text, level=level, env=None if service == "preview" else env, limit=limit
        )
    except ValueError as exc:
        raise UserError(f"Cannot search for that: {exc}.") from None
    end = now or datetime.now(UTC)
    arn = group_arn(backends, group, env if service == "preview" else QUERY_ENV)
    answer, complete = await run_query(
        backends,
        arn,
        end - since,
        end,
        query,
        wait_seconds or backends.config.timeouts.fanout_seconds,
    )
    stats = answer.get("statistics") or {}
    return LogSearch(
        service=service,
        log_group=group,
        text=text,
        level=level,
        env=env,
        since=since,
        limit=limit,
        lines=tuple(parse_row(row) for row in answer.get("results") or []),
        complete=complete,
        matched=int(stats.get("recordsMatched") or 0),
        scanned=int(stats.get("recordsScanned") or 0),
    )


def group_arn(backends: Backends, group: str, owner: EnvName | None) -> str:
    environments = backends.config.environments
    owner = owner or QUERY_ENV
    if owner not in environments:
        raise UserError(f"`{owner}` is not configured here (known: {', '.join(environments)}).")
    region = environments[QUERY_ENV].region
    return f"arn:aws:logs:{region}:{environments[owner].account_id}:log-group:{group}"


async def run_query(
    backends: Backends, arn: str, start: datetime, end: datetime, query: str, wait: float
) -> tuple[dict[str, Any], bool]:
    name, timeout = f"AWS {QUERY_ENV} logs", backends.config.timeouts.backend_seconds
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    client = await backends.blocking.run(name, timeout, backends.aws.client, QUERY_ENV, "logs")
    started = await backends.blocking.run(
        name,
        timeout,
        client.start_query,
        logGroupIdentifiers=[arn],
        startTime=int(start.timestamp()),
        endTime=int(end.timestamp()),
        queryString=query,
    )
    query_id = str(started["queryId"])
    pause = _POLL_FIRST_SECONDS
    while True:
        answer = await backends.blocking.run(
            name, timeout, client.get_query_results, queryId=query_id
        )
        status = str(answer.get("status"))
        if status == "Complete":
            return answer, True
        if status in _ENDED:
            raise BackendUnavailable(name, f"the query ended as {status}")
        if loop.time() + pause > deadline:
            await _stop(backends, name, client, query_id)
            return answer, False
        await asyncio.sleep(pause)
        pause = min(pause * 2, _POLL_MAX_SECONDS)


async def _stop(backends: Backends, name: str, client: Any, query_id: str) -> None:
    """Stop a query we stop waiting for (it would keep scanning, and costing, otherwise)."""
    # Best effort: the answer is what matters, and the query ends on its own anyway.
    with contextlib.suppress(BackendUnavailable):
        await backends.blocking.run(
            name, backends.config.timeouts.backend_seconds, client.stop_query, queryId=query_id
        )


def parse_row(row: list[dict[str, Any]]) -> LogLine:
    cells = {str(c.get("field")): str(c.get("value", "")) for c in row}
    duration = cells.get("durationMs", "")
    return LogLine(
        time=_insights_time(cells.get("@timestamp", "")),
        level=cells.get("level", ""),
        msg=cells.get("msg", ""),
        issue_key=cells.get("issueKey", ""),
        workflow_type=cells.get("workflowType", ""),
        duration_ms=int(float(duration)) if _is_number(duration) else None,
        env=cells.get("env", ""),
    )


def _insights_time(text: str) -> datetime | None:
    """Insights shows @timestamp as `2024-02-19 00:06:40.000` (UTC)."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None
