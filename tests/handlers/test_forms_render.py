"""The views a form shows before it is the form: golden JSON, and the key facts directly."""

from __future__ import annotations

import json
import os
from typing import Any

from slack_sdk.models.views import View

from handlers.render.forms import render_form_answer, render_form_elsewhere, render_loading_view
from handlers.render.i18n import _, current_locale, use_locale
from handlers.render.message import simple
from tests.golden import GOLDEN_DIR


def assert_view_golden(name: str, view: View) -> dict[str, Any]:
    """Like tests.golden.assert_golden, for a view: `golden/ko/<name>.json` in Korean."""
    locale = current_locale()
    path = GOLDEN_DIR / (f"{name}.json" if locale == "en" else f"{locale}/{name}.json")
    as_dict = view.to_dict()
    actual = json.dumps(as_dict, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        assert not os.environ.get("CI"), f"{path} missing: golden files are committed"
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs (UPDATE_GOLDEN=1)"
    return as_dict


def test_the_loading_view_has_no_callback_and_says_it_is_checking():
    view = assert_view_golden("forms_loading", render_loading_view("Approval needed"))
    assert view["title"]["text"] == "Approval needed"
    assert "callback_id" not in view and "submit" not in view
    assert "Checking the current state" in json.dumps(view)


def test_an_answer_instead_of_a_form_shows_the_answer_and_where_it_also_went():
    message = simple(":no_entry: Refused: prd: scale is not allowed from the bot.")
    view = assert_view_golden("forms_answer", render_form_answer("Approval needed", message))
    assert "Refused: prd: scale is not allowed" in json.dumps(view)
    assert "same answer is in the conversation" in json.dumps(view)
    assert "callback_id" not in view
    with use_locale("ko"):
        title = _("Approval needed")  # as the form's caller translates it
        korean = assert_view_golden("forms_answer", render_form_answer(title, message))
    assert korean["title"]["text"] == "승인 필요"
    assert "Refused: prd: scale is not allowed" in json.dumps(korean, ensure_ascii=False)
    assert korean["blocks"] != view["blocks"] and korean["close"] != view["close"]


def test_titles_are_clipped_to_slacks_24_characters():
    view = render_form_elsewhere("A title longer than Slack allows").to_dict()
    assert len(view["title"]["text"]) == 24 and "answer is in the conversation" in json.dumps(view)
