"""`/rtb costs`: AI API cost (the hub's `ai_costs`) and Fargate preview cost (Cost Explorer)
over one window, the AI total judged against the daily threshold when the window is a day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from slack_sdk.models.blocks import Block

from handlers.render.cluster_format import columns, padded
from handlers.render.hub_format import MARKS, failure, local, usd, whole_usd, window
from handlers.render.i18n import N_, _, number, pgettext
from handlers.render.message import Message, clip, code_block, header, section
from ops.costs import AiCosts, CostReport, CostWindow, FargateCost
from ops.fanout import Part

MAX_ROWS = 25


def render_costs(report: CostReport, timezone: str) -> Message:
    """Every number covers `report.window`: its title says which."""
    title = _cost_window_title(report.window, timezone)
    blocks: list[Block] = [
        header(_("Costs — {window}", window=title)),
        section(_ai_total_line(report, timezone)),
        section(_ai_section(report.ai)),
        section(_fargate_section(report.fargate)),
    ]
    ai = report.ai.value
    summary = (
        _("AI cost, {window}: {total}", window=title, total=usd(ai.total_usd))
        if ai is not None
        else _("AI cost, {window}: unknown", window=title)
    )
    return Message(text=summary, blocks=tuple(blocks))


def _cost_window_title(window_: CostWindow, timezone: str) -> str:
    if window_.since is not None:
        return _("last {window}", window=window(window_.since))
    assert window_.day is not None
    day = f"{window_.day:%Y-%m-%d}"
    if window_.so_far:
        return _("today so far ({day}, {zone})", day=day, zone=timezone)
    return f"{day} ({timezone})"


def _ai_total_line(report: CostReport, timezone: str) -> str:
    """A calendar day is judged against the daily threshold; a rolling window cannot be."""
    limit = _("{amount}/day", amount=whole_usd(report.threshold_usd))
    ai = report.ai
    if ai.value is None:
        assert ai.failure is not None
        return _(
            "{mark} *AI cost* ({limit}) — unknown: {failure}",
            mark=MARKS["unknown"],
            limit=limit,
            failure=failure(ai.failure),
        )
    total, calls = usd(ai.value.total_usd), number(ai.value.calls)
    if report.window.day is None:
        return _(
            "*AI cost*  `{total}`, {calls} calls — the {limit} threshold is per calendar day: "
            "`/rtb costs` (today) or `/rtb costs --day yesterday`",
            total=total,
            calls=calls,
            limit=limit,
        )
    over = ai.value.total_usd > Decimal(str(report.threshold_usd))
    words = {
        "mark": MARKS["red"] if over else MARKS["green"],
        "total": total,
        "limit": limit,
        "calls": calls,
        "zone": timezone,
    }
    if report.window.so_far:
        until = local(report.window.end, timezone, "%H:%M")
        return _(
            "{mark} *AI cost*  `{total}`  (threshold {limit}) — 00:00–{until} ({zone}), "
            "{calls} calls",
            until=until,
            **words,
        )
    return _(
        "{mark} *AI cost*  `{total}`  (threshold {limit}) — the whole day ({zone}), {calls} calls",
        **words,
    )


_GROUPINGS = {
    None: N_("*AI API cost by model and env*"),
    "model": N_("*AI API cost by model*"),
    "env": N_("*AI API cost by env*"),
}


def _ai_section(ai: Part[AiCosts]) -> str:
    if ai.value is None:
        assert ai.failure is not None
        return _("*AI API cost* (`ai_costs`) — unknown: {failure}", failure=failure(ai.failure))
    costs = ai.value
    title = _(_GROUPINGS[costs.by])
    if not costs.lines:
        return title + "\n" + _("No AI calls recorded.")
    return f"{title}\n{code_block(_cost_table(costs))}"


def _cost_table(costs: AiCosts) -> list[str]:
    labels = [" ".join(v for v in (line.model, line.env) if v is not None) for line in costs.lines]
    width = min(max(5, *(len(label) for label in labels)) + 1, 40)
    calls, cost = pgettext("cost table", "calls"), pgettext("cost table", "cost")
    head = " " * width + padded(calls, 8, right=True) + padded(cost, 13, right=True)
    rows = [
        f"{clip(label, width - 1):<{width}}{line.calls:>8,}{usd(line.total_usd):>13}"
        for label, line in zip(labels[:MAX_ROWS], costs.lines, strict=False)
    ]
    if len(costs.lines) > MAX_ROWS:
        rows.append(_("… {more} more", more=len(costs.lines) - MAX_ROWS))
    total = padded(pgettext("cost table", "total"), width) + (
        f"{costs.calls:>8,}{usd(costs.total_usd):>13}"
    )
    return [head, *rows, "-" * columns(head), total]


def _fargate_section(fargate: Sequence[tuple[str, Part[FargateCost]]]) -> str:
    lines = [_("*Fargate preview cost* (Cost Explorer, tag `env: preview`)")]
    for env, part in fargate:
        if part.value is None:
            assert part.failure is not None
            lines.append(
                _("• *{env}* — unknown: {failure}", env=env, failure=failure(part.failure))
            )
            continue
        cost = part.value
        words = {
            "env": env,
            "account": cost.account_id,
            "total": usd(cost.total_usd),
            "start": f"{cost.start:%m-%d}",
            "end": f"{cost.end - timedelta(days=1):%m-%d}",
        }
        lines.append(
            _(
                "• *{env}* ({account}) `{total}` over {start} → {end} (UTC days), last day {last}",
                last=usd(cost.days[-1][1]),
                **words,
            )
            if cost.days
            else _("• *{env}* ({account}) `{total}` over {start} → {end} (UTC days)", **words)
        )
    return "\n".join(lines)
