"""Slack glue: one module per command group; `register(app)` wires them all."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import (
    alarm_actions,
    approval_actions,
    command_buttons,
    digest_actions,
    home,
    incident_actions,
    languages,
    rollout_actions,
    slash,
    ttl_actions,
)


def register(app: AsyncApp) -> None:
    app.middleware(languages.set_user_locale)  # after bot.app's `deps`: every listener's locale
    slash.register(app)
    home.register(app)
    approval_actions.register(app)
    rollout_actions.register(app)
    digest_actions.register(app)
    command_buttons.register(app)
    alarm_actions.register(app)
    ttl_actions.register(app)
    incident_actions.register(app)
