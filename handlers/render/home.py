"""The App Home tab: who you are, what is waiting for a decision, where to start."""

from __future__ import annotations

from slack_sdk.models.views import View

from handlers.render.i18n import _
from handlers.render.message import Message, context, divider, header, section

DIAGNOSE = " · ".join(
    (
        "`/rtb diagnose backlog`",  # a name: commands as typed
        "`/rtb diagnose costs`",  # a name
        "`/rtb diagnose preview <KEY>`",  # a name
    )
)


def render_home(whoami: Message, open_requests: Message) -> View:
    """Composed from the `/rtb whoami` and `/rtb approvals` answers, so they never disagree."""
    blocks = [
        header("rtb-ops-bot"),  # a name
        *whoami.blocks,
        divider(),
        *open_requests.blocks,
        divider(),
        section(_("*Start here*") + "\n" + _start_here()),
        context(_("prd changes need a team lead's approval; every action is audited.")),
    ]
    return View(type="home", blocks=blocks[:100])  # Home tabs allow 100 blocks


def _start_here() -> str:
    return "\n".join(
        (
            _("`/rtb status` — the five §3.1 indicators, green or red"),
            DIAGNOSE,
            "`/rtb previews` · `/rtb alarms` · `/rtb queues`",  # a name: commands
            _("`/rtb help` — every command"),
        )
    )
