"""`/rtb whoami`, `/rtb policy` and `/rtb audit`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from approvals.access_matrix import HUB_ACTIONS
from approvals.audit import AuditPage, AuditRecord
from approvals.policy import Decision, PolicyRow
from approvals.roles import RoleInfo
from handlers.render.approval_words import mention, when
from handlers.render.cluster_format import padded
from handlers.render.decisions import action_label, role_source
from handlers.render.i18n import N_, _, number, pgettext
from handlers.render.message import Message, code_block, context, escape, header, section
from handlers.render.stored_errors import stored_text
from ops.config import ENV_NAMES, EnvName

# short words whose Korean is the grid's own (허용, 승인 필요, 불가, 금지): a context each
_CELL = {
    "allow": lambda: pgettext("policy grid", "yes"),
    "approval": lambda: pgettext("policy grid", "approval"),
    "deny": lambda: pgettext("policy grid", "no"),
}
_ROLE_NOTES = {
    "lead": N_("You may request changes, and approve or reject other people's requests."),
    "operator": N_("You may request changes; prd changes wait for a team lead's approval."),
    "viewer": N_("Viewers cannot request changes; every read command works in every env."),
    "none": N_("You are not in any configured role: ask a team lead to add you."),
}
_ACTION_WIDTH = 18


def _grid(rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    head = padded(pgettext("policy grid", "action"), _ACTION_WIDTH) + "".join(
        padded(env, 10) for env in ENV_NAMES
    )
    lines = [head]
    lines += [
        padded(name, _ACTION_WIDTH) + "".join(padded(c, 10) for c in cells) for name, cells in rows
    ]
    return code_block([line.rstrip() for line in lines])


def render_policy(rows: Sequence[PolicyRow]) -> Message:
    grid = _grid([(row.action, _policy_cells(row)) for row in rows])
    restricted = [
        _(
            "• `{action}` only in {channels}",
            action=row.action,
            channels=", ".join(f"<#{c}>" for c in row.channels),
        )
        for row in rows
        if row.channels
    ]
    blocks: list[Block] = [
        header(_("Access policy (runbook §8)")),
        section(grid),
        section("\n".join(f"• `{row.action}`: {escape(action_label(row.action))}" for row in rows)),
    ]
    if restricted:
        restrictions = "\n".join(restricted)
        blocks.append(section(_("*Channel restrictions*\n{lines}", lines=restrictions)))
    blocks.append(
        context(
            _(
                "yes: runs at once · approval: a team lead must approve · no/never: refused. "
                "Reads are allowed everywhere; any change not listed is denied; stg/prd core "
                "infrastructure is never modified from the bot. Viewers cannot request changes."
            )
        )
    )
    return Message(text=_("Access policy"), blocks=tuple(blocks), ephemeral=True)


def _policy_cells(row: PolicyRow) -> list[str]:
    return [_policy_cell(row.action, env, row.cells[env]) for env in ENV_NAMES]


def _policy_cell(action: str, env: EnvName, cell: str) -> str:
    if cell == "deny" and action in HUB_ACTIONS and env != "int":
        return pgettext("policy grid", "never")
    return _CELL[cell]() if cell in _CELL else cell


def render_whoami(
    user_id: str, info: RoleInfo, allowed: Mapping[str, Mapping[EnvName, Decision]]
) -> Message:
    role = info.role if info.role != "none" else _("no role")
    lines = [
        _(
            "{user}: *{role}* (from {source}).",
            user=mention(user_id),
            role=role,
            source=escape(role_source(info)),
        ),
        _(_ROLE_NOTES[info.role]),
    ]
    blocks: list[Block] = [section("\n".join(lines))]
    if info.may_request_changes:
        grid = _grid(
            [
                (action, [_policy_cell(action, env, d[env].outcome) for env in ENV_NAMES])
                for action, d in allowed.items()
            ]
        )
        blocks.append(section(_("What you may change:\n{grid}", grid=grid)))
    return Message(text=_("You are {role}", role=info.role), blocks=tuple(blocks), ephemeral=True)


@dataclass(frozen=True)
class AuditWindow:
    scope: str  # "of the last 7 days by <@U…> in prd"
    start: datetime  # the real window's start
    next_page: str | None  # the command for older records; None on the last page


def render_audit(page: AuditPage, window: AuditWindow, tz: ZoneInfo) -> Message:
    since = _("since {at} ({zone})", at=when(window.start, tz), zone=tz.key)
    if not page.records:
        return _no_audit_events(page, window, since)
    chunks = _chunks([_audit_line(record, tz) for record in page.records])
    first, last = page.offset + 1, page.offset + len(page.records)
    count = (
        _("{first}–{last} of {total}", first=first, last=last, total=number(page.total))
        if page.total > len(page.records)
        else _("all")
    )
    if window.next_page:
        shown = _(
            "{since} · {count}, newest first · `{command}` for older ones",
            since=since,
            count=count,
            command=window.next_page,
        )
    else:
        shown = _("{since} · {count}, newest first", since=since, count=count)
    blocks = [
        header(_("Audit log {scope}", scope=window.scope)),
        context(shown),
        *(section(c) for c in chunks[:40]),
        context(_("`rtb-bot audit verify` checks the hash chain.")),
    ]
    text = _(
        "{count} of {total} audit events",
        count=number(len(page.records)),
        total=number(page.total),
    )
    return Message(text=text, blocks=tuple(blocks), ephemeral=True)


def _no_audit_events(page: AuditPage, window: AuditWindow, since: str) -> Message:
    if page.total:
        text = _(
            "No audit events past the last page: {scope}, {since}.",
            scope=window.scope,
            since=since,
        )
    else:
        text = _("No audit events {scope}, {since}.", scope=window.scope, since=since)
    return Message(text=_("No audit events"), blocks=(section(text),), ephemeral=True)


def _chunks(lines: Sequence[str]) -> list[str]:
    """Lines gathered into sections under Slack's 3000 characters."""
    chunks, current = [], ""
    for line in lines:
        if len(current) + len(line) > 2800:
            chunks.append(current)
            current = ""
        current += line + "\n"
    chunks.append(current)
    return chunks


