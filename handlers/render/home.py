"""The App Home tab: who you are, what is waiting for a decision, where to start."""

from __future__ import annotations

from slack_sdk.models.views import View

from handlers.render.message import Message, context, divider, header, section

START_HERE = (
    "`/rtb status` — the five §3.1 indicators, green or red\n"
    "`/rtb diagnose backlog` · `/rtb diagnose costs` · `/rtb diagnose preview <KEY>`\n"
    "`/rtb previews` · `/rtb alarms` · `/rtb queues`\n"
    "`/rtb help` — every command"
)


def render_home(whoami: Message, open_requests: Message) -> View:
    """Composed from the `/rtb whoami` and `/rtb approvals` answers, so they never disagree."""
    blocks = [
        header("rtb-ops-bot"),
        *whoami.blocks,
        divider(),
        *open_requests.blocks,
        divider(),
        section("*Start here*\n" + START_HERE),
        context("prd changes need a team lead's approval; every action is audited."),
    ]
    return View(type="home", blocks=blocks[:100])  # Home tabs allow 100 blocks
