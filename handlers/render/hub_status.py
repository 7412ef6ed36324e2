"""`/rtb status`: the runbook's five indicators (§3.1) against their thresholds."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slack_sdk.models.blocks import Block

from handlers.render.hub_format import MARKS, count, failure, local, usd, whole_usd, window
from handlers.render.i18n import N_, _, number
from handlers.render.message import Message, context, escape, header, section
from ops.status import Indicator, IndicatorKey, StatusReport

# Marked for the catalogs; shown with `_(LABELS[key])`.
LABELS: dict[IndicatorKey, str] = {
    "webhook_p99": N_("webhook-listener P99"),
    "waiting_jobs": N_("BullMQ waiting jobs (busiest queue)"),
    "error_rate": N_("workflow-engine error rate"),
    "ai_cost_today": N_("AI cost today"),
    "active_previews": N_("Active previews"),
}


def _seconds(value: float) -> str:
    return _("{seconds} s", seconds=f"{value:.2f}")


def _percent(value: float) -> str:
    return f"{value:.1f} %"


_FORMATS: dict[IndicatorKey, Callable[[float], str]] = {
    "webhook_p99": _seconds,
    "waiting_jobs": count,
    "error_rate": _percent,
    "ai_cost_today": lambda v: usd(v),
    "active_previews": count,
}
_THRESHOLDS: dict[IndicatorKey, Callable[[float], str]] = {
    "webhook_p99": lambda t: _("{seconds} s", seconds=f"{t:g}"),
    "waiting_jobs": count,
    "error_rate": lambda t: f"{t:g} %",
    "ai_cost_today": whole_usd,
    "active_previews": count,
}


def format_value(key: IndicatorKey, value: float) -> str:
    """An indicator's value as /rtb status shows it (also the threshold alerts')."""
    return _FORMATS[key](value)


def format_threshold(key: IndicatorKey, threshold: float) -> str:
    return _THRESHOLDS[key](threshold)


def render_status(report: StatusReport, timezone: str) -> Message:
    title = (
        _("rtb-ai-hub status · previews in {env}", env=report.env)
        if report.env
        else _("rtb-ai-hub status")
    )
    blocks: list[Block] = [header(title)]
    blocks += [section(_indicator_line(i, report, timezone)) for i in report.indicators]
    tally = _tally(report.indicators)
    words = {
        "tally": tally,
        "env": report.env,
        "time": local(report.checked_at, timezone, "%H:%M:%S"),
        "zone": timezone,
    }
    blocks.append(
        context(
            _(
                "{tally} · thresholds from runbook §3.1 · previews in {env} · checked {time} "
                "({zone})",
                **words,
            )
            if report.env
            else _(
                "{tally} · thresholds from runbook §3.1 · previews in every env · checked "
                "{time} ({zone})",
                **words,
            )
        )
    )
    return Message(text=_("rtb-ai-hub status: {tally}", tally=tally), blocks=tuple(blocks))


def _tally(indicators: Sequence[Indicator]) -> str:
    counts = {state: sum(i.state == state for i in indicators) for state in MARKS}
    return _(
        "{red} red, {green} green, {unknown} unknown",
        red=counts["red"],
        green=counts["green"],
        unknown=counts["unknown"],
    )


def _indicator_line(indicator: Indicator, report: StatusReport, timezone: str) -> str:
    words = {
        "mark": MARKS[indicator.state],
        "label": _(LABELS[indicator.key]),
        "limit": _THRESHOLDS[indicator.key](indicator.threshold),
    }
    if indicator.value is None:
        reasons = "; ".join(failure(f) for f in indicator.failures)
        return _(
            "{mark} *{label}* (threshold {limit}) — unknown: {reasons}", reasons=reasons, **words
        )
    value = _FORMATS[indicator.key](indicator.value)
    if indicator.failures:
        value = f"≥ {value}"
    line = _("{mark} *{label}*  `{value}`  (threshold {limit})", value=value, **words)
    detail = _DETAILS[indicator.key](report, timezone)
    if detail:
        line += f"\n{detail}"
    if indicator.failures:
        reasons = "; ".join(failure(f) for f in indicator.failures)
        line += "\n" + _("Not counted: {reasons}", reasons=reasons)
    return line


def _latency_detail(report: StatusReport, timezone: str) -> str:
    if report.latency is None:
        return ""
    return _(
        "{minutes}-min period from {time}",
        minutes=report.latency.period_seconds // 60,
        time=local(report.latency.at, timezone, "%H:%M"),
    )


def _queues_detail(report: StatusReport, timezone: str) -> str:
    if report.queues is None:
        return ""
    busy = sorted(report.queues.queues, key=lambda q: -q.pending)
    parts = [f"{escape(q.name)} {number(q.pending)}" for q in busy[:6]]
    more = len(busy) - 6
    if more > 0:
        parts.append(_("+{more} more", more=more))
    parts.append(_("total {count}", count=number(report.queues.pending)))
    text = " · ".join(parts)
    if report.queues.paused:
        names = ", ".join(f"`{escape(n)}`" for n in report.queues.paused)
        text += "\n" + _(":double_vertical_bar: Paused: {names}", names=names)
    return text


def _error_rate_detail(report: StatusReport, timezone: str) -> str:
    rate = report.error_rate
    if rate is None:
        return ""
    if not rate.finished:
        return _("no run finished in the last {window}", window=window(rate.window))
    return _(
        "{failed} of {finished} runs that finished in the last {window} failed",
        failed=number(rate.failed),
        finished=number(rate.finished),
        window=window(rate.window),
    )


def _cost_detail(report: StatusReport, timezone: str) -> str:
    cost = report.cost_today
    if cost is None:
        return ""
    return _(
        "since {time} ({zone}), {calls} calls",
        time=local(cost.since, timezone, "%H:%M"),
        zone=timezone,
        calls=number(cost.calls),
    )


def _previews_detail(report: StatusReport, timezone: str) -> str:
    return " · ".join(f"{env} {count}" for env, count in report.previews.per_env)


_DETAILS: dict[IndicatorKey, Callable[[StatusReport, str], str]] = {
    "webhook_p99": _latency_detail,
    "waiting_jobs": _queues_detail,
    "error_rate": _error_rate_detail,
    "ai_cost_today": _cost_detail,
    "active_previews": _previews_detail,
}
