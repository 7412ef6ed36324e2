"""Block Kit → readable terminal text, for the local console. Buttons become `[n] Label`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import emoji

from handlers.render.i18n import _

# Slack's own names the `emoji` package does not know (checked against every shortcode in
# handlers/: tests/bot/test_console_text.py)
SLACK_ONLY_EMOJI = {
    "large_green_circle": "\U0001f7e2",
    "large_yellow_circle": "\U0001f7e1",
    "large_orange_circle": "\U0001f7e0",
    "large_purple_circle": "\U0001f7e3",
    "large_brown_circle": "\U0001f7e4",
}
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
_ANGLED = re.compile(r"<([^<>]*)>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}
_CODE = re.compile(r"(`[^`\n]*`)")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


class Names(Protocol):
    """Who and where an ID is, as Slack shows it; None when unknown (the ID is shown)."""

    def user(self, user_id: str) -> str | None: ...

    def channel(self, channel_id: str) -> str | None: ...


@dataclass(frozen=True)
class KnownNames:
    """Names from data at hand: user ID → name, channel ID → name."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def user(self, user_id: str) -> str | None:
        return self.users.get(user_id)

    def channel(self, channel_id: str) -> str | None:
        return self.channels.get(channel_id)


@dataclass(frozen=True)
class TextStyle:
    """How the console shows Slack's text: names for IDs, and emoji (else `:shortcodes:`,
    for a terminal that cannot draw them)."""

    names: Names = field(default_factory=KnownNames)
    emoji: bool = True


PLAIN = TextStyle()


@dataclass(frozen=True)
class ButtonRef:
    """A button the console can click: where it was, and what Slack would send."""

    label: str
    action_id: str
    value: str
    block_id: str
    message: dict[str, Any]
    channel: str
    ts: str | None


def mrkdwn_to_text(text: str, style: TextStyle = PLAIN) -> str:
    """What Slack shows for `text`: `<@U1>` as `@name`, `<#C1>` as `#name`, links as
    `label (url)`, emoji drawn; nothing inside `code` changes but the escaped `<>&`."""
    text = _outside_code(text, partial(_format_outside_code, style=style))
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.replace("```", "")


def _format_outside_code(text: str, style: TextStyle) -> str:
    """`<…>` parts become names and links; emoji are drawn only outside them (a URL keeps its
    `:x:`); bold last, since it may span a mention."""
    parts = _ANGLED.split(text)  # odd indexes: what was between `<` and `>`
    shown = [
        _angled(part, style) if index % 2 else _draw_emoji(part, style)
        for index, part in enumerate(parts)
    ]
    return _BOLD.sub(r"\1", "".join(shown))


def _draw_emoji(text: str, style: TextStyle) -> str:
    return _SHORTCODE.sub(_emoji, text) if style.emoji else text


def _angled(inside: str, style: TextStyle) -> str:
    """Slack's `<…>`: a mention, a channel, a special mention, a date, or a link."""
    target, _, label = inside.partition("|")
    names, label = style.names, _draw_emoji(label, style)
    if target.startswith("@"):
        return "@" + (names.user(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (names.channel(target[1:]) or label or target[1:])
    if target.startswith("!"):
        return _SPECIAL.get(target[1:]) or label or "@" + target[1:].split("^")[-1]
    return f"{label} ({target})" if label else target


def _emoji(match: re.Match[str]) -> str:
    """A shortcode the `emoji` package or Slack knows, drawn; any other `:word:` as it is."""
    name = match[1]
    if name in SLACK_ONLY_EMOJI:
        return SLACK_ONLY_EMOJI[name]
    return emoji.emojize(match[0], language="alias")


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """Slack formats nothing inside `code`: a cron's `0 9 * * 1` keeps its stars."""
    parts = _CODE.split(text)
    return "".join(part if index % 2 else change(part) for index, part in enumerate(parts))


def _text_of(obj: dict[str, Any] | None, style: TextStyle) -> str:
    return mrkdwn_to_text(obj.get("text", ""), style) if obj else ""


def block_lines(block: dict[str, Any], style: TextStyle = PLAIN) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text_of(block.get("text"), style)
        return [f"== {title} =="]
    if kind == "section":
        lines = [_text_of(block.get("text"), style)] if block.get("text") else []
        lines += [_text_of(f, style) for f in block.get("fields") or []]
        return lines
    if kind == "context":
        return ["  " + " ".join(_text_of(e, style) for e in block.get("elements", []))]
    if kind == "divider":
        return ["-" * 40]
    if kind == "rich_text":
        return [_("(rich text)")]
    if kind == "input":
        return [f"{_text_of(block.get('label'), style)}: ____"]
    return []


def render_message(
    message: dict[str, Any],
    *,
    channel: str,
    ts: str | None,
    first_button: int,
    style: TextStyle = PLAIN,
) -> tuple[str, list[ButtonRef]]:
    """The message as text, and its buttons numbered from `first_button`: an actions block's on
    one line, a section's accessory button (an alarm's Investigate) on the line after it."""
    lines: list[str] = []
    refs: list[ButtonRef] = []

    def numbered(button: dict[str, Any], block: dict[str, Any]) -> str:
        label = _text_of(button.get("text"), style)
        where = (block.get("block_id", ""), message, channel, ts)
        refs.append(ButtonRef(label, button["action_id"], button.get("value", ""), *where))
        return f"[{first_button + len(refs) - 1}] {label}"

    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            buttons = [e for e in block.get("elements", []) if e.get("type") == "button"]
            lines.append("  ".join(numbered(button, block) for button in buttons))
        else:
            lines.extend(block_lines(block, style))
        accessory = block.get("accessory") or {}
        if block.get("type") == "section" and accessory.get("type") == "button":
            lines.append(numbered(accessory, block))
    if not lines:
        lines = [mrkdwn_to_text(message.get("text", ""), style)]
    return "\n".join(lines), refs
