"""Investigate in AWS: `/rtb alarms`, `/rtb trail`, `/rtb search` (read-only)."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import CommandCall
from handlers.render.cloud import (
    render_alarms,
    render_search,
    render_trail,
    render_trail_changes,
)
from handlers.render.message import Message
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, choice, duration
from ops import alarms, cloudtrail, cloudtrail_changes, logs

TRAIL_ENV = choice("int", "stg", "prd", "all")
DEFAULT_EVENT = "AssumeRole"


def slack_text(text: str) -> str:
    """Search text as typed: Slack sends &, < and > as HTML entities in slash commands."""
    unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return logs.search_text(unescaped)


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
                "`--changes` lists every write call, whatever its event name: "
                "give `--changes` or `--event`, not both."
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
    """Logs Insights over a service's log group, queried in int."""
    result = await logs.search(
        call.deps.backends,
        call.values["service"],
        call.values["text"],
        env=call.values["env"],
        since=call.values["since"],
        level=call.values["level"],
        limit=call.values["limit"],
    )
    return render_search(result, call.deps.config.timezone)


COMMANDS = (
    Command(
        "alarms",
        "CloudWatch alarms in ALARM or INSUFFICIENT_DATA, in every account.",
        run_alarms,
        args=(Arg("env", "int, stg or prd (default: all)", ENV, optional=True),),
        group="Investigate",
        examples=("/rtb alarms", "/rtb alarms prd"),
    ),
    Command(
        "trail",
        "CloudTrail events (default AssumeRole), failed calls first; `--changes`: the "
        "deployer role's write calls.",
        run_trail,
        args=(
            Arg(
                "env",
                "int, stg, prd or all (default: int)",
                TRAIL_ENV,
                optional=True,
                default="int",
            ),
        ),
        flags=(
            Flag(
                "since",
                "how far back, e.g. 1h, 24h, 7d (default 24h)",
                duration,
                default=timedelta(hours=24),
                metavar="24h",
            ),
            Flag(
                "event",
                f"CloudTrail event name (default {DEFAULT_EVENT})",
                cloudtrail.event_name,
                metavar=DEFAULT_EVENT,
            ),
            Flag("errors", "only calls that failed", is_switch=True),
            Flag(
                "changes",
                "every write call made through the deployer role, with the Slack user "
                "(a post-mortem's change history; not with --event)",
                is_switch=True,
            ),
        ),
        group="Investigate",
        examples=(
            "/rtb trail",
            "/rtb trail all --errors",
            "/rtb trail prd --since 7d",
            "/rtb trail all --changes --since 6h",
        ),
    ),
    Command(
        "search",
        "Search a service's logs (Logs Insights, in int).",
        run_search,
        args=(
            Arg("service", ", ".join(logs.SERVICES), choice(*logs.SERVICES)),
            Arg(
                "text",
                f"text the message contains (at most {logs.MAX_TEXT} characters; "
                "none: every line, e.g. with --level error)",
                slack_text,
                optional=True,
                default="",
                rest=True,
            ),
        ),
        flags=(
            Flag(
                "env",
                "only lines of this env; for preview, whose preview logs (default int)",
                ENV,
                metavar="env",
            ),
            Flag(
                "since",
                "how far back, e.g. 30m, 1h, 24h (default 1h)",
                duration,
                default=timedelta(hours=1),
                metavar="1h",
            ),
            Flag("level", ", ".join(logs.LEVELS), choice(*logs.LEVELS), metavar="error"),
            Flag(
                "limit",
                f"lines, 1–{logs.MAX_LIMIT} (default {logs.DEFAULT_LIMIT})",
                bounded_int(1, logs.MAX_LIMIT),
                default=logs.DEFAULT_LIMIT,
                metavar="N",
            ),
        ),
        group="Investigate",
        examples=(
            "/rtb search workflow-engine timeout --level error",
            '/rtb search preview "connection refused" --env stg --since 24h',
        ),
    ),
)
