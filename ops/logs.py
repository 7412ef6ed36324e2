"""Logs Insights search over the hub's Pino log groups (runbook §4), always from int.

int is the central observability account: stg's and prd's log groups are shared into it with
CloudWatch OAM, so every query runs in int and names its groups by ARN in the account of the
env searched (a source account's group must be named by ARN in the monitoring account).
Every env has the runbook's groups (each account's Fluent Bit writes its own pods' lines):
`--env stg` searches stg's account, nothing else; `all` is every group of that env in one
query (Logs Insights takes up to 50 log groups in a query: one query, not a fan-out).

The filters are the Pino fields: `level` (exact), `issueKey`, `workflowType` and `service`
(whole value, any case), `durationMs` (at least). The text is looked for in `msg`, any case;
a text that is a Jira issue key (PROJ-300) also finds the lines whose `issueKey` is that key,
since the key is usually a field and not in the message.

Safety of the query: the text and the field values only ever appear inside one regex literal
`/(?i)…/` with every regex metacharacter and the `/` delimiter escaped by a backslash (or, for
the level, inside a double-quoted string literal with `\\` and `"` escaped), and control
characters are refused, so they cannot end the literal, start a new command (`|`) or a
comment (`#`): the query always has the same commands.
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
from ops.diagnose.common import issue_key
from ops.errors import BackendError, Details, Invalid, Problem, Symptom, UserError

SERVICES = ("webhook-listener", "workflow-engine", "auth-service", "preview")
ALL = "all"  # every log group of the env, in one query
LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
FIELDS = (
    "@timestamp",
    "@log",
    "level",
    "service",
    "msg",
    "issueKey",
    "workflowType",
    "durationMs",
    "env",
)
LOG_GROUP_PREFIX = "/rtb-ai-hub"
MAX_TEXT = 200
MAX_FIELD_VALUE = 100
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_QUERY_GROUPS = 50  # StartQuery's own limit
QUERY_ENV: EnvName = "int"  # the observability account
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
_REGEX_SPECIAL = frozenset("\\^$.|?*+()[]{}/")
_POLL_FIRST_SECONDS = 0.2
_POLL_MAX_SECONDS = 1.0
_NUMBER = re.compile(r"-?\d{1,15}(\.\d+)?")
_ENDED = frozenset({"Failed", "Cancelled", "Timeout", "Unknown"})


@dataclass(frozen=True)
class LogFilters:
    """What a line must have; empty or None: anything."""

    text: str = ""  # in msg, any case (an issue key: also the issueKey field)
    level: str | None = None  # exact, one of LEVELS
    issue: str | None = None  # the issueKey field, whole value, any case
    workflow_type: str | None = None  # the workflowType field, whole value, any case
    service: str | None = None  # the Pino service field, whole value, any case
    min_duration_ms: int | None = None  # durationMs at least this


def search_text(text: str) -> str:
    """Text to search for: 1–200 characters, none of them control or invisible characters."""
    return _checked(text, MAX_TEXT)


def field_value(text: str) -> str:
    """A Pino field's value to match (a workflow type, a service): 1–100 visible characters."""
    return _checked(text, MAX_FIELD_VALUE)


def _checked(text: str, most: int) -> str:
    if not text.strip():
        raise Invalid(Problem.TEXT_EMPTY)
    if len(text) > most:
        raise Invalid(Problem.TEXT_TOO_LONG, most=most)
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in text):
        raise Invalid(Problem.TEXT_CONTROL)
    return text


def string_literal(text: str) -> str:
    """A Logs Insights double-quoted string literal that means exactly `text`."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def regex_literal(text: str, *, whole: bool = False) -> str:
    """A Logs Insights regex literal matching `text` literally, any case: `/(?i)…/`, every
    regex metacharacter and the `/` delimiter escaped (`\\` + punctuation is a literal in
    every regex dialect); `whole`: the entire value, not a part of it."""
    escaped = "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)
    return f"/(?i){'^' + escaped + '$' if whole else escaped}/"


def is_issue_key(text: str) -> bool:
    try:
        issue_key(text)
    except ValueError:
        return False
    return True


def build_query(filters: LogFilters, *, limit: int) -> str:
    """fields … | [filter <text>] | [filter <fields>] | sort @timestamp desc | limit N.
    Each filter is its own command (consecutive filters must all hold), so the text's `or`
    never mixes with the fields' `and`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(Problem.LOG_LIMIT_RANGE, most=MAX_LIMIT)
    fields = _field_conditions(filters)
    wheres = [" or ".join(_text_conditions(filters.text))] if filters.text else []
    wheres += [" and ".join(fields)] if fields else []
    commands = (
        f"fields {', '.join(FIELDS)}",
        *(f"filter {where}" for where in wheres),
        "sort @timestamp desc",
        f"limit {limit}",
    )
    return "\n| ".join(commands)


def _text_conditions(text: str) -> list[str]:
    conditions = [f"msg like {regex_literal(search_text(text))}"]  # internal: a query
    if is_issue_key(text):
        whole = regex_literal(text.strip(), whole=True)
        conditions.append(f"issueKey like {whole}")  # internal: a query
    return conditions


