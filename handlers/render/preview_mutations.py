"""Answers to preview create / delete / cleanup: what was created or deleted, per env."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from approvals.outcomes import ApprovalRequested, GateOutcome, Ran, ReasonNeeded, Refused
from handlers.render.approvals import render_ran, when
from handlers.render.decisions import decision_reason
from handlers.render.errors import stored_text
from handlers.render.message import Message, context, escape, header, section
from handlers.render.preview_cleanup import cleanup_done, cleanup_removed
from ops.cluster import parse_time
from ops.config import EnvName
from ops.fanout import Failed
from ops.preview_cleanup import CleanupWay
from ops.preview_namespaces import ExpiredPreview


def ago(moment: datetime, now: datetime) -> str:
    """`5 h ago`, `in 1 h 30 min`, `in 20 min` (to the nearest minute)."""
    seconds = (moment - now).total_seconds()
    hours, minutes = divmod(max(round(abs(seconds) / 60), 1), 60)
    amount = f"{minutes} min"
    if hours:
        amount = f"{hours} h" + (f" {minutes} min" if minutes and hours < 10 else "")
    return f"{amount} ago" if seconds < 0 else f"in {amount}"


def render_preview_created(ran: Ran, tz: ZoneInfo, now: datetime) -> Message:
    result = ran.run.result
    expires = parse_time(result.get("expires_at"))
    if ran.run.status != "succeeded" or expires is None:
        return render_ran(ran)
    name, key = escape(str(result["namespace"])), escape(str(result["issue_key"]))
    text = (
        f":white_check_mark: Created `{name}` in *{ran.spec.env}* for {key}: it expires "
        f"{when(expires, tz)} ({ago(expires, now)}), requested by "
        f"<@{escape(str(result['requested_by']))}>."
    )
    return Message(
        text=f"Created {name} in {ran.spec.env} for {key}",
        blocks=(
            section(text),
            context(f"{decision_reason(ran.decision)} · `/rtb previews {ran.spec.env}`"),
        ),
    )


def render_preview_deleted(ran: Ran) -> Message:
    result = ran.run.result
    if ran.run.status != "succeeded":
        return render_ran(ran)
    name = escape(str(result.get("namespace", ran.spec.target)))
    key = f" ({escape(str(result['issue_key']))})" if result.get("issue_key") else ""
    text = (
        f":wastebasket: Deleted `{name}`{key} in *{ran.spec.env}*: the namespace and everything "
        "in it are being removed."
    )
    return Message(
        text=f"Deleted {name} in {ran.spec.env}",
        blocks=(section(text), context(decision_reason(ran.decision))),
    )


# -- cleanup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvCleanup:
    """One env of `/rtb preview cleanup`: what was found expired and what became of it."""

    env: EnvName
    expired: tuple[ExpiredPreview, ...] = ()
    list_failure: Failed | None = None  # the env's previews could not be listed
    outcome: GateOutcome | None = None  # None: a dry run, nothing expired, or no answer
    run_failure: Failed | None = None  # the gate did not answer in time: outcome unknown
    via: CleanupWay = "namespaces"  # how it runs (ops.preview_cleanup)


def render_cleanup(
    envs: Sequence[EnvCleanup], *, dry_run: bool, now: datetime, tz: ZoneInfo, approvals: str
) -> Message:
    title = "Preview cleanup — dry run, nothing deleted" if dry_run else "Preview cleanup"
    blocks: list[Block] = [header(title)]
    blocks += [section(_env_cleanup(e, dry_run, now, tz, approvals)) for e in envs]
    blocks.append(
        context("Expired: past its `rtb.io/expires-at` and not already being deleted (§5.1).")
    )
    return Message(text=f"{title}: {_summary(envs, dry_run)}", blocks=tuple(blocks[:50]))


def _summary(envs: Sequence[EnvCleanup], dry_run: bool) -> str:
    found = sum(len(e.expired) for e in envs)
    if dry_run:
        return f"{found} expired preview(s) would be deleted"
    removed = [cleanup_removed(_result(e)) for e in envs]
    deleted = f"{sum(n or 0 for n in removed)}{'+' if None in removed else ''}"
    failed = sum(len(_result(e).get("failed") or []) for e in envs)
    unclear = sum(len(_result(e).get("unknown") or []) for e in envs)
    unknown = sum(1 for e in envs if _status(e) == "unknown" or e.run_failure is not None)
    maybe = f", {unclear} without a clear answer" if unclear else ""
    maybe += f", {unknown} env(s) with an unknown outcome" if unknown else ""
    return f"{deleted} deleted, {failed} failed, {found} found expired{maybe}"


def _status(item: EnvCleanup) -> str | None:
    return item.outcome.run.status if isinstance(item.outcome, Ran) else None


def _result(item: EnvCleanup) -> dict[str, Any]:
    if isinstance(item.outcome, Ran) and item.outcome.run.status == "succeeded":
        return item.outcome.run.result
    return {}


def _env_cleanup(
    item: EnvCleanup, dry_run: bool, now: datetime, tz: ZoneInfo, approvals: str
) -> str:
    env = f"*{item.env}*"
    if item.list_failure is not None:
        failure = item.list_failure
        return (
            f":warning: {env}: could not list its previews ({escape(failure.backend)}: "
            f"{escape(failure.reason)}); nothing was deleted there."
        )
    if not item.expired:
        return f":white_check_mark: {env}: no expired preview."
    listed = "\n".join(_expired_line(p, now) for p in item.expired[:40])
    if dry_run:
        way = (
            "would be removed by the hub's cleanupExpired()"
            if item.via == "hub"
            else "would be deleted directly (the hub's records would not be updated)"
        )
        return f":mag: {env}: {len(item.expired)} {way}:\n{listed}"
    if item.run_failure is not None:
        return (
            f":warning: {env}: the cleanup did not finish ({escape(item.run_failure.reason)}): "
            f"some may have been deleted. `/rtb previews {item.env}` shows what is left.\n{listed}"
        )
    return _env_outcome(item, env, listed, tz, approvals)


def _env_outcome(item: EnvCleanup, env: str, listed: str, tz: ZoneInfo, approvals: str) -> str:
    outcome = item.outcome
    if isinstance(outcome, Refused):
        return (
            f":no_entry: {env}: refused: {decision_reason(outcome.decision)}. Nothing was deleted."
        )
    if isinstance(outcome, ReasonNeeded):
        return (
            f":memo: {env}: {decision_reason(outcome.decision)}. Run "
            f'`/rtb preview cleanup {item.env} --reason "…"` to ask for it.\n{listed}'
        )
    if isinstance(outcome, ApprovalRequested):
        request = outcome.request
        where = "the team leads by DM" if approvals == "dm" else escape(approvals)
        return (
            f":hourglass: {env}: approval request *{request.id}* sent to {where} (expires "
            f"{when(request.expires_at, tz)}).\n{listed}"
        )
    if isinstance(outcome, Ran) and outcome.run.status == "succeeded":
        return _ran_lines(env, outcome.run.result)
    error = outcome.run.result.get("error", "error") if isinstance(outcome, Ran) else "?"
    if isinstance(outcome, Ran) and outcome.run.status == "unknown":
        return (
            f":warning: {env}: {escape(stored_text(error))}: the cleanup may have run, in part "
            f"or in full. `/rtb previews {item.env}` shows what is left.\n{listed}"
        )
    return f":x: {env}: {escape(stored_text(error))}. Nothing was deleted.\n{listed}"


def _ran_lines(env: str, result: dict[str, Any]) -> str:
    done = cleanup_done(result)
    if result.get("via") == "hub":
        return f":broom: {env}: {done}."
    head = f"deleted {len(result.get('deleted') or [])}"
    lines = [f":wastebasket: {env}: {done or head}"]
    lines += [f"• `{escape(d['namespace'])}` deleted" for d in result.get("deleted") or []]
    lines += [
        f"• :x: `{escape(f['namespace'])}` failed: {escape(stored_text(f['reason']))}"
        for f in result.get("failed") or []
    ]
    lines += [
        f"• :warning: `{escape(u['namespace'])}` may or may not have been deleted (no clear "
        f"answer: {escape(stored_text(u['reason']))})"
        for u in result.get("unknown") or []
    ]
    lines += [
        f"• `{escape(s['namespace'])}` skipped: {escape(stored_text(s['reason']))}"
        for s in result.get("skipped") or []
    ]
    return "\n".join(lines[:41])


def _expired_line(preview: ExpiredPreview, now: datetime) -> str:
    return (
        f"• `{escape(preview.namespace)}` ({escape(preview.issue_key)}, expired "
        f"{ago(preview.expires_at, now)})"
    )
