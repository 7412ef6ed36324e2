"""Block Kit → readable terminal text, for the local console. Buttons become `[n] Label`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_EMOJI = {
    ":large_green_circle:": "[OK]",
    ":red_circle:": "[RED]",
    ":white_circle:": "[--]",
    ":warning:": "(!)",
    ":x:": "(x)",
    ":lock:": "(lock)",
    ":satellite:": "",
    ":hourglass:": "(wait)",
    ":white_check_mark:": "(done)",
    ":no_entry:": "(refused)",
    ":memo:": "(form)",
    ":gear:": "(running)",
    ":ballot_box_with_check:": "(counted)",
    ":heavy_minus_sign:": "(cancelled)",
    ":eyes:": "(following)",
    ":hourglass_flowing_sand:": "(rolling out)",
}
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<[@#!]([^>|]+)(?:\|[^>]*)?>")
_CODE = re.compile(r"(`[^`\n]*`)")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


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


def mrkdwn_to_text(text: str) -> str:
    for emoji, plain in _EMOJI.items():
        text = text.replace(emoji, plain)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(r"@\1", text)
    text = _outside_code(text, lambda part: _BOLD.sub(r"\1", part))
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.replace("```", "")


def _outside_code(text: str, change: Callable[[str], str]) -> str:
    """Slack formats nothing inside `code`: a cron's `0 9 * * 1` keeps its stars."""
    parts = _CODE.split(text)
    return "".join(part if index % 2 else change(part) for index, part in enumerate(parts))


def _text_of(obj: dict[str, Any] | None) -> str:
    return mrkdwn_to_text(obj.get("text", "")) if obj else ""


def block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text_of(block.get("text"))
        return [f"== {title} =="]
    if kind == "section":
        lines = [_text_of(block.get("text"))] if block.get("text") else []
        lines += [_text_of(f) for f in block.get("fields") or []]
        return lines
    if kind == "context":
        return ["  " + " ".join(_text_of(e) for e in block.get("elements", []))]
    if kind == "divider":
        return ["-" * 40]
    if kind == "rich_text":
        return ["(rich text)"]
    if kind == "input":
        return [f"{_text_of(block.get('label'))}: ____"]
    return []


def render_message(
    message: dict[str, Any], *, channel: str, ts: str | None, first_button: int
) -> tuple[str, list[ButtonRef]]:
    """The message as text, and its buttons numbered from `first_button`."""
    lines: list[str] = []
    refs: list[ButtonRef] = []
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            labels = []
            for element in block.get("elements", []):
                if element.get("type") != "button":
                    continue
                number = first_button + len(refs)
                label = _text_of(element.get("text"))
                labels.append(f"[{number}] {label}")
                refs.append(
                    ButtonRef(
                        label,
                        element["action_id"],
                        element.get("value", ""),
                        block.get("block_id", ""),
                        message,
                        channel,
                        ts,
                    )
                )
            lines.append("  ".join(labels))
        else:
            lines.extend(block_lines(block))
        accessory = block.get("accessory") or {}
        if block.get("type") == "section" and accessory.get("type") == "button":
            number, label = first_button + len(refs), _text_of(accessory.get("text"))
            lines.append(f"[{number}] {label}")  # a section's button (an alarm's Investigate)
            ref = ButtonRef(
                label,
                accessory["action_id"],
                accessory.get("value", ""),
                block.get("block_id", ""),
                message,
                channel,
                ts,
            )
            refs.append(ref)
    if not lines:
        lines = [mrkdwn_to_text(message.get("text", ""))]
    return "\n".join(lines), refs
