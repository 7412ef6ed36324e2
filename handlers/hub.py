"""Investigate, the hub's service data: status, queues, executions, costs (all read-only)."""

from __future__ import annotations

from handlers.context import CommandCall
from handlers.render.hub import (
    render_costs,
    render_executions,
    render_queue,
    render_queues,
    render_status,
)
from handlers.render.message import Message
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, choice, duration, text_arg
from ops import costs, executions, queues, status
from ops.backends.aws import Actor
from ops.config import EnvName
from ops.errors import UserError

GROUP = "Investigate"
MAX_TYPE_LENGTH = 200


def _actor(call: CommandCall) -> Actor:
    """Cross-account calls carry the Slack user (CloudTrail RoleSessionName/SourceIdentity)."""
    return Actor(user=call.user_id)


def _env(call: CommandCall) -> EnvName | None:
    env: EnvName | None = call.values["env"]
    if env is not None and env not in call.deps.config.environments:
        raise UserError(f"`{env}` is not configured in this bot (environments in its config).")
    return env


async def run_status(call: CommandCall) -> Message:
    """The five runbook §3.1 indicators; `env` narrows the previews count only."""
    report = await status.status(call.deps.backends, _env(call), actor=_actor(call))
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


async def run_costs(call: CommandCall) -> Message:
    values = call.values
    report = await costs.cost_report(
        call.deps.backends, values["since"], values["by"], actor=_actor(call)
    )
    return render_costs(report, call.deps.config.timezone)


_SINCE_24H = duration("24h")

COMMANDS: tuple[Command, ...] = (
    Command(
        "status",
        "The five runbook §3.1 indicators with thresholds, green/red.",
        run_status,
        args=(Arg("env", "int, stg or prd: count previews there only", ENV, optional=True),),
        group=GROUP,
        examples=("/rtb status", "/rtb status prd"),
    ),
    Command(
        "queues",
        "Every watched BullMQ queue: waiting (BullMQ's count), delayed, active, failed, paused.",
        run_queues,
        group=GROUP,
        examples=("/rtb queues",),
    ),
    Command(
        "queue",
        "One BullMQ queue: every count, paused state, the newest failed jobs.",
        run_queue,
        args=(Arg("name", "a queue name, e.g. jira-queue", queues.queue_name),),
        flags=(Flag("failed", "failed jobs to list (0–50)", bounded_int(0, 50), 5, metavar="N"),),
        group=GROUP,
        examples=("/rtb queue jira-queue", "/rtb queue jira-queue --failed 20"),
    ),
    Command(
        "executions",
        "workflow_executions by type and status, avg/p95 duration, newest failures.",
        run_executions,
        flags=(
            Flag(
                "status",
                "only runs in this status",
                choice(*executions.STATUSES),
                metavar="failed|completed|running",
            ),
            Flag("type", "only this workflow type", text_arg(MAX_TYPE_LENGTH), metavar="T"),
            Flag("since", "window, e.g. 1h, 24h, 7d", duration, _SINCE_24H, metavar="24h"),
        ),
        group=GROUP,
        examples=("/rtb executions --status failed", "/rtb executions --type pr-review --since 1h"),
    ),
    Command(
        "costs",
        "AI API cost (ai_costs) against the daily threshold, Fargate preview cost per account.",
        run_costs,
        flags=(
            Flag("since", "window, e.g. 1h, 24h, 7d", duration, _SINCE_24H, metavar="1h|24h|7d"),
            Flag(
                "by",
                "group by model or env (default: both)",
                choice("model", "env"),
                metavar="model|env",
            ),
        ),
        group=GROUP,
        examples=("/rtb costs --since 1h", "/rtb costs --since 7d --by env"),
    ),
)
