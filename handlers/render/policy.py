"""`/rtb whoami`, `/rtb policy` and `/rtb audit`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from approvals.audit import AuditPage, AuditRecord
from approvals.policy import Decision, PolicyRow
from approvals.roles import RoleInfo
from handlers.render.approvals import when
from handlers.render.decisions import action_label, role_source
from handlers.render.errors import stored_text
from handlers.render.message import Message, code_block, context, escape, header, section
from ops.config import ENV_NAMES, HUB_ACTIONS, EnvName

_CELL = {"allow": "yes", "approval": "approval", "deny": "no"}
_ROLE_NOTES = {
    "lead": "You may request changes, and approve or reject other people's requests.",
    "operator": "You may request changes; prd changes wait for a team lead's approval.",
    "viewer": "Viewers cannot request changes; every read command works in every env.",
    "none": "You are not in any configured role: ask a team lead to add you.",
}
_ACTION_WIDTH = 18


def _grid(rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    lines = ["action".ljust(_ACTION_WIDTH) + "".join(env.ljust(10) for env in ENV_NAMES)]
    lines += [
        name.ljust(_ACTION_WIDTH) + "".join(c.ljust(10) for c in cells) for name, cells in rows
    ]
    return code_block([line.rstrip() for line in lines])


def render_policy(rows: Sequence[PolicyRow]) -> Message:
    grid = _grid([(row.action, _policy_cells(row)) for row in rows])
    restricted = [
        f"• `{row.action}` only in " + ", ".join(f"<#{c}>" for c in row.channels)
        for row in rows
        if row.channels
    ]
    blocks: list[Block] = [
        header("Access policy (runbook §8)"),
        section(grid),
        section("\n".join(f"• `{row.action}`: {escape(action_label(row.action))}" for row in rows)),
    ]
    if restricted:
        blocks.append(section("*Channel restrictions*\n" + "\n".join(restricted)))
    blocks.append(
        context(
            "yes: runs at once · approval: a team lead must approve · no/never: refused. "
            "Reads are allowed everywhere; any change not listed is denied; stg/prd core "
            "infrastructure is never modified from the bot. Viewers cannot request changes."
        )
    )
    return Message(text="Access policy", blocks=tuple(blocks), ephemeral=True)


def _policy_cells(row: PolicyRow) -> list[str]:
    return [_policy_cell(row.action, env, row.cells[env]) for env in ENV_NAMES]


def _policy_cell(action: str, env: EnvName, cell: str) -> str:
    if cell == "deny" and action in HUB_ACTIONS and env != "int":
        return "never"
    return _CELL.get(cell, cell)


def render_whoami(
    user_id: str, info: RoleInfo, allowed: Mapping[str, Mapping[EnvName, Decision]]
) -> Message:
    lines = [
        f"<@{user_id}>: *{info.role if info.role != 'none' else 'no role'}* "
        f"(from {escape(role_source(info))}).",
        _ROLE_NOTES[info.role],
    ]
    blocks: list[Block] = [section("\n".join(lines))]
    if info.may_request_changes:
        grid = _grid(
            [
                (action, [_policy_cell(action, env, d[env].outcome) for env in ENV_NAMES])
                for action, d in allowed.items()
            ]
        )
        blocks.append(section("What you may change:\n" + grid))
    return Message(text=f"You are {info.role}", blocks=tuple(blocks), ephemeral=True)


@dataclass(frozen=True)
class AuditWindow:
    scope: str  # "of the last 7 days by <@U…> in prd"
    start: datetime  # the real window's start
    next_page: str | None  # the command for older records; None on the last page


def render_audit(page: AuditPage, window: AuditWindow, tz: ZoneInfo) -> Message:
    since = f"since {when(window.start, tz)} ({tz.key})"
    if not page.records:
        empty = "past the last page: " if page.total else ""
        text = f"No audit events {empty}{window.scope}, {since}."
        return Message(text="No audit events", blocks=(section(text),), ephemeral=True)
    lines = [_audit_line(record, tz) for record in page.records]
    chunks, current = [], ""
    for line in lines:
        if len(current) + len(line) > 2800:
            chunks.append(current)
            current = ""
        current += line + "\n"
    chunks.append(current)
    first, last = page.offset + 1, page.offset + len(page.records)
    count = f"{first}–{last} of {page.total}" if page.total > len(page.records) else "all"
    more = f" · `{window.next_page}` for older ones" if window.next_page else ""
    blocks = [
        header(f"Audit log {window.scope}"),
        context(f"{since} · {count}, newest first{more}"),
        *(section(c) for c in chunks[:40]),
        context("`rtb-bot audit verify` checks the hash chain."),
    ]
    text = f"{len(page.records)} of {page.total} audit events"
    return Message(text=text, blocks=tuple(blocks), ephemeral=True)


def _audit_line(record: AuditRecord, tz: ZoneInfo) -> str:
    event = record.event
    actor = f"<@{event.actor}>" if event.actor[:1] in ("U", "W") else escape(event.actor)
    approval = f" ({event.approval_id})" if event.approval_id else ""
    why = stored_text(event.detail.get("reason") or event.detail.get("refused") or "")
    why = why.replace("_", " ")
    tail = f" — {escape(why)[:120]}" if why and event.outcome == "refused" else ""
    return (
        f"`#{record.id}` {when(record.at, tz)} {actor} *{escape(event.action)}*"
        f"{_target(event.params)} {event.env or ''} → {escape(event.outcome)}{approval}{tail}"
    )


def _target(params: Mapping[str, object]) -> str:
    """`namespace/name key=value …` from a mutation's parameters."""
    name = params.get("deployment") or params.get("name")
    namespace = params.get("namespace")
    rest = " ".join(
        f"{k}={v}" for k, v in params.items() if k not in ("deployment", "name", "namespace")
    )
    where = f"{namespace}/{name}" if namespace and name else str(name or namespace or "")
    return (f" `{escape(where)}`" if where else "") + (f" {escape(rest)}" if rest else "")
