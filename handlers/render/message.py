"""A Slack message as data, and the small Block Kit helpers every renderer shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000


@dataclass(frozen=True)
class Message:
    """`text` is the notification/fallback text; `blocks` what Slack shows."""

    text: str
    blocks: tuple[Block, ...] = ()
    ephemeral: bool = False
    files: tuple[tuple[str, str], ...] = field(default=())  # (filename, content) to upload

    def blocks_json(self) -> list[dict[str, Any]]:
        return [block.to_dict() for block in self.blocks]

    def to_json(self) -> dict[str, Any]:
        """The golden-file form of a message."""
        return {"text": self.text, "ephemeral": self.ephemeral, "blocks": self.blocks_json()}


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=clip(text, 150))


def section(text: str, *, fields: Sequence[str] = ()) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT)) if text else None,
        fields=[MarkdownTextObject(text=clip(f, 2000)) for f in fields[:10]] or None,
    )


def context(*texts: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(t, 3000)) for t in texts[:10]])


def divider() -> DividerBlock:
    return DividerBlock()


def buttons(*items: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(items), block_id=block_id)


def button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=label, action_id=action_id, value=value, style=style)


def code_block(lines: Sequence[str]) -> str:
    """A ``` block clipped to fit one section, saying how much was left out."""
    body = "\n".join(lines).replace("```", "'''")
    limit = MAX_SECTION_TEXT - 40
    if len(body) > limit:
        body = body[:limit].rsplit("\n", 1)[0] + "\n… (cut)"
    return f"```\n{body}\n```"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack mrkdwn control characters in user- or backend-supplied text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def simple(text: str, *, ephemeral: bool = False) -> Message:
    return Message(text=text, blocks=(section(text),), ephemeral=ephemeral)
