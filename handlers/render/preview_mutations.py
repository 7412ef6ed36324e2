"""Answers to preview create / delete / cleanup: what was created or deleted, per env."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from approvals.outcomes import ApprovalRequested, GateOutcome, Ran, ReasonNeeded, Refused
from handlers.render.approval_words import mention, when
from handlers.render.decisions import decision_reason
from handlers.render.failures import failure_text
from handlers.render.gate_answers import render_ran
from handlers.render.i18n import _, number
from handlers.render.message import Message, context, escape, header, section
from handlers.render.preview_cleanup import cleanup_done, cleanup_removed
from handlers.render.stored_errors import stored_text
from ops.config import EnvName
from ops.fanout import Failed
from ops.preview_cleanup import CleanupWay
from ops.preview_deletes import ExpiredPreview
from ops.timestamps import parse_time


def ago(moment: datetime, now: datetime) -> str:
    """`5 h ago`, `in 1 h 30 min`, `in 20 min` (to the nearest minute)."""
    seconds = (moment - now).total_seconds()
    hours, minutes = divmod(max(round(abs(seconds) / 60), 1), 60)
    amount = _("{minutes} min", minutes=minutes)
    if hours and minutes and hours < 10:
        amount = _("{hours} h {minutes} min", hours=number(hours), minutes=minutes)
    elif hours:
        amount = _("{hours} h", hours=number(hours))
    return _("{amount} ago", amount=amount) if seconds < 0 else _("in {amount}", amount=amount)


def render_preview_created(ran: Ran, tz: ZoneInfo, now: datetime) -> Message:
    result = ran.run.result
    expires = parse_time(result.get("expires_at"))
    if ran.run.status != "succeeded" or expires is None:
        return render_ran(ran)
    facts = {
        "namespace": escape(str(result["namespace"])),
        "env": ran.spec.env,
        "key": escape(str(result["issue_key"])),
    }
    text = _(
        ":white_check_mark: Created `{namespace}` in *{env}* for {key}: it expires {at} ({ago}), "
        "requested by {requester}.",
        at=when(expires, tz),
        ago=ago(expires, now),
        requester=mention(escape(str(result["requested_by"]))),
        **facts,
    )
    return Message(
        text=_("Created {namespace} in {env} for {key}", **facts),
        blocks=(
            section(text),
            context(
                _(
                    "{reason} · `/rtb previews {env}`",
                    reason=decision_reason(ran.decision),
                    env=ran.spec.env,
                )
            ),
        ),
    )


def render_preview_deleted(ran: Ran) -> Message:
    result = ran.run.result
    if ran.run.status != "succeeded":
        return render_ran(ran)
    name = escape(str(result.get("namespace", ran.spec.target)))
    if result.get("issue_key"):
        text = _(
            ":wastebasket: Deleted `{namespace}` ({key}) in *{env}*: the namespace and "
            "everything in it are being removed.",
            namespace=name,
            key=escape(str(result["issue_key"])),
            env=ran.spec.env,
        )
    else:
        text = _(
            ":wastebasket: Deleted `{namespace}` in *{env}*: the namespace and everything in "
            "it are being removed.",
            namespace=name,
            env=ran.spec.env,
        )
    return Message(
        text=_("Deleted {namespace} in {env}", namespace=name, env=ran.spec.env),
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
    title = _("Preview cleanup — dry run, nothing deleted") if dry_run else _("Preview cleanup")
    blocks: list[Block] = [header(title)]
    blocks += [section(_env_cleanup(e, dry_run, now, tz, approvals)) for e in envs]
    blocks.append(
        context(_("Expired: past its `rtb.io/expires-at` and not already being deleted (§5.1)."))
    )
    return Message(text=f"{title}: {_summary(envs, dry_run)}", blocks=tuple(blocks[:50]))


def _summary(envs: Sequence[EnvCleanup], dry_run: bool) -> str:
    found = sum(len(e.expired) for e in envs)
    if dry_run:
        return _("{count} expired preview(s) would be deleted", count=number(found))
    removed = [cleanup_removed(_result(e)) for e in envs]
    deleted = f"{number(sum(n or 0 for n in removed))}{'+' if None in removed else ''}"
    failed = sum(len(_result(e).get("failed") or []) for e in envs)
    unclear = sum(len(_result(e).get("unknown") or []) for e in envs)
    unknown = sum(1 for e in envs if _status(e) == "unknown" or e.run_failure is not None)
    text = _(
        "{deleted} deleted, {failed} failed, {found} found expired",
        deleted=deleted,
        failed=number(failed),
        found=number(found),
    )
    if unclear:
        text += _(", {count} without a clear answer", count=number(unclear))
    if unknown:
        text += _(", {count} env(s) with an unknown outcome", count=number(unknown))
    return text


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
        return _(
            ":warning: {env}: could not list its previews ({backend}: {reason}); nothing was "
            "deleted there.",
            env=env,
            backend=escape(item.list_failure.backend),
            reason=escape(failure_text(item.list_failure)),
        )
    if not item.expired:
        return _(":white_check_mark: {env}: no expired preview.", env=env)
    listed = "\n".join(_expired_line(p, now) for p in item.expired[:40])
    if dry_run:
        return _dry_run(item, env, listed)
    if item.run_failure is not None:
        return _(
            ":warning: {env}: the cleanup did not finish ({reason}): some may have been "
            "deleted. `/rtb previews {name}` shows what is left.\n{listed}",
            env=env,
            reason=escape(failure_text(item.run_failure)),
            name=item.env,
            listed=listed,
        )
    return _env_outcome(item, env, listed, tz, approvals)


def _dry_run(item: EnvCleanup, env: str, listed: str) -> str:
    facts = {"env": env, "count": number(len(item.expired)), "listed": listed}
    if item.via == "hub":
        return _(
            ":mag: {env}: {count} would be removed by the hub's cleanupExpired():\n{listed}",
            **facts,
        )
    return _(
        ":mag: {env}: {count} would be deleted directly (the hub's records would not be "
        "updated):\n{listed}",
        **facts,
    )


def _env_outcome(item: EnvCleanup, env: str, listed: str, tz: ZoneInfo, approvals: str) -> str:
    outcome = item.outcome
    facts = {"env": env, "name": item.env, "listed": listed}
    if isinstance(outcome, Refused):
        return _(
            ":no_entry: {env}: refused: {reason}. Nothing was deleted.",
            env=env,
            reason=decision_reason(outcome.decision),
        )
    if isinstance(outcome, ReasonNeeded):
        return _(
            ':memo: {env}: {reason}. Run `/rtb preview cleanup {name} --reason "…"` to ask for '
            "it.\n{listed}",
            reason=decision_reason(outcome.decision),
            **facts,
        )
    if isinstance(outcome, ApprovalRequested):
        return _approval_sent(outcome, env, listed, tz, approvals)
    if isinstance(outcome, Ran) and outcome.run.status == "succeeded":
        return _ran_lines(env, outcome.run.result)
    error = outcome.run.result.get("error", "error") if isinstance(outcome, Ran) else "?"
    if isinstance(outcome, Ran) and outcome.run.status == "unknown":
        return _(
            ":warning: {env}: {error}: the cleanup may have run, in part or in full. "
            "`/rtb previews {name}` shows what is left.\n{listed}",
            error=escape(stored_text(error)),
            **facts,
        )
    return _(
        ":x: {env}: {error}. Nothing was deleted.\n{listed}",
        env=env,
        error=escape(stored_text(error)),
        listed=listed,
    )


def _approval_sent(
    outcome: ApprovalRequested, env: str, listed: str, tz: ZoneInfo, approvals: str
) -> str:
    request = outcome.request
    where = _("the team leads by DM") if approvals == "dm" else escape(approvals)
    return _(
        ":hourglass: {env}: approval request *{id}* sent to {where} (expires {at}).\n{listed}",
        env=env,
        id=request.id,
        where=where,
        at=when(request.expires_at, tz),
        listed=listed,
    )


def _ran_lines(env: str, result: dict[str, Any]) -> str:
    done = cleanup_done(result)
    if result.get("via") == "hub":
        return f":broom: {env}: {done}."
    head = done or _("deleted {count}", count=number(len(result.get("deleted") or [])))
    lines = [f":wastebasket: {env}: {head}"]
    lines += [
        _("• `{namespace}` deleted", namespace=escape(d["namespace"]))
        for d in result.get("deleted") or []
    ]
    lines += [
        _(
            "• :x: `{namespace}` failed: {reason}",
            namespace=escape(f["namespace"]),
            reason=escape(stored_text(f["reason"])),
        )
        for f in result.get("failed") or []
    ]
    lines += [
        _(
            "• :warning: `{namespace}` may or may not have been deleted (no clear answer: "
            "{reason})",
            namespace=escape(u["namespace"]),
            reason=escape(stored_text(u["reason"])),
        )
        for u in result.get("unknown") or []
    ]
    lines += [
        _(
            "• `{namespace}` skipped: {reason}",
            namespace=escape(s["namespace"]),
            reason=escape(s["reason"]),
        )
        for s in result.get("skipped") or []
    ]
    return "\n".join(lines[:41])


def _expired_line(preview: ExpiredPreview, now: datetime) -> str:
    return _(
        "• `{namespace}` ({key}, expired {ago})",
        namespace=escape(preview.namespace),
        key=escape(preview.issue_key),
        ago=ago(preview.expires_at, now),
    )
