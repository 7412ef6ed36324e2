"""Approvals: `/rtb audit`, the bot's own audit log (requests, refusals, decisions, results)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from handlers.context import CommandCall
from handlers.render.message import Message
from handlers.render.policy import render_audit
from handlers.spec import ENV, Command, Flag, duration

GROUP = "Approvals"
_USER = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")


def slack_user(text: str) -> str:
    """`@someone` as Slack escapes it (`<@U0123|name>`), or a bare user id."""
    match = _USER.match(text.strip())
    if not match:
        raise ValueError("must be a Slack user: a mention or an id like U0123ABC")
    return match[1] or match[2]


async def run_audit(call: CommandCall) -> Message:
    gate, values = call.deps.require_gate(), call.values
    since: timedelta = values["since"]
    records = await gate.audit.search(
        datetime.now(UTC) - since, user=values["user"], env=values["env"]
    )
    return render_audit(
        records, _scope(values["since"], values["user"], values["env"]), gate.timezone
    )


def _scope(since: timedelta, user: str | None, env: str | None) -> str:
    scope = f"of the last {_humane(since)}"
    if user:
        scope += f" by <@{user}>"
    if env:
        scope += f" in {env}"
    return scope


def _humane(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 24 else f"{hours:g} hours"


COMMANDS = (
    Command(
        "audit",
        "The bot's audit log: requests, refusals, approvals and results (newest first).",
        run_audit,
        flags=(
            Flag(
                "since", "how far back (default 7d)", duration, default=duration("7d"), metavar="7d"
            ),
            Flag("user", "only this user (a mention or an id)", slack_user, metavar="@user"),
            Flag("env", "only this env", ENV, metavar="env"),
        ),
        group=GROUP,
        examples=("/rtb audit", "/rtb audit --since 24h --env prd"),
    ),
)
