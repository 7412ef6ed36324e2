"""A runbook §5.3 diagnosis as one Slack message: checks, likely cause, next commands."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

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
MAX_CHECKS_SHOWN = 40  # with the header, cause, next steps and footer: under Slack's 50 blocks
FINDING_CHARS = 1500


def render_diagnosis(diagnosis: Diagnosis, timezone: str) -> Message:
    checks = diagnosis.checks[:MAX_CHECKS_SHOWN]
    blocks: list[Block] = [header(f"Diagnose: {diagnosis.title}")]
    blocks += [section(_check_line(check)) for check in checks]
    blocks.append(section(f"*Likely cause*\n{escape(diagnosis.likely_cause)}"))
    if diagnosis.next_commands:
        blocks.append(section("*Next*\n" + "\n".join(_command(c) for c in diagnosis.next_commands)))
    checked = diagnosis.checked_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S")
    blocks.append(
        context(f"{_tally(diagnosis.checks)} · runbook §5.3 · checked {checked} ({timezone})")
    )
    text = clip(f"Diagnose {diagnosis.title}: {diagnosis.likely_cause}", 300)
    return Message(text=text, blocks=tuple(blocks))


def _check_line(check: Check) -> str:
    finding = escape(clip(check.finding, FINDING_CHARS))
    return f"{MARKS[check.state]} *{escape(check.name)}* — {finding}"


def _command(suggestion: Suggestion) -> str:
    """In `code`, where a backtick cannot stand: one in a value (never in a kube name, an env
    or a key) is shown as a quote."""
    return "`" + escape(command_line(suggestion).replace("`", "'")) + "`"


def _tally(checks: Sequence[Check]) -> str:
    counts = {state: sum(c.state == state for c in checks) for state in MARKS}
    words = {"ok": "ok", "warn": "to watch", "fail": "failed", "unknown": "unknown"}
    return ", ".join(
        f"{counts[s]} {words[s]}" for s in ("fail", "warn", "ok", "unknown") if counts[s]
    )
