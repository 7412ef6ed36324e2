"""The views a form shows while it is not the form yet: loading, and an answer instead."""

from __future__ import annotations

from slack_sdk.models.views import View

from handlers.render.i18n import _
from handlers.render.message import Message, clip, context, section

MAX_TITLE = 24  # Slack's limit for a modal's title


def render_loading_view(title: str) -> View:
    """Opened at once (the trigger lasts 3 s); `views.update` replaces it with the form."""
    return View(
        type="modal",
        title=clip(title, MAX_TITLE),
        close=_("Close"),
        blocks=[
            section(_(":hourglass_flowing_sand: Checking the current state…")),
            context(_("The form appears here in a moment.")),
        ],
    )


def render_form_answer(title: str, message: Message) -> View:
    """No form was needed after all (refused, ran at once, the target is missing): the
    loading view shows the answer, which also went where answers go."""
    return View(
        type="modal",
        title=clip(title, MAX_TITLE),
        close=_("Close"),
        blocks=[section(message.text), context(_("The same answer is in the conversation."))],
    )


def render_form_elsewhere(title: str) -> View:
    """The work behind the form stopped without a form to show (an error): never left loading."""
    return View(
        type="modal",
        title=clip(title, MAX_TITLE),
        close=_("Close"),
        blocks=[
            section(_("No form this time: the answer is in the conversation where you asked."))
        ],
    )
