"""Investigate, the hub's service data: status, queues, executions, costs (all read-only)."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.call_args import optional_env
from handlers.context import CommandCall
from handlers.render.hub import (
    render_costs,
    render_executions,
    render_queue,
    render_queues,
    render_status,
)
from handlers.render.i18n import N_, _, ngettext
from handlers.render.message import Message
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, choice, duration, text_arg
from ops import costs, executions, queues, status
from ops.backends.aws import Actor

GROUP = "Investigate"
MAX_TYPE_LENGTH = 200


def _actor(call: CommandCall) -> Actor:
    """Cross-account calls carry the Slack user (CloudTrail RoleSessionName/SourceIdentity)."""
    return Actor(user=call.user_id)


async def run_status(call: CommandCall) -> Message:
    """The five runbook §3.1 indicators; `env` narrows the previews count only."""
    report = await status.status(call.deps.backends, optional_env(call), actor=_actor(call))
    return render_status(report, call.deps.config.timezone)


async def run_queues(call: CommandCall) -> Message:
    backends = call.deps.backends
    overview = await queues.all_queue_counts(
        queues.bull_queues(backends), backends.config.hub.queues
    )
    return render_queues(overview)


async def run_queue(call: CommandCall) -> Message:
    backends = call.deps.backends
    detail = await queues.queue_detail(
        queues.bull_queues(backends),
        call.values["name"],
        backends.config.hub.queues,
        call.values["failed"],
    )
    return render_queue(detail, call.deps.config.timezone)


async def run_executions(call: CommandCall) -> Message:
    values, config = call.values, call.deps.config
    report = await executions.executions_report(
        call.deps.backends.hub_db,
        values["since"],
        status=values["status"],
        workflow_type=values["type"],
    )
    return render_executions(report, config.timezone, config.hub.dashboard_url)


MAX_DAYS_BACK = 90  # ai_costs is the hub's table; older days are a query for psql


def cost_day(text: str) -> str:
    """`today`, `yesterday` or YYYY-MM-DD (resolved in the team's time zone when run)."""
    if text in ("today", "yesterday"):
        return text
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(text).isoformat()
    raise ValueError(_("must be today, yesterday or a date like 2026-12-02"))


def cost_window(call: CommandCall, now: datetime | None = None) -> costs.CostWindow:
    """One window per answer: `--since` (rolling) or `--day` (a calendar day), default today."""
    since, day = call.values["since"], call.values["day"]
    if since is not None and day is not None:
        raise call.table["costs"].usage_error(_("Use `--day` or `--since`, not both."))
    now = now or datetime.now(UTC)
    if since is not None:
        return costs.CostWindow.last(since, now)
    timezone = call.deps.config.timezone
    today = now.astimezone(ZoneInfo(timezone)).date()
    words = {"today": today, "yesterday": today - timedelta(days=1)}
    chosen = words.get(day or "today") or date.fromisoformat(day or "")
    if chosen > today:
        raise call.table["costs"].usage_error(
            _("{day} has not happened yet (today is {today}).", day=chosen, today=today)
        )
    if chosen < today - timedelta(days=MAX_DAYS_BACK):
        raise call.table["costs"].usage_error(
            ngettext("At most {n} day back.", "At most {n} days back.", MAX_DAYS_BACK)
        )
    return costs.CostWindow.calendar_day(chosen, timezone, now)


async def run_costs(call: CommandCall) -> Message:
    window = cost_window(call)
    report = await costs.cost_report(
        call.deps.backends, window, call.values["by"], actor=_actor(call)
    )
    return render_costs(report, call.deps.config.timezone)


_SINCE_24H = duration("24h")

COMMANDS: tuple[Command, ...] = (
    Command(
        "status",
        N_("The five runbook §3.1 indicators with thresholds, green/red."),
        run_status,
        args=(Arg("env", N_("int, stg or prd: count previews there only"), ENV, optional=True),),
        group=GROUP,
        examples=("/rtb status", "/rtb status prd"),  # a name
    ),
    Command(
        "queues",
        N_(
            "Every watched BullMQ queue: waiting (BullMQ's count), delayed, active, failed, paused."
        ),
        run_queues,
        group=GROUP,
        examples=("/rtb queues",),  # a name
    ),
    Command(
        "queue",
        N_("One BullMQ queue: every count, paused state, the newest failed jobs."),
        run_queue,
        args=(Arg("name", N_("a queue name, e.g. jira-queue"), queues.queue_name),),
        flags=(
            Flag("failed", N_("failed jobs to list (0–50)"), bounded_int(0, 50), 5, metavar="N"),
        ),
        group=GROUP,
        examples=(
            "/rtb queue jira-queue",  # a name
            "/rtb queue jira-queue --failed 20",  # a name
        ),
    ),
    Command(
        "executions",
        N_("workflow_executions by type and status, avg/p95 duration, newest failures."),
        run_executions,
        flags=(
            Flag(
                "status",
                N_("only runs in this status"),
                choice(*executions.STATUSES),
                metavar="failed|completed|running",
            ),
            Flag("type", N_("only this workflow type"), text_arg(MAX_TYPE_LENGTH), metavar="T"),
            Flag("since", N_("window, e.g. 1h, 24h, 7d"), duration, _SINCE_24H, metavar="24h"),
        ),
        group=GROUP,
        examples=(
            "/rtb executions --status failed",  # a name
            "/rtb executions --type pr-review --since 1h",  # a name
        ),
    ),
    Command(
        "costs",
        N_("AI API cost (ai_costs) against the daily threshold, Fargate preview cost per account."),
        run_costs,
        flags=(
            Flag(
                "day",
                N_("a calendar day in the team's time zone (default: today so far)"),
                cost_day,
                metavar="yesterday|YYYY-MM-DD",
            ),
            Flag(
                "since", N_("a rolling window instead, e.g. 1h, 24h, 7d"), duration, metavar="24h"
            ),
            Flag(
                "by",
                N_("group by model or env (default: both)"),
                choice("model", "env"),
                metavar="model|env",
            ),
        ),
        group=GROUP,
        examples=(
            "/rtb costs",  # a name
            "/rtb costs --day yesterday",  # a name
            "/rtb costs --since 7d --by env",  # a name
        ),
    ),
)