def _field_conditions(filters: LogFilters) -> list[str]:
    conditions = []
    if filters.level is not None:
        conditions.append(f"level = {string_literal(_one_of(filters.level, LEVELS, 'level'))}")
    wholes = (
        ("issueKey", filters.issue and issue_key(filters.issue)),
        ("workflowType", filters.workflow_type and field_value(filters.workflow_type)),
        ("service", filters.service and field_value(filters.service)),
    )
    conditions += [f"{name} like {regex_literal(v, whole=True)}" for name, v in wholes if v]
    if filters.min_duration_ms is not None:
        if not 0 <= filters.min_duration_ms < 10**12:
            raise Invalid(Problem.MIN_DURATION_RANGE)
        conditions.append(f"durationMs >= {int(filters.min_duration_ms)}")
    return conditions


def _one_of(value: str, options: tuple[str, ...], what: str) -> str:
    if value not in options:
        raise Invalid(Problem.NOT_ONE_OF, what=what, options=options)
    return value


def log_group(service: str, env: EnvName | None) -> str:
    if service == "preview":
        return f"{LOG_GROUP_PREFIX}/preview/{env or QUERY_ENV}"
    return f"{LOG_GROUP_PREFIX}/{_one_of(service, SERVICES, 'service')}"


def log_groups(service: str, env: EnvName) -> tuple[str, ...]:
    """The groups a search reads: the service's, or for `all` every one of the env's."""
    names = SERVICES if service == ALL else (service,)
    return tuple(log_group(name, env) for name in names)


def short_group(group: str) -> str:
    """`/rtb-ai-hub/preview/stg` → `preview/stg` (what a line's source is called in answers)."""
    return group.removeprefix(LOG_GROUP_PREFIX + "/")


@dataclass(frozen=True)
class LogLine:
    time: datetime | None
    level: str
    msg: str
    issue_key: str
    workflow_type: str
    duration_ms: int | None
    env: str
    service: str = ""  # the Pino field
    log_group: str = ""  # where the line is (from @log, without the account)


@dataclass(frozen=True)
class LogSearch:
    service: str  # a service of SERVICES, or ALL
    env: EnvName  # whose account's groups were searched (through OAM unless int)
    log_groups: tuple[str, ...]
    filters: LogFilters
    since: timedelta
    limit: int
    lines: tuple[LogLine, ...]  # newest first
    complete: bool  # False: still running at the deadline; stopped, lines are what arrived
    matched: int
    scanned: int


async def search(
    backends: Backends,
    service: str,
    filters: LogFilters,
    *,
    env: EnvName | None = None,
    since: timedelta = timedelta(hours=1),
    limit: int = DEFAULT_LIMIT,
    wait_seconds: float | None = None,
    now: datetime | None = None,
) -> LogSearch:
    """One Logs Insights query in int over `env`'s groups of `service` (default int's);
    wait for it until `wait_seconds` (then stop it)."""
    owner = env or QUERY_ENV
    try:
        groups = log_groups(service, owner)
        query = build_query(filters, limit=limit)
    except ValueError as exc:
        raise UserError(Problem.SEARCH_REFUSED, why=exc) from None
    end = now or datetime.now(UTC)
    arns = [group_arn(backends, group, owner) for group in groups]
    answer, complete = await run_query(
        backends,
        arns,
        end - since,
        end,
        query,
        wait_seconds or backends.config.timeouts.fanout_seconds,
    )
    stats = answer.get("statistics") or {}
    return LogSearch(
        service=service,
        env=owner,
        log_groups=groups,
        filters=filters,
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
        raise UserError(Problem.ENV_NOT_CONFIGURED, env=owner, known=tuple(environments))
    region = environments[QUERY_ENV].region
    return f"arn:aws:logs:{region}:{environments[owner].account_id}:log-group:{group}"


async def run_query(
    backends: Backends,
    arns: str | list[str],
    start: datetime,
    end: datetime,
    query: str,
    wait: float,
) -> tuple[dict[str, Any], bool]:
    """Start `query` in int over the groups `arns` (one, or up to 50), poll until it is
    complete or `wait` has passed (then stop it: the answer so far, and False)."""
    identifiers = [arns] if isinstance(arns, str) else list(arns)
    if not 1 <= len(identifiers) <= MAX_QUERY_GROUPS:
        raise Invalid(Problem.LOG_GROUP_COUNT, most=MAX_QUERY_GROUPS)
    name, timeout = f"AWS {QUERY_ENV} logs", backends.config.timeouts.backend_seconds
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    client = await backends.blocking.run(name, timeout, backends.aws.client, QUERY_ENV, "logs")
    started = await backends.blocking.run(
        name,
        timeout,
        client.start_query,
        logGroupIdentifiers=identifiers,
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
            ended = Details(Symptom.QUERY_ENDED, code=status)
            raise BackendError(name, f"query {status}", details=ended)  # internal: log
        if loop.time() + pause > deadline:
            await _stop(backends, name, client, query_id)
            return answer, False
        await asyncio.sleep(pause)
        pause = min(pause * 2, _POLL_MAX_SECONDS)


async def _stop(backends: Backends, name: str, client: Any, query_id: str) -> None:
    """Stop a query we stop waiting for (it would keep scanning, and costing, otherwise)."""
    # Best effort: the answer is what matters, and the query ends on its own anyway.
    with contextlib.suppress(BackendError):
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
        service=cells.get("service", ""),
        log_group=cells.get("@log", "").rpartition(":")[2],
    )


def _insights_time(text: str) -> datetime | None:
    """Insights shows @timestamp as `2024-02-19 00:06:40.000` (UTC)."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def _is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text) is not None
