"""The command surface in Korean: help, usage, errors, ping, `/rtb lang`, the Home tab and the
form views, against golden files in `golden/ko/`, with the key facts asserted directly; and
every one of them in both languages within Block Kit's limits."""

from __future__ import annotations

import json
import re

import pytest
from slack_sdk.models.views import View

from handlers.parse import parse
from handlers.render.forms import render_form_answer, render_form_elsewhere, render_loading_view
from handlers.render.general import (
    render_backend_unavailable,
    render_command_help,
    render_help,
    render_internal_error,
    render_language,
    render_language_chosen,
    render_not_handled,
    render_ping,
    render_user_error,
)
from handlers.render.home import render_home
from handlers.render.i18n import LOCALES, use_locale
from handlers.render.message import Message, simple
from handlers.table import TABLE
from ops.backends.faults import TimedOut
from ops.errors import UserError
from ops.health import BackendCheck, PingReport
from tests.golden import assert_golden, shown

HANGUL = re.compile("[가-힣]")
REPORT = PingReport(
    "1.2.3",
    (
        BackendCheck("PostgreSQL (bot)", True, True, "ok"),
        BackendCheck("Kubernetes stg", True, False, "connection refused"),
    ),
)


def usage_error(text: str) -> Message:
    with pytest.raises(UserError) as raised:
        parse(text, TABLE)
    return render_user_error(raised.value)


def view_message(view: View) -> Message:
    return Message(text=view.title.text if view.title else "", blocks=tuple(view.blocks or ()))


def test_help_in_korean_is_grouped_by_the_runbooks_stages():
    with use_locale("ko"):
        message = render_help(TABLE.values())
        assert_golden("help", message)
    text = shown(message)
    assert message.text == "rtb-ops-bot 명령"
    headings = [block.text.text.split("\n", 1)[0] for block in message.blocks[1:-1]]
    assert headings == ["*감지*", "*조사*", "*격리*", "*복구*", "*사후 분석*", "*승인*", "*일반*"]
    assert "`/rtb status`" in text  # the verbs stay English
    isolate = message.blocks[3].text.text
    assert "`/rtb scale` :lock:" in isolate and "`/rtb queue pause` :lock:" in isolate
    assert "`/rtb lang` — 봇이 답하는 언어" in text


def test_help_in_english_keeps_the_tables_groups():
    message = render_help(TABLE.values())
    headings = [block.text.text.split("\n", 1)[0] for block in message.blocks[1:-1]]
    assert headings == sorted(headings) and "*Investigate*" in headings
    assert "`/rtb lang` — The language I answer you in" in shown(message)


def test_usage_and_command_help_in_korean():
    with use_locale("ko"):
        refused = usage_error("scale prd app many")
        assert_golden("usage_scale_not_a_number", refused)
        lang = render_command_help(TABLE["lang"])
        assert_golden("help_lang", lang)
    assert "`many`은(는) &lt;replicas&gt;에 쓸 수 없습니다: 정수여야 합니다." in shown(refused)
    assert "사용법: `/rtb scale &lt;env&gt; &lt;deployment&gt; &lt;replicas&gt;" in shown(refused)
    assert "`/rtb lang [&lt;language&gt;]`" in shown(lang)  # the syntax stays English
    assert "`en` (영어) 또는 `ko` (한국어)" in shown(lang)
    assert "예: `/rtb lang`, `/rtb lang ko`" in shown(lang)


def test_errors_ping_and_language_answers_in_korean():
    unavailable = TimedOut("Redis", "timed out")
    with use_locale("ko"):
        messages = {
            "backend_unavailable": render_backend_unavailable(unavailable),
            "internal_error": render_internal_error("abc123def456"),
            "ping": render_ping(REPORT),
            "lang_default": render_language("ko", chosen=False),
            "lang_chosen": render_language_chosen("ko"),
        }
        for name, message in messages.items():
            assert_golden(name, message)
    assert "*Redis* 응답 없음: timed out." in shown(messages["backend_unavailable"])
    assert "참조 ID `abc123def456`" in shown(messages["internal_error"])
    assert messages["ping"].text == "pong — rtb-ops-bot 1.2.3: 연결되지 않는 백엔드가 있음"
    assert "지금 한국어로 답하고 있습니다 (팀 기본값)." in shown(messages["lang_default"])
    assert "되돌리려면 `/rtb lang en`를 입력하세요." in shown(messages["lang_chosen"])


def test_home_and_form_views_in_korean():
    with use_locale("ko"):
        home = view_message(render_home(simple("<@U1>: *operator*"), simple("대기 중인 승인 없음")))
        assert_golden("home", home)
        loading = view_message(render_loading_view("승인 필요"))
        assert_golden("forms_loading", loading)
    assert "*여기서 시작하세요*" in shown(home) and "`/rtb status` — §3.1 핵심 지표 5개" in shown(
        home
    )
    assert "prd 변경은 팀장 승인이 필요하며" in shown(home)
    assert "현재 상태를 확인하는 중" in shown(loading)


def every_message() -> dict[str, Message | View]:
    unavailable = TimedOut("Redis", "timed out")
    return {
        "help": render_help(TABLE.values()),
        **{f"help {verb}": render_command_help(command) for verb, command in TABLE.items()},
        "usage": usage_error("logs int web --tail"),
        "unknown": usage_error("상턔"),
        "unavailable": render_backend_unavailable(unavailable),
        "internal": render_internal_error("abc"),
        "ping": render_ping(REPORT),
        "lang": render_language("en", chosen=True),
        "lang chosen": render_language_chosen("en"),
        "home": render_home(simple("x"), simple("y")),
        "loading": render_loading_view("Approval needed"),
        "answer": render_form_answer("Approval needed", simple("x")),
        "elsewhere": render_form_elsewhere("Approval needed"),
    }


# Slack's limits; the renderers clip to them (a clipped text is exactly the limit long)
LIMITS = {"header": 150, "section": 3000, "context": 3000}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_of_the_command_surface_holds_block_kits_limits_unclipped(locale):
    with use_locale(locale):
        rendered = every_message()
    for name, message in rendered.items():
        as_json = message.to_dict() if isinstance(message, View) else message.to_json()
        for block in as_json["blocks"]:
            limit = LIMITS.get(block["type"], 3000)
            for text in _texts(block):
                assert len(text) < limit, (locale, name, text[:60])
        if "title" in as_json:  # a modal's
            assert len(as_json["title"]["text"]) < 24, (locale, name)
        assert len(json.dumps(as_json)) < 250_000, name


def _texts(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_a_request_nobody_handled_is_worded_in_each_language(locale):
    with use_locale(locale):
        older, failed = render_not_handled(404, "c0ffee"), render_not_handled(500, "c0ffee")
    assert older.ephemeral and failed.ephemeral
    assert "c0ffee" in failed.text and "c0ffee" not in older.text
    hangul = [bool(HANGUL.search(m.text)) for m in (older, failed)]
    assert hangul == [locale == "ko"] * 2
