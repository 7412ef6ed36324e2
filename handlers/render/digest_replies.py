"""The private replies of `/rtb digest` (the digests themselves are daily_digest/weekly)."""

from __future__ import annotations

from handlers.render.i18n import _
from handlers.render.message import Message, simple


def render_digest_posting(name: str, channel: str, messages: int) -> Message:
    """`--post` accepted: the digest is in the outbox, on its way to `channel`."""
    count = str(messages)
    if name == "weekly":
        text = _(
            "Posting the weekly digest to {channel} now ({count} message(s)).",
            channel=channel,
            count=count,
        )
    else:
        text = _(
            "Posting the daily digest to {channel} now ({count} message(s)).",
            channel=channel,
            count=count,
        )
    return simple(text, ephemeral=True)


def digest_not_built(name: str) -> str:
    return _("The {name} digest is not built in this version of the bot.", name=name)


def posting_is_for_operators() -> str:
    return _("Posting a digest to its channel is for operators and leads.")
