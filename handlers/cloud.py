"""Investigate in AWS: `/rtb alarms`, `/rtb trail`, `/rtb search` (read-only)."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.context import CommandCall
from handlers.render.cloud import (
    render_alarms,
    render_search,
    render_search_unreadable,
    render_trail,
    render_trail_changes,
)
from handlers.render.i18n import N_, _
from handlers.render.message import Message
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, choice, duration
from ops import alarms, cloudtrail, cloudtrail_changes, logs
from ops.diagnose.common import issue_key
from ops.errors import BackendError

TRAIL_ENV = choice("int", "stg", "prd", "all")
DEFAULT_EVENT = "AssumeRole"
_MIN_DURATION = re.compile(r"^(\d{1,7})(ms|s|m|h)$")
_MS_PER_UNIT = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
MAX_MIN_DURATION_MS = 24 * 3_600_000


def slack_text(text: str) -> str:
    """Search text as typed: Slack sends &, < and > as HTML entities in slash commands."""
    unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return logs.search_text(unescaped)


def min_duration(text: str) -> int:
    """`--min-duration`: 500ms, 5s, 2m or 1h, in milliseconds (the Pino durationMs)."""
    match = _MIN_DURATION.match(text.strip().lower())
    if not match:
        raise ValueError(_("must be a duration like 500ms, 5s, 2m or 1h"))
    ms = int(match[1]) * _MS_PER_UNIT[match[2]]
    if ms > MAX_MIN_DURATION_MS:
        raise ValueError(_("must be at most 24h"))
    return ms


# `--level`: a Pino level label, typed in any case (Pino writes them lowercase)
level = choice(*logs.LEVELS, any_case=True)


async def run_alarms(call: CommandCall) -> Message:
    """Alarms in ALARM or INSUFFICIENT_DATA, in one env or all of them, newest change first."""
    backends = call.deps.backends
    envs = alarms.configured_envs(backends, call.values["env"])
    report = await alarms.active_alarms(backends, envs)
    return render_alarms(report, call.deps.config.timezone)


async def run_trail(call: CommandCall) -> Message:
    """CloudTrail lookup of one event name, failed calls first (runbook §5.3); with `--changes`,
    every write call made through the deployer role, newest first (§5.1 step 5)."""
    backends, env, values = call.deps.backends, call.values["env"], call.values
    envs = alarms.configured_envs(backends, None if env == "all" else env)
    if values["changes"]:
        if values["event"] is not None:
            raise call.table["trail"].usage_error(
                _(
                    "`--changes` lists every write call, whatever its event name: "
                    "give `--changes` or `--event`, not both."
                )
            )
        changes = await cloudtrail_changes.deployer_changes(
            backends, envs, since=values["since"], errors_only=values["errors"]
        )
        return render_trail_changes(changes, call.deps.config.timezone)
    report = await cloudtrail.lookup(
        backends,
        envs,
        event=values["event"] or DEFAULT_EVENT,
        since=values["since"],
        errors_only=values["errors"],
    )
    return render_trail(report, call.deps.config.timezone)


async def run_search(call: CommandCall) -> Message:
    """Logs Insights over a service's log group (or all of them) of one env, queried in int."""
    values = call.values
    filters = logs.LogFilters(
        text=values["text"],
        level=values["level"],
        issue=values["issue"],
        workflow_type=values["type"],
        service=values["service"],
        min_duration_ms=values["min-duration"],
    )
    try:
        result = await logs.search(
            call.deps.backends,
            values["group"],
            filters,
            env=values["env"],
            since=values["since"],
            limit=values["limit"],
        )
    except BackendError as exc:
        if values["env"] in (None, logs.QUERY_ENV):
            raise
        # stg's or prd's groups: the likeliest reason is the OAM link, which ping checks
        return render_search_unreadable(exc, values["env"])
    return render_search(result, call.deps.config.timezone)


