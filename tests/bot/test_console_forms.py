"""`/submit` in the console: the open modal's one field answered as Slack's view_submission
carries it (bot.console_forms), and the set-image tag picker answered end to end."""

from __future__ import annotations

from bot.console_forms import NotAnOption, answerable, submitted_values
from tests.bot.drill import console_drill

REASON_FORM = {
    "callback_id": "reason",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Why?"}},
        {
            "type": "input",
            "block_id": "reason_block",
            "element": {"type": "plain_text_input", "action_id": "reason_input"},
        },
    ],
}


def _option(value: str) -> dict[str, object]:
    return {"text": {"type": "plain_text", "text": f"tag {value}"}, "value": value}


TAG_PICKER = {
    "callback_id": "tags",
    "blocks": [
        {
            "type": "input",
            "block_id": "tag_block",
            "element": {
                "type": "static_select",
                "action_id": "tag",
                "option_groups": [
                    {"label": {"type": "plain_text", "text": "new"}, "options": [_option("v2")]},
                    {"label": {"type": "plain_text", "text": "old"}, "options": [_option("v1")]},
                ],
            },
        }
    ],
}


def test_a_text_input_is_answered_with_the_text():
    assert submitted_values(REASON_FORM, "incident INC-42") == {
        "reason_block": {"reason_input": {"type": "plain_text_input", "value": "incident INC-42"}}
    }


def test_a_select_is_answered_with_the_option_of_that_value_from_any_group():
    values = submitted_values(TAG_PICKER, "v1")
    assert isinstance(values, dict)
    selected = values["tag_block"]["tag"]["selected_option"]
    assert selected["value"] == "v1" and selected["text"]["text"] == "tag v1"


def test_a_value_no_option_has_names_the_options_instead():
    assert submitted_values(TAG_PICKER, "v3") == NotAnOption(("v2", "v1"))


def test_a_modal_without_a_field_cannot_be_answered():
    assert answerable(REASON_FORM) and answerable(TAG_PICKER)
    assert not answerable({"callback_id": "x", "blocks": [REASON_FORM["blocks"][0]]})


def test_the_tag_picker_is_answered_by_an_option_and_a_wrong_one_changes_nothing():
    out = console_drill(
        "/rtb set-image int webhook-listener\n/submit v9.9.9\n/submit v1.41.1\n/submit v1.41.1\n"
    )
    assert "options: v1.41.1, v1.42.0, v1.41.0, v1.40.0" in out
    assert "no option `v9.9.9`; choose one of: v1.41.1, v1.42.0, v1.41.0, v1.40.0" in out
    assert out.count("rtb-hub:v1.42.0 → webhook-listener: rtb-hub:v1.41.1") == 1
    assert "no open form to submit (a command that needs one opens it)" in out
