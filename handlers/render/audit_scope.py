"""The words of `/rtb audit`'s window ("of the last 7 days by @someone in prd"), per locale.

One whole phrase per combination of filters, so Korean can order it its own way."""

from __future__ import annotations

from datetime import timedelta

from handlers.render.i18n import _


def render_audit_scope(since: timedelta, user: str | None, env: str | None) -> str:
    span = _span(since)
    mention = f"<@{user}>" if user else None
    if mention and env:
        return _("of the last {span} by {user} in {env}", span=span, user=mention, env=env)
    if mention:
        return _("of the last {span} by {user}", span=span, user=mention)
    if env:
        return _("of the last {span} in {env}", span=span, env=env)
    return _("of the last {span}", span=span)


def _span(since: timedelta) -> str:
    """Whole days from 24h up (`1.5 days` for 36h), else hours, as `--since` was typed."""
    hours = since.total_seconds() / 3600
    if hours >= 24:
        days = f"{hours / 24:g}"
        return _("{days} days", days=days)
    shown = f"{hours:g}"
    return _("{hours} hours", hours=shown)
