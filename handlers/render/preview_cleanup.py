"""Which way a preview cleanup ran, in words: the hub's cleanupExpired() or the bot's own
namespace deletes (ops.preview_cleanup). Shared by the command's answer and the approval card's
thread, so both say the same."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.render.message import escape

MAX_NAMED = 20
_FALLBACK = {
    "hub_missing": "the hub has no cleanup endpoint: HTTP 404",
    "hub_unconfigured": "the hub's cleanup endpoint is no longer configured",
}


def cleanup_done(result: Mapping[str, Any]) -> str | None:
    """One sentence on what a cleanup that ran did; None for a result that does not say."""
    if result.get("via") == "hub":
        return _hub_done(result)
    if result.get("via") != "namespaces":
        return None
    deleted = len(result.get("deleted") or [])
    text = f"deleted {deleted} namespace{'' if deleted == 1 else 's'} directly; the hub's "
    text += "records were not updated"
    fallback = _FALLBACK.get(str(result.get("fallback")))
    return text + (f" ({fallback})" if fallback else "")


def _hub_done(result: Mapping[str, Any]) -> str:
    count = result.get("count")
    if not isinstance(count, int):
        return "the hub's cleanupExpired ran (it did not say how many previews it removed)"
    text = f"the hub's cleanupExpired ran: {count} preview{'' if count == 1 else 's'} removed"
    names = result.get("removed")
    if isinstance(names, Sequence) and not isinstance(names, str) and names:
        shown = ", ".join(escape(str(n)) for n in names[:MAX_NAMED])
        more = f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else ""
        text += f" ({shown}{more})"
    return text


def cleanup_removed(result: Mapping[str, Any]) -> int | None:
    """How many previews the cleanup removed, whichever way; None when the hub did not say."""
    if result.get("via") == "hub":
        count = result.get("count")
        return count if isinstance(count, int) else None
    return len(result.get("deleted") or [])
