"""Which way a preview cleanup ran, in words: the hub's cleanupExpired() or the bot's own
namespace deletes (ops.preview_cleanup). Shared by the command's answer and the approval card's
thread, so both say the same."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.render.i18n import N_, _, ngettext, number
from handlers.render.message import escape

MAX_NAMED = 20
_FALLBACK = {
    "hub_missing": N_("the hub has no cleanup endpoint: HTTP 404"),
    "hub_unconfigured": N_("the hub's cleanup endpoint is no longer configured"),
}


def cleanup_done(result: Mapping[str, Any]) -> str | None:
    """One sentence on what a cleanup that ran did; None for a result that does not say."""
    if result.get("via") == "hub":
        return _hub_done(result)
    if result.get("via") != "namespaces":
        return None
    deleted = len(result.get("deleted") or [])
    fallback = _FALLBACK.get(str(result.get("fallback")))
    if fallback:
        return ngettext(
            "deleted {n} namespace directly; the hub's records were not updated ({fallback})",
            "deleted {n} namespaces directly; the hub's records were not updated ({fallback})",
            deleted,
            fallback=_(fallback),
        )
    return ngettext(
        "deleted {n} namespace directly; the hub's records were not updated",
        "deleted {n} namespaces directly; the hub's records were not updated",
        deleted,
    )


def _hub_done(result: Mapping[str, Any]) -> str:
    count = result.get("count")
    if not isinstance(count, int):
        return _("the hub's cleanupExpired ran (it did not say how many previews it removed)")
    names = result.get("removed")
    if isinstance(names, Sequence) and not isinstance(names, str) and names:
        return ngettext(
            "the hub's cleanupExpired ran: {n} preview removed ({names})",
            "the hub's cleanupExpired ran: {n} previews removed ({names})",
            count,
            names=_named(names),
        )
    return ngettext(
        "the hub's cleanupExpired ran: {n} preview removed",
        "the hub's cleanupExpired ran: {n} previews removed",
        count,
    )


def _named(names: Sequence[object]) -> str:
    shown = ", ".join(escape(str(n)) for n in names[:MAX_NAMED])
    if len(names) <= MAX_NAMED:
        return shown
    return _("{names} and {more} more", names=shown, more=number(len(names) - MAX_NAMED))


def cleanup_removed(result: Mapping[str, Any]) -> int | None:
    """How many previews the cleanup removed, whichever way; None when the hub did not say."""
    if result.get("via") == "hub":
        count = result.get("count")
        return count if isinstance(count, int) else None
    return len(result.get("deleted") or [])