COMMANDS = (
    Command(
        "alarms",
        N_("CloudWatch alarms in ALARM or INSUFFICIENT_DATA, in every account."),
        run_alarms,
        args=(Arg("env", N_("int, stg or prd (default: all)"), ENV, optional=True),),
        group="Investigate",
        examples=("/rtb alarms", "/rtb alarms prd"),  # a name
    ),
    Command(
        "trail",
        N_(
            "CloudTrail events (default AssumeRole), failed calls first; `--changes`: the "
            "deployer role's write calls."
        ),
        run_trail,
        args=(
            Arg(
                "env",
                N_("int, stg, prd or all (default: int)"),
                TRAIL_ENV,
                optional=True,
                default="int",
            ),
        ),
        flags=(
            Flag(
                "since",
                N_("how far back, e.g. 1h, 24h, 7d (default 24h)"),
                duration,
                default=timedelta(hours=24),
                metavar="24h",
            ),
            Flag(
                "event",
                N_("CloudTrail event name (default AssumeRole)"),
                cloudtrail.event_name,
                metavar=DEFAULT_EVENT,
            ),
            Flag("errors", N_("only calls that failed"), is_switch=True),
            Flag(
                "changes",
                N_(
                    "every write call made through the deployer role, with the Slack user "
                    "(a post-mortem's change history; not with --event)"
                ),
                is_switch=True,
            ),
        ),
        group="Investigate",
        examples=(
            "/rtb trail",  # a name
            "/rtb trail all --errors",  # a name
            "/rtb trail prd --since 7d",  # a name
            "/rtb trail all --changes --since 6h",  # a name
        ),
    ),
    Command(
        "search",
        N_(
            "Search the hub's Pino logs by text and fields (Logs Insights, from int; stg and prd "
            "through the OAM link)."
        ),
        run_search,
        args=(
            Arg(
                "group",
                N_(
                    "webhook-listener, workflow-engine, auth-service, preview (the env's preview "
                    "pods) or all (every group of the env in one query)"
                ),
                choice(*logs.SERVICES, logs.ALL),
            ),
            Arg(
                "text",
                N_(
                    "text the message contains, any case (at most 200 characters); an issue key "
                    "such as PROJ-300 also finds the lines whose issueKey is that key; none: every "
                    "line, e.g. with --level error"
                ),
                slack_text,
                optional=True,
                default="",
                rest=True,
            ),
        ),
        flags=(
            Flag(
                "env",
                N_(
                    "whose logs: int (default), stg or prd (stg's and prd's own log groups, read "
                    "from int through the CloudWatch OAM link)"
                ),
                ENV,
                metavar="env",
            ),
            Flag(
                "since",
                N_("how far back, e.g. 30m, 1h, 24h (default 1h)"),
                duration,
                default=timedelta(hours=1),
                metavar="1h",
            ),
            Flag(
                "level",
                N_("trace, debug, info, warn, error, fatal (any case)"),
                level,
                metavar="error",
            ),
            Flag("issue", N_("issueKey is this Jira key, any case"), issue_key, metavar="PROJ-300"),
            Flag(
                "type",
                N_("workflowType is this, any case (e.g. jira-auto-dev)"),
                logs.field_value,
                metavar="type",
            ),
            Flag(
                "service",
                N_("the line's Pino service field is this, any case (useful with all)"),
                logs.field_value,
                metavar="name",
            ),
            Flag(
                "min-duration",
                N_("durationMs at least this: 500ms, 5s, 2m, 1h"),
                min_duration,
                metavar="5s",
            ),
            Flag(
                "limit",
                N_("lines, 1–200 (default 50)"),
                bounded_int(1, logs.MAX_LIMIT),
                default=logs.DEFAULT_LIMIT,
                metavar="N",
            ),
        ),
        group="Investigate",
        examples=(
            "/rtb search workflow-engine --level error --since 24h",  # a name
            "/rtb search all --issue PROJ-300 --since 24h",  # a name
            "/rtb search workflow-engine --min-duration 30s --type jira-auto-dev",  # a name
            '/rtb search preview "connection refused" --env stg --since 24h',  # a name
        ),
    ),
)
