"""A runbook §5.3 diagnosis as one Slack message: checks, likely cause, next commands.

The playbooks (`ops/diagnose/`) return data; every word is written here and in the modules
beside it (`diagnose_checks.py`, `diagnose_preview.py`, `diagnose_causes.py`), in the reader's
language. Backend text (a log message, an error) is shown as it came, escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.diagnose_causes import likely_cause
from handlers.render.diagnose_checks import check_name, finding
from handlers.render.i18n import N_, _, number
from handlers.render.message import Message, clip, context, escape, header, section
from handlers.render.suggestions import command_line
from ops.diagnose import Check, CheckState, Diagnosis
from ops.suggestions import Suggestion

MARKS: dict[CheckState, str] = {
    "ok": ":large_green_circle:",
    "warn": ":warning:",
    "fail": ":red_circle:",
    "unknown": ":white_circle:",
}
TALLY: dict[CheckState, str] = {  # in the order shown
    "fail": N_("{count} failed"),
    "warn": N_("{count} to watch"),
    "ok": N_("{count} ok"),
    "unknown": N_("{count} unknown"),
}
TITLES = {
    "preview": N_("preview {key}"),
    "backlog": N_("BullMQ backlog"),
    "costs": N_("AI cost"),
}
MAX_CHECKS_SHOWN = 40  # with the header, cause, next steps and footer: under Slack's 50 blocks
FINDING_CHARS = 1500


def render_diagnosis(diagnosis: Diagnosis, timezone: str) -> Message:
    title = _(TITLES[diagnosis.playbook], key=diagnosis.key)
    cause = likely_cause(diagnosis.causes, diagnosis.conclusion)
    checks = diagnosis.checks[:MAX_CHECKS_SHOWN]
    blocks: list[Block] = [header(_("Diagnose: {title}", title=title))]
    blocks += [section(_check_line(check, timezone)) for check in checks]
    blocks.append(section(_("*Likely cause*\n{cause}", cause=escape(cause))))
    if diagnosis.next_commands:
        commands = "\n".join(_command(c) for c in diagnosis.next_commands)
        blocks.append(section(_("*Next*\n{commands}", commands=commands)))
    checked = diagnosis.checked_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S")
    footer = _(
        "{tally} · runbook §5.3 · checked {time} ({timezone})",
        tally=_tally(diagnosis.checks),
        time=checked,
        timezone=timezone,
    )
    blocks.append(context(footer))
    text = clip(_("Diagnose {title}: {cause}", title=title, cause=cause), 300)
    return Message(text=text, blocks=tuple(blocks))


def _check_line(check: Check, timezone: str) -> str:
    found = escape(clip(finding(check, timezone), FINDING_CHARS))
    return f"{MARKS[check.state]} *{escape(check_name(check))}* — {found}"


def _command(suggestion: Suggestion) -> str:
    """In `code`, where a backtick cannot stand: one in a value (never in a kube name, an env
    or a key) is shown as a quote."""
    return "`" + escape(command_line(suggestion).replace("`", "'")) + "`"


def _tally(checks: Sequence[Check]) -> str:
    counts = {state: sum(c.state == state for c in checks) for state in MARKS}
    return ", ".join(
        _(TALLY[state], count=number(counts[state])) for state in TALLY if counts[state]
    )
