"""The phrases every approval answer shares: when, who, what will change, and what is known
about a change that did not go as asked. One place, so the card, its thread, the requester's
answer and the lead's say a change the same way in each language.

The *what* of a request keeps the env, the target and the mutation verbatim (`prd`,
`preview-proj-7/app`, `scale`): a lead reading the Korean card must see exactly the names they
would type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from approvals.facts import fact_from_data
from approvals.mutations import Change, MutationSpec
from approvals.requests import ApprovalRequest
from handlers.render.change_facts import said_text
from handlers.render.i18n import N_, _
from handlers.render.message import escape
from handlers.render.stored_errors import stored_text

STATUS_WORDS = {  # a request's status as one word
    "pending": N_("pending"),
    "approved": N_("approved"),
    "executing": N_("executing"),
    "succeeded": N_("succeeded"),
    "failed": N_("failed"),
    "unknown": N_("unknown"),
    "rejected": N_("rejected"),
    "cancelled": N_("cancelled"),
    "expired": N_("expired"),
}


def when(moment: datetime | None, tz: ZoneInfo) -> str:
    """`2025-03-14 11:00 KST` in every language (the team reads ISO dates)."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "?"


def mention(user: str) -> str:
    return f"<@{user}>"


def mentions(users: Sequence[str]) -> str:
    return " ".join(f"<@{u}>" for u in users) or _("nobody (no team lead is configured!)")


def status_word(status: str) -> str:
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def what(request: ApprovalRequest) -> str:
    return _what(request.mutation, request.target, request.env)


def spec_what(spec: MutationSpec) -> str:
    return _what(spec.mutation, str(spec.target), spec.env)


def _what(mutation: str, target: str, env: str) -> str:
    return _(
        "*{mutation}* `{target}` in *{env}*", mutation=mutation, target=escape(target), env=env
    )


def change(request: ApprovalRequest) -> str:
    return change_line(request.change)


def change_line(change: Change) -> str:
    return f"{escape(said_text(change.before))} → {escape(said_text(change.after))}"


def failure(result: dict[str, object]) -> str:
    """Why a request that failed changed nothing (the run stopped before anything was sent)."""
    drift = result.get("drift")
    if isinstance(drift, dict):
        return _(
            "state changed since approval (was {was}, now {now}) — request again. "
            "Nothing was changed.",
            was=escape(said_text(fact_from_data(drift.get("was")))),
            now=escape(said_text(fact_from_data(drift.get("now")))),
        )
    if result.get("interrupted"):
        return _("the bot stopped before running it; nothing was changed. Request it again.")
    return _(
        "{error}. Nothing was changed.", error=escape(stored_text(result.get("error", "error")))
    )


def unknown(request: ApprovalRequest) -> str:
    """A change that may or may not have happened: never "nothing changed", never re-run."""
    target = escape(request.target)
    if request.result.get("interrupted"):
        return _(
            "the bot stopped while running it: the change may or may not have been applied. "
            "Check `{target}` in {env} by hand; it will not be re-run.",
            target=target,
            env=request.env,
        )
    return _(
        "no clear answer ({error}): the change may or may not have been applied. "
        "Check `{target}` in {env} by hand; it will not be re-run.",
        error=escape(stored_text(request.result.get("error", "?"))),
        target=target,
        env=request.env,
    )


def unrecorded_note(recording: object) -> str | None:
    """A result the bot's database could not take after the change was sent (Recording)."""
    if recording == "spooled" or recording is True:
        return _(
            ":floppy_disk: Recording the result failed: the bot's database (PostgreSQL) stopped "
            "answering before it was written. The result is kept and will be recorded in "
            "the audit log when the database is back."
        )
    if recording == "logged":
        return _(
            ":warning: Recording the result failed: the bot's database (PostgreSQL) stopped "
            "answering before it was written, and the result could not be kept on disk "
            "either: it is only in the bot's log."
        )
    return None
