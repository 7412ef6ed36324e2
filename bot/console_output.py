"""What the bot sent to the console's fake Slack, printed as text, in the order it was sent.

Answers to the person (response_url posts: "(reply)", "(only you)"), messages posted or updated
in channels and DMs, modals opened (the latest one is the form `/submit` answers) and files
uploaded. Buttons are numbered across one line's output so `/click <n>` can press them.
"""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from bot.console_forms import View, modal_select
from bot.console_names import SlackNames
from bot.console_text import ButtonRef, TextStyle, render_message
from handlers.render.i18n import N_, _
from sandbox.fake_slack import FakeSlackAPI, ResponsePost, SlackCall
from sandbox.slack_rules import is_bot_dm

CONSOLE_CHANNEL = "C_CONSOLE"  # where the console's slash commands are typed
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_POSTS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.update",
    "files.completeUploadExternal",
)
# Where a message went, by Web API method and whether it is in a thread (else: posted to).
_WHERE = {
    ("chat.postMessage", False): N_("[posted to {channel}]"),
    ("chat.postMessage", True): N_("[posted to {channel} (in thread)]"),
    ("chat.update", False): N_("[updated in {channel}]"),
    ("chat.update", True): N_("[updated in {channel} (in thread)]"),
    ("chat.postEphemeral", False): N_("[only you, in {channel}]"),
    ("chat.postEphemeral", True): N_("[only you, in {channel} (in thread)]"),
}


class ConsoleOutput:
    """The fake Slack's calls and response_url posts not shown yet, printed to `out`."""

    def __init__(self, slack: FakeSlackAPI, names: SlackNames, style: TextStyle, out: TextIO):
        self.slack, self.names, self.style, self.out = slack, names, style, out
        self.buttons: list[ButtonRef] = []
        self.modal: View | None = None  # the latest form shown, until submitted
        self._seen_calls = 0
        self._seen_responses = 0

    def print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def show_new(self) -> None:
        """Buttons are numbered per output; an output without buttons keeps the previous ones
        (a refusal of `/click 1` must not take the card's buttons away). The IDs it mentions
        are named first (bot.console_names)."""
        previous, self.buttons = self.buttons, []
        items = self._new_items()
        for item in items:
            await self.names.learn(json.dumps(_payload(item)))
            await self.names.learn_ids(users=_dm_user(str(_payload(item).get("channel", ""))))
        for item in items:
            self._show(item)
        if not self.buttons:
            self.buttons = previous

    def _new_items(self) -> list[SlackCall | ResponsePost]:
        calls = self.slack.calls[self._seen_calls :]
        responses = self.slack.responses[self._seen_responses :]
        self._seen_calls += len(calls)
        self._seen_responses += len(responses)
        items: list[SlackCall | ResponsePost] = [
            c for c in calls if c.method in _POSTS and not c.error
        ]
        items.extend(responses)
        return sorted(items, key=lambda item: item.at)

    def _show(self, item: SlackCall | ResponsePost) -> None:
        if isinstance(item, ResponsePost):
            ephemeral = item.body.get("response_type") == "ephemeral"
            title = _("(only you)") if ephemeral else _("(reply)")
            self._print_message(title, item.body, CONSOLE_CHANNEL, None)
        elif item.method in ("views.open", "views.update"):
            self._show_view(item.args.get("view") or {})
        elif item.method == "files.completeUploadExternal":
            channel = self._channel_label(str(item.args.get("channel_id", "?")))
            self.print(_("[file uploaded to {channel}]", channel=channel))
        else:
            self._show_post(item.method, item.args)

    def _show_view(self, view: View) -> None:
        if not view.get("callback_id"):
            return  # a form loading, or showing an answer the console prints anyway
        self.modal = view
        self._print_message(_("[modal] (answer with /submit <text>)"), view, CONSOLE_CHANNEL, None)
        choices = modal_select(view)
        if choices is not None:
            self.print(_("options: {options}", options=", ".join(choices[2])) + "\n")

    def _show_post(self, method: str, args: dict[str, Any]) -> None:
        channel = str(args.get("channel", "?"))
        ts = args.get("ts") or _latest_ts(self.slack, channel)
        where = _WHERE.get((method, bool(args.get("thread_ts"))))
        where = where or _WHERE["chat.postMessage", bool(args.get("thread_ts"))]
        title = _(where, channel=self._channel_label(channel))
        self._print_message(title, args, channel, ts)

    def _channel_label(self, channel: str) -> str:
        """`#name`, or `@name (DM)` for the bot's DM with a user (posted to the user's ID)."""
        dm = _dm_user(channel)
        if dm:
            return f"@{self.names.user(dm[0]) or dm[0]} (DM)"
        return self.slack.channel_label(channel)

    def _print_message(
        self, title: str, message: dict[str, Any], channel: str, ts: str | None
    ) -> None:
        text, refs = render_message(
            message, channel=channel, ts=ts, first_button=len(self.buttons) + 1, style=self.style
        )
        self.buttons.extend(refs)
        self.print(f"{title}\n{text}\n")


def _payload(item: SlackCall | ResponsePost) -> dict[str, Any]:
    return item.args if isinstance(item, SlackCall) else item.body


def _dm_user(channel: str) -> tuple[str, ...]:
    """The user whose DM with the bot `channel` is (their ID, or `D` + their ID), if any."""
    user_id = channel[1:] if is_bot_dm(channel) else channel
    return (user_id,) if SLACK_USER_ID.fullmatch(user_id) else ()


def _latest_ts(slack: FakeSlackAPI, channel: str) -> str | None:
    messages = slack.messages(channel)
    return str(messages[-1].get("ts")) if messages else None
