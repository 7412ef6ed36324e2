"""The console's `/submit`: the open modal's one field answered with a line of text.

A modal the bot opens asks for one thing: a reason (a plain-text input) or a choice (a static
select, its options maybe in groups). `/submit <text>` answers the first of either, as Slack's
view_submission `state.values` would carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.slack_payloads import plain_text_value, selected_option_value

View = dict[str, Any]  # a Block Kit modal as the bot sent it (views.open / views.update)


def modal_text_input(view: View) -> tuple[str, str] | None:
    """(block_id, action_id) of the modal's first plain-text input."""
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("type") == "plain_text_input":
            return str(block.get("block_id", "")), str(element.get("action_id", ""))
    return None


def modal_select(view: View) -> tuple[str, str, dict[str, str]] | None:
    """(block_id, action_id, {option value: text}) of the modal's first static select."""
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("type") == "static_select":
            groups = element.get("option_groups") or [{"options": element.get("options") or []}]
            options = {
                str(o.get("value", "")): str((o.get("text") or {}).get("text", ""))
                for group in groups
                for o in group.get("options") or []
            }
            return str(block.get("block_id", "")), str(element.get("action_id", "")), options
    return None


def answerable(view: View) -> bool:
    """Whether `/submit` can answer the modal (it has a text input or a select)."""
    return modal_text_input(view) is not None or modal_select(view) is not None


@dataclass(frozen=True)
class NotAnOption:
    """`/submit` named no option of the open select: these are its options' values."""

    choices: tuple[str, ...]


def submitted_values(view: View, text: str) -> dict[str, Any] | NotAnOption:
    """The view_submission's `state.values` answering an answerable `view` with `text`."""
    field = modal_text_input(view)
    if field is not None:
        return {field[0]: {field[1]: plain_text_value(text)}}
    select = modal_select(view)
    assert select is not None, "submitted_values needs an answerable view"  # internal: a bug
    block_id, action_id, options = select
    if text not in options:
        return NotAnOption(tuple(options))
    return {block_id: {action_id: selected_option_value(text, options[text])}}
