"""The hub's service data: status, queues, executions and costs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.answer_buttons import queue_buttons
from handlers.render.failures import failure_text
from handlers.render.message import (
    Message,
    clip,
    code_block,
    context,
    escape,
    header,
    section,
)
from ops.costs import AiCosts, CostReport, CostWindow, FargateCost
from ops.executions import ExecutionFailure, ExecutionsReport
from ops.fanout import Failed, Part
from ops.queues import QueueCounts, QueueDetail, QueuesOverview
from ops.status import Indicator, IndicatorKey, State, StatusReport

MARKS: dict[State, str] = {
    "green": ":large_green_circle:",
    "red": ":red_circle:",
    "unknown": ":white_circle:",
}
LABELS: dict[IndicatorKey, str] = {
    "webhook_p99": "webhook-listener P99",
    "waiting_jobs": "BullMQ waiting jobs (busiest queue)",
    "error_rate": "workflow-engine error rate",
    "ai_cost_today": "AI cost today",
    "active_previews": "Active previews",
}
MAX_ROWS = 25
MAX_FAILURES_SHOWN = 10
REASON_CHARS = 200


# -- shared formatting ------------------------------------------------------------------------


def _count(value: float) -> str:
    return f"{int(value):,}"


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def _percent(value: float) -> str:
    return f"{value:.1f} %"


def _usd(value: float | Decimal) -> str:
    return f"${value:,.2f}"


def _duration_ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1000:
        return f"{value:.0f} ms"
    if value < 120_000:
        return f"{value / 1000:.1f} s"
    return f"{value / 60_000:.1f} min"


def _window(span: timedelta) -> str:
    """As typed in --since: 15m → "15 min", 24h → "24h", 7d → "7d"."""
    seconds = int(span.total_seconds())
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _local(moment: datetime, timezone: str, fmt: str = "%m-%d %H:%M") -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime(fmt)


def _failure(failed: Failed) -> str:
    return f"*{escape(failed.backend)}*: {escape(failure_text(failed))}"


def _user_text(text: str, limit: int = 60) -> str:
    """User input echoed back inside `code`: no backticks, short."""
    return escape(clip(text.replace("`", "'"), limit))


def _backend_text(text: str, limit: int = REASON_CHARS) -> str:
    """Text stored by the hub (job reasons, error messages): one line, escaped, clipped."""
    return escape(clip(" ".join(text.split()), limit))


# -- status -----------------------------------------------------------------------------------

_FORMATS: dict[IndicatorKey, Callable[[float], str]] = {
    "webhook_p99": _seconds,
    "waiting_jobs": _count,
    "error_rate": _percent,
    "ai_cost_today": lambda v: _usd(v),
    "active_previews": _count,
}
_THRESHOLDS: dict[IndicatorKey, Callable[[float], str]] = {
    "webhook_p99": lambda t: f"{t:g} s",
    "waiting_jobs": _count,
    "error_rate": lambda t: f"{t:g} %",
    "ai_cost_today": lambda t: f"${t:,.0f}",
    "active_previews": _count,
}


def format_value(key: IndicatorKey, value: float) -> str:
    """An indicator's value as /rtb status shows it (also the threshold alerts')."""
    return _FORMATS[key](value)


def format_threshold(key: IndicatorKey, threshold: float) -> str:
    return _THRESHOLDS[key](threshold)


def render_status(report: StatusReport, timezone: str) -> Message:
    scope = f"previews in {report.env}" if report.env else "previews in every env"
    title = f"rtb-ai-hub status · previews in {report.env}" if report.env else "rtb-ai-hub status"
    blocks: list[Block] = [header(title)]
    blocks += [section(_indicator_line(i, report, timezone)) for i in report.indicators]
    tally = _tally(report.indicators)
    blocks.append(
        context(
            f"{tally} · thresholds from runbook §3.1 · {scope} · "
            f"checked {_local(report.checked_at, timezone, '%H:%M:%S')} ({timezone})"
        )
    )
    return Message(text=f"rtb-ai-hub status: {tally}", blocks=tuple(blocks))


def _tally(indicators: Sequence[Indicator]) -> str:
    counts = {state: sum(i.state == state for i in indicators) for state in MARKS}
    return f"{counts['red']} red, {counts['green']} green, {counts['unknown']} unknown"


def _indicator_line(indicator: Indicator, report: StatusReport, timezone: str) -> str:
    label = LABELS[indicator.key]
    mark = MARKS[indicator.state]
    limit = _THRESHOLDS[indicator.key](indicator.threshold)
    if indicator.value is None:
        reasons = "; ".join(_failure(f) for f in indicator.failures)
        return f"{mark} *{label}* (threshold {limit}) — unknown: {reasons}"
    value = _FORMATS[indicator.key](indicator.value)
    if indicator.failures:
        value = f"≥ {value}"
    line = f"{mark} *{label}*  `{value}`  (threshold {limit})"
    detail = _DETAILS[indicator.key](report, timezone)
    if detail:
        line += f"\n{detail}"
    if indicator.failures:
        line += "\nNot counted: " + "; ".join(_failure(f) for f in indicator.failures)
    return line


def _latency_detail(report: StatusReport, timezone: str) -> str:
    if report.latency is None:
        return ""
    minutes = report.latency.period_seconds // 60
    return f"{minutes}-min period from {_local(report.latency.at, timezone, '%H:%M')}"


def _queues_detail(report: StatusReport, timezone: str) -> str:
    if report.queues is None:
        return ""
    busy = sorted(report.queues.queues, key=lambda q: -q.pending)
    parts = [f"{escape(q.name)} {q.pending:,}" for q in busy[:6]]
    more = len(busy) - 6
    text = " · ".join(parts) + (f" · +{more} more" if more > 0 else "")
    text += f" · total {report.queues.pending:,}"
    if report.queues.paused:
        text += "\n:double_vertical_bar: Paused: " + ", ".join(
            f"`{escape(n)}`" for n in report.queues.paused
        )
    return text


def _error_rate_detail(report: StatusReport, timezone: str) -> str:
    rate = report.error_rate
    if rate is None:
        return ""
    window = _window(rate.window)
    if not rate.finished:
        return f"no run finished in the last {window}"
    return f"{rate.failed:,} of {rate.finished:,} runs that finished in the last {window} failed"


def _cost_detail(report: StatusReport, timezone: str) -> str:
    cost = report.cost_today
    if cost is None:
        return ""
    return f"since {_local(cost.since, timezone, '%H:%M')} ({timezone}), {cost.calls:,} calls"


def _previews_detail(report: StatusReport, timezone: str) -> str:
    return " · ".join(f"{env} {count}" for env, count in report.previews.per_env)


_DETAILS: dict[IndicatorKey, Callable[[StatusReport, str], str]] = {
    "webhook_p99": _latency_detail,
    "waiting_jobs": _queues_detail,
    "error_rate": _error_rate_detail,
    "ai_cost_today": _cost_detail,
    "active_previews": _previews_detail,
}


# -- queues -----------------------------------------------------------------------------------

_QUEUE_COLUMNS = ("waiting", "prio", "delayed", "active", "failed", "completed", "children")


def _queue_row(q: QueueCounts, width: int) -> str:
    numbers = (q.pending, q.prioritized, q.delayed, q.active, q.failed, q.completed)
    cells = [f"{n:>{len(c) + 2},}" for n, c in zip(numbers, _QUEUE_COLUMNS, strict=False)]
    cells.append(f"{q.waiting_children:>{len(_QUEUE_COLUMNS[-1]) + 2},}")
    return f"{q.name:<{width}}" + "".join(cells)


def render_queues(overview: QueuesOverview) -> Message:
    if not overview.queues:
        return Message(
            text="No queues are watched",
            blocks=(section("No BullMQ queues are configured (`hub.queues`)."),),
        )
    width = max(5, *(len(q.name) for q in overview.queues)) + 1
    head = f"{'queue':<{width}}" + "".join(f"{c:>{len(c) + 2}}" for c in _QUEUE_COLUMNS)
    rows = [_queue_row(q, width) for q in overview.queues[:MAX_ROWS]]
    if len(overview.queues) > MAX_ROWS:
        rows.append(f"… {len(overview.queues) - MAX_ROWS} more")
    blocks: list[Block] = [
        header("BullMQ queues"),
        section(code_block([head, *rows])),
    ]
    if overview.paused:
        names = ", ".join(f"`{escape(n)}`" for n in overview.paused)
        blocks.append(section(f":double_vertical_bar: *Paused:* {names}"))
    blocks.append(
        context(
            f"{overview.pending:,} waiting in total · waiting = wait + prioritized "
            "(BullMQ's own count) · children = waiting-children · "
            "`/rtb queue <name>` for failed jobs"
        )
    )
    summary = f"{len(overview.queues)} queues, {overview.pending:,} waiting"
    if overview.paused:
        summary += f", {len(overview.paused)} paused"
    return Message(text=f"BullMQ queues: {summary}", blocks=tuple(blocks))


def render_queue(detail: QueueDetail, timezone: str) -> Message:
    q = detail.counts
    state = (
        ":double_vertical_bar: *paused*" if q.paused else ":arrow_forward: processing (not paused)"
    )
    fields = [
        f"*Waiting*\n{q.pending:,} ({q.prioritized:,} prioritized)",
        f"*Delayed*\n{q.delayed:,}",
        f"*Active*\n{q.active:,}",
        f"*Failed*\n{q.failed:,}",
        f"*Completed*\n{q.completed:,}",
        f"*Waiting-children*\n{q.waiting_children:,}",
    ]
    blocks: list[Block] = [
        header(f"Queue {q.name}"),
        section(state, fields=fields),
        section(_failed_jobs(detail, timezone)),
        queue_buttons(q),
    ]
    if not detail.configured:
        blocks.append(context("Not in the watched queues (`hub.queues`); found in Redis."))
    text = f"Queue {q.name}: {q.pending:,} waiting, {q.failed:,} failed"
    return Message(text=text + (", paused" if q.paused else ""), blocks=tuple(blocks))


def _failed_jobs(detail: QueueDetail, timezone: str) -> str:
    if not detail.failed_jobs:
        return "No failed jobs." if not detail.counts.failed else "Failed jobs not listed."
    lines = [f"*Newest failed jobs* ({len(detail.failed_jobs)} of {detail.counts.failed:,})"]
    for job in detail.failed_jobs:
        when = _local(job.failed_at, timezone) if job.failed_at else "?"
        attempts = f"{job.attempts} attempt" + ("" if job.attempts == 1 else "s")
        lines.append(
            f"• `{_user_text(job.id, 40)}` {_backend_text(job.name, 60)} — "
            f"{_backend_text(job.reason) or 'no reason recorded'} ({attempts}, {when})"
        )
    return "\n".join(lines)


# -- executions -------------------------------------------------------------------------------


def render_executions(
    report: ExecutionsReport, timezone: str, dashboard_url: str | None = None
) -> Message:
    title = f"Workflow executions — last {_window(report.since)}"
    filters = _execution_filters(report)
    blocks: list[Block] = [header(title)]
    if not report.groups:
        blocks.append(section(f"No executions{filters} in the last {_window(report.since)}."))
    else:
        blocks.append(section(_execution_summary(report) + filters))
        blocks.append(section(code_block(_execution_table(report))))
    if report.failures:
        blocks.append(section(_execution_failures(report.failures, timezone)))
    if dashboard_url:
        link = f"{dashboard_url.rstrip('/')}/executions?status=failed"
        blocks.append(context(f"<{escape(link)}|Failed executions in the dashboard>"))
    return Message(text=f"{title}: {report.runs():,} runs", blocks=tuple(blocks))


def _execution_filters(report: ExecutionsReport) -> str:
    parts = []
    if report.status:
        parts.append(f"status `{report.status}`")
    if report.workflow_type is not None:
        parts.append(f"type `{_user_text(report.workflow_type)}`")
    return f" ({', '.join(parts)})" if parts else ""


def _execution_summary(report: ExecutionsReport) -> str:
    completed, failed = report.runs("completed"), report.runs("failed")
    finished = completed + failed
    # a rate over one status is always 0 or 100 %: only the unfiltered view has one
    rate = (
        f" ({100 * failed / finished:.1f} % of finished)" if finished and not report.status else ""
    )
    return (
        f"*{report.runs():,} runs*: {completed:,} completed, {failed:,} failed{rate}, "
        f"{report.runs('running'):,} running"
    )


def _execution_table(report: ExecutionsReport) -> list[str]:
    width = max(4, *(len(g.workflow_type) for g in report.groups)) + 1
    width = min(width, 32)
    head = f"{'type':<{width}}{'status':<10}{'runs':>7}{'avg':>10}{'p95':>10}"
    rows = [
        f"{clip(g.workflow_type, width - 1):<{width}}{g.status:<10}{g.runs:>7,}"
        f"{_duration_ms(g.avg_ms):>10}{_duration_ms(g.p95_ms):>10}"
        for g in report.groups[:MAX_ROWS]
    ]
    if len(report.groups) > MAX_ROWS:
        rows.append(f"… {len(report.groups) - MAX_ROWS} more groups")
    return [head, *rows]


def _execution_failures(failures: Sequence[ExecutionFailure], timezone: str) -> str:
    lines = ["*Newest failures*"]
    for f in failures[:MAX_FAILURES_SHOWN]:
        when = _local(f.finished_at or f.started_at, timezone)
        issue = f" {escape(f.issue_key)}" if f.issue_key else ""
        lines.append(
            f"• {when} `{escape(f.workflow_type)}`{issue} ({escape(f.env)}) — "
            f"{_backend_text(f.error) or 'no error message'}"
        )
    return "\n".join(lines)


# -- costs ------------------------------------------------------------------------------------


def render_costs(report: CostReport, timezone: str) -> Message:
    """Every number covers `report.window`: its title says which."""
    title = _cost_window_title(report.window, timezone)
    blocks: list[Block] = [
        header(f"Costs — {title}"),
        section(_ai_total_line(report, timezone)),
        section(_ai_section(report.ai)),
        section(_fargate_section(report.fargate)),
    ]
    summary = f"AI cost, {title}: " + (
        _usd(report.ai.value.total_usd) if report.ai.value is not None else "unknown"
    )
    return Message(text=summary, blocks=tuple(blocks))


def _cost_window_title(window: CostWindow, timezone: str) -> str:
    if window.since is not None:
        return f"last {_window(window.since)}"
    assert window.day is not None
    if window.so_far:
        return f"today so far ({window.day:%Y-%m-%d}, {timezone})"
    return f"{window.day:%Y-%m-%d} ({timezone})"


def _ai_total_line(report: CostReport, timezone: str) -> str:
    """A calendar day is judged against the daily threshold; a rolling window cannot be."""
    limit = f"${report.threshold_usd:,.0f}/day"
    ai = report.ai
    if ai.value is None:
        assert ai.failure is not None
        return f"{MARKS['unknown']} *AI cost* ({limit}) — unknown: {_failure(ai.failure)}"
    total, calls = ai.value.total_usd, ai.value.calls
    if report.window.day is None:
        return (
            f"*AI cost*  `{_usd(total)}`, {calls:,} calls — the {limit} threshold is per "
            "calendar day: `/rtb costs` (today) or `/rtb costs --day yesterday`"
        )
    mark = MARKS["red"] if total > Decimal(str(report.threshold_usd)) else MARKS["green"]
    if report.window.so_far:
        until = _local(report.window.end, timezone, "%H:%M")
        span = f"00:00–{until} ({timezone})"
    else:
        span = f"the whole day ({timezone})"
    return f"{mark} *AI cost*  `{_usd(total)}`  (threshold {limit}) — {span}, {calls:,} calls"


def _ai_section(ai: Part[AiCosts]) -> str:
    if ai.value is None:
        assert ai.failure is not None
        return f"*AI API cost* (`ai_costs`) — unknown: {_failure(ai.failure)}"
    costs = ai.value
    grouping = {None: "model and env", "model": "model", "env": "env"}[costs.by]
    title = f"*AI API cost by {grouping}*"
    if not costs.lines:
        return f"{title}\nNo AI calls recorded."
    return f"{title}\n{code_block(_cost_table(costs))}"


def _cost_table(costs: AiCosts) -> list[str]:
    labels = [" ".join(v for v in (line.model, line.env) if v is not None) for line in costs.lines]
    width = min(max(5, *(len(label) for label in labels)) + 1, 40)
    head = f"{'':<{width}}{'calls':>8}{'cost':>13}"
    rows = [
        f"{clip(label, width - 1):<{width}}{line.calls:>8,}{_usd(line.total_usd):>13}"
        for label, line in zip(labels[:MAX_ROWS], costs.lines, strict=False)
    ]
    if len(costs.lines) > MAX_ROWS:
        rows.append(f"… {len(costs.lines) - MAX_ROWS} more")
    total = f"{'total':<{width}}{costs.calls:>8,}{_usd(costs.total_usd):>13}"
    return [head, *rows, "-" * len(head), total]


def _fargate_section(fargate: Sequence[tuple[str, Part[FargateCost]]]) -> str:
    lines = ["*Fargate preview cost* (Cost Explorer, tag `env: preview`)"]
    for env, part in fargate:
        if part.value is None:
            assert part.failure is not None
            lines.append(f"• *{env}* — unknown: {_failure(part.failure)}")
            continue
        cost = part.value
        last = f", last day {_usd(cost.days[-1][1])}" if cost.days else ""
        lines.append(
            f"• *{env}* ({cost.account_id}) `{_usd(cost.total_usd)}` over "
            f"{cost.start:%m-%d} → {cost.end - timedelta(days=1):%m-%d} (UTC days){last}"
        )
    return "\n".join(lines)
