"""Approvals: `/rtb audit`, the bot's own audit log (requests, refusals, decisions, results)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from approvals.audit import AuditPage
from handlers.context import CommandCall
from handlers.render.audit_scope import render_audit_scope
from handlers.render.i18n import N_, _
from handlers.render.message import Message
from handlers.render.policy import AuditWindow, render_audit
from handlers.spec import ENV, Command, Flag, bounded_int, duration

GROUP = "Approvals"
_USER = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")


def slack_user(text: str) -> str:
    """`@someone` as Slack escapes it (`<@U0123|name>`), or a bare user id."""
    match = _USER.match(text.strip())
    if not match:
        raise ValueError(_("must be a Slack user: a mention or an id like U0123ABC"))
    return match[1] or match[2]


PAGE_SIZE = 30


async def run_audit(call: CommandCall) -> Message:
    gate, values = call.deps.gate, call.values
    start = datetime.now(UTC) - values["since"]
    page = await gate.audit.search(
        start,
        user=values["user"],
        env=values["env"],
        limit=PAGE_SIZE,
        offset=(values["page"] - 1) * PAGE_SIZE,
    )
    scope = render_audit_scope(values["since"], values["user"], values["env"])
    return render_audit(page, AuditWindow(scope, start, _next_page(call, page)), gate.timezone)


def _next_page(call: CommandCall, page: AuditPage) -> str | None:
    """The command that shows the next, older page, filters kept; None on the last page."""
    if page.offset + len(page.records) >= page.total:
        return None
    words = [f"/rtb audit --since {duration_words(call.values['since'])}"]  # a name
    if call.values["user"]:
        words.append(f"--user {call.values['user']}")
    if call.values["env"]:
        words.append(f"--env {call.values['env']}")
    return " ".join([*words, f"--page {call.values['page'] + 1}"])


def duration_words(span: timedelta) -> str:
    """A duration as `--since` takes it back: 7d, 36h, 90m."""
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


COMMANDS = (
    Command(
        "audit",
        N_("The bot's audit log: requests, refusals, approvals and results (newest first)."),
        run_audit,
        flags=(
            Flag(
                "since",
                N_("how far back (default 7d)"),
                duration,
                default=duration("7d"),
                metavar="7d",
            ),
            Flag("user", N_("only this user (a mention or an id)"), slack_user, metavar="@user"),
            Flag("env", N_("only this env"), ENV, metavar="env"),
            Flag(
                "page",
                N_("older records, 30 a page"),
                bounded_int(1, 10_000),
                default=1,
                metavar="2",
            ),
        ),
        group=GROUP,
        examples=("/rtb audit", "/rtb audit --since 24h --env prd"),  # a name
    ),
)