def _audit_line(record: AuditRecord, tz: ZoneInfo) -> str:
    event = record.event
    actor = mention(event.actor) if event.actor[:1] in ("U", "W") else escape(event.actor)
    approval = f" ({event.approval_id})" if event.approval_id else ""
    why = _why_refused(event.detail)
    tail = f" — {escape(why)[:120]}" if why and event.outcome == "refused" else ""
    return (
        f"`#{record.id}` {when(record.at, tz)} {actor} *{escape(event.action)}*"
        f"{_target(event.params)} {event.env or ''} → {escape(event.outcome)}{approval}{tail}"
    )


# a decision refused for one of these (approvals.decisions.RefusalCode) audits only its code
_REFUSED: dict[str, str] = {
    "unknown_request": N_("no such request"),
    "busy": N_("another click was being handled"),
    "not_lead": N_("not a team lead"),
    "self_approval": N_("own request: another team lead must approve"),
    "not_pending": N_("already decided"),
    "expired": N_("expired"),
    "already_voted": N_("already approved by this lead"),
    "not_requester": N_("only the requester cancels"),
}


def _why_refused(detail: Mapping[str, object]) -> str:
    """A refusal's reason worded when shown (a code stored before a worded reason reads as
    its words: `self_approval`, not "self approval")."""
    reason, code = detail.get("reason"), detail.get("refused")
    if not reason and isinstance(code, str) and code in _REFUSED:
        return _(_REFUSED[code])
    return stored_text(reason or code or "").replace("_", " ")


def _target(params: Mapping[str, object]) -> str:
    """`namespace/name key=value …` from a mutation's parameters."""
    name = params.get("deployment") or params.get("name")
    namespace = params.get("namespace")
    rest = " ".join(
        f"{k}={v}" for k, v in params.items() if k not in ("deployment", "name", "namespace")
    )
    where = f"{namespace}/{name}" if namespace and name else str(name or namespace or "")
    return (f" `{escape(where)}`" if where else "") + (f" {escape(rest)}" if rest else "")
