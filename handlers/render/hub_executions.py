"""`/rtb executions`: the hub's workflow runs over a window, by type and status."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from handlers.render.cluster_format import padded
from handlers.render.hub_format import backend_text, duration_ms, local, user_text, window
from handlers.render.i18n import _, number, pgettext
from handlers.render.message import Message, clip, code_block, context, escape, header, section
from ops.executions import ExecutionFailure, ExecutionsReport

MAX_ROWS = 25
MAX_FAILURES_SHOWN = 10


def render_executions(
    report: ExecutionsReport, timezone: str, dashboard_url: str | None = None
) -> Message:
    title = _("Workflow executions — last {window}", window=window(report.since))
    filters = _execution_filters(report)
    blocks: list[Block] = [header(title)]
    if not report.groups:
        blocks.append(
            section(
                _(
                    "No executions{filters} in the last {window}.",
                    filters=filters,
                    window=window(report.since),
                )
            )
        )
    else:
        blocks.append(section(_execution_summary(report) + filters))
        blocks.append(section(code_block(_execution_table(report))))
    if report.failures:
        blocks.append(section(_execution_failures(report.failures, timezone)))
    if dashboard_url:
        link = escape(f"{dashboard_url.rstrip('/')}/executions?status=failed")
        blocks.append(context(_("<{link}|Failed executions in the dashboard>", link=link)))
    runs = number(report.runs())
    return Message(text=_("{title}: {runs} runs", title=title, runs=runs), blocks=tuple(blocks))


def _execution_filters(report: ExecutionsReport) -> str:
    parts = []
    if report.status:
        parts.append(_("status `{status}`", status=report.status))
    if report.workflow_type is not None:
        parts.append(_("type `{type}`", type=user_text(report.workflow_type)))
    return f" ({', '.join(parts)})" if parts else ""


def _execution_summary(report: ExecutionsReport) -> str:
    completed, failed = report.runs("completed"), report.runs("failed")
    finished = completed + failed
    words = {
        "runs": number(report.runs()),
        "completed": number(completed),
        "failed": number(failed),
        "running": number(report.runs("running")),
    }
    # a rate over one status is always 0 or 100 %: only the unfiltered view has one
    if finished and not report.status:
        return _(
            "*{runs} runs*: {completed} completed, {failed} failed ({rate} % of finished), "
            "{running} running",
            rate=f"{100 * failed / finished:.1f}",
            **words,
        )
    return _("*{runs} runs*: {completed} completed, {failed} failed, {running} running", **words)


def _execution_table(report: ExecutionsReport) -> list[str]:
    width = max(4, *(len(g.workflow_type) for g in report.groups)) + 1
    width = min(width, 32)
    head = "".join(
        (
            padded(pgettext("executions table", "type"), width),
            padded(pgettext("executions table", "status"), 10),
            padded(pgettext("executions table", "runs"), 7, right=True),
            padded(pgettext("executions table", "avg"), 10, right=True),
            padded("p95", 10, right=True),
        )
    )
    rows = [
        f"{clip(g.workflow_type, width - 1):<{width}}{g.status:<10}{g.runs:>7,}"
        f"{duration_ms(g.avg_ms):>10}{duration_ms(g.p95_ms):>10}"
        for g in report.groups[:MAX_ROWS]
    ]
    if len(report.groups) > MAX_ROWS:
        rows.append(_("… {more} more groups", more=len(report.groups) - MAX_ROWS))
    return [head, *rows]


def _execution_failures(failures: Sequence[ExecutionFailure], timezone: str) -> str:
    lines = [_("*Newest failures*")]
    for f in failures[:MAX_FAILURES_SHOWN]:
        issue = f" {escape(f.issue_key)}" if f.issue_key else ""
        lines.append(
            _(
                "• {when} `{type}`{issue} ({env}) — {error}",
                when=local(f.finished_at or f.started_at, timezone),
                type=escape(f.workflow_type),
                issue=issue,
                env=escape(f.env),
                error=backend_text(f.error) or _("no error message"),
            )
        )
    return "\n".join(lines)
