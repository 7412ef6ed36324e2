"""The command tables' and handlers' own words in Korean (issue 14).

Every command's help (summary, arguments, options) and every scheduled job's summary is in the
catalogs and shown translated, with the usage line as typed; the replies and errors the handlers
write read as the runbook does. Answers go through the command table's parser and the handler
over the real backends (`answer`, as the slash command runs them) inside `use_locale("ko")`:
who sets the locale per request is the Bolt middleware's job, not these modules'.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from approvals.queue_mutations import MAX_RETRY_LIMIT
from handlers import (
    approvals,
    audit,
    cloud,
    cluster,
    digests,
    hub,
    incidents,
    pod_events,
    policy,
    preview_mutations,
    queue_mutations,
    rollouts,
)
from handlers.context import CommandCall
from handlers.incident_playbooks import AlarmSubject, playbook_for
from handlers.jobs import JOBS
from handlers.mutations import REASON
from handlers.parse import parse
from handlers.render.audit_scope import render_audit_scope
from handlers.render.digest_replies import render_digest_posting
from handlers.render.general import render_command_help
from handlers.render.i18n import _, use_locale
from handlers.render.image_picker import (
    no_tag_to_offer,
    render_picker_not_opened,
    render_picker_opened,
    tags_too_slow,
)
from handlers.render.incident_replies import (
    no_such_incident,
    render_acknowledged_already,
    render_may_not_acknowledge,
    render_postmortem_exported,
    render_resolved_before,
)
from handlers.render.message import Message, escape
from handlers.slash import answer
from handlers.spec import Command
from handlers.table import TABLE
from handlers.weekly_jobs import SAMPLER_SUMMARY
from ops import logs
from tests.fixtures.bot import answer_text
from tests.golden import assert_golden

HANGUL = re.compile(r"[가-힣]")
MODULES = (
    approvals,
    audit,
    cloud,
    cluster,
    digests,
    hub,
    incidents,
    pod_events,
    policy,
    preview_mutations,
    queue_mutations,
    rollouts,
)
COMMANDS: list[Command] = [c for module in MODULES for c in module.COMMANDS]
# help that is a list of names only (the can-i verbs), and the reason flag of
# handlers.mutations (not one of these tables)
UNTRANSLATED_HELP = {next(a.help for a in TABLE["can-i"].args if a.name == "verb"), REASON.help}


def korean(text: str) -> bool:
    return bool(HANGUL.search(text))


# -- help ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.verb)
def test_every_commands_help_is_korean_and_its_usage_as_typed(command):
    with use_locale("ko"):
        text = render_command_help(command).text
        helps = [a.help for a in command.args] + [f.help for f in command.flags]
        shown = [_(h) for h in helps if h not in UNTRANSLATED_HELP]
        summary = _(command.summary)
    assert korean(summary), command.summary
    assert f"*/rtb {command.verb}* — {summary}" in text
    assert escape(command.usage()) in text  # command words and options stay English
    assert all(korean(h) and h in text for h in shown), shown
    assert all(example in text for example in command.examples)


@pytest.mark.parametrize(
    "verb", ["status", "search", "logs", "reject", "audit", "digest", "incident", "queue pause"]
)
def test_help_of_each_group_in_korean_golden(verb):
    command = TABLE[verb]
    with use_locale("ko"):
        message = render_command_help(command)
        assert_golden(f"help_{verb.replace(' ', '_')}", message)
    assert escape(command.usage()) in message.text


def test_help_in_english_is_unchanged():
    text = render_command_help(TABLE["status"]).text
    assert "*/rtb status* — The five runbook §3.1 indicators with thresholds, green/red." in text
    assert "• `&lt;env&gt;` int, stg or prd: count previews there only" in text


def test_the_numbers_in_the_help_are_the_limits_it_describes():
    """Help is a catalog entry without placeholders (it is translated where shown): the limits
    are written out, and this keeps them equal to the code's."""
    search = TABLE["search"]
    by_name = {s.name: s.help for s in (*search.args, *search.flags)}
    assert by_name["group"].startswith(", ".join(logs.SERVICES) + " ")
    assert f"(at most {logs.MAX_TEXT} characters)" in by_name["text"]
    assert by_name["level"] == ", ".join(logs.LEVELS) + " (any case)"
    assert by_name["limit"] == f"lines, 1–{logs.MAX_LIMIT} (default {logs.DEFAULT_LIMIT})"
    event = next(f.help for f in TABLE["trail"].flags if f.name == "event")
    assert f"(default {cloud.DEFAULT_EVENT})" in event
    limit = next(f.help for f in TABLE["queue retry-failed"].flags if f.name == "limit")
    assert f"(1 to {MAX_RETRY_LIMIT:,})" in limit


def test_every_scheduled_jobs_summary_is_korean():
    with use_locale("ko"):
        summaries = [_(job.summary) for job in JOBS.values()] + [_(SAMPLER_SUMMARY)]
    assert all(korean(s) for s in summaries), summaries
    assert "§6.2 주간 체크리스트" in summaries[list(JOBS).index("weekly-digest")]


# -- the handlers' replies -----------------------------------------------------------------------


def test_the_set_image_form_replies_in_korean_golden():
    with use_locale("ko"):
        opened, failed = render_picker_opened(), render_picker_not_opened("int", "worker")
        assert_golden("set_image_form_opened", opened)
        assert_golden("set_image_form_not_opened", failed)
        no_tag, slow = no_tag_to_offer("int", "worker"), tags_too_slow("int", "worker", 2.0)
    assert "`/rtb set-image int worker <tag>`" in failed.text  # the command as typed
    assert no_tag.startswith("`worker`에 제안할 태그가 없습니다")
    assert "2초" in slow and "`/rtb set-image int worker <tag>`" in slow


def test_the_incident_replies_in_korean_golden():
    with use_locale("ko"):
        refused = render_may_not_acknowledge()
        acked = render_acknowledged_already("<@ULEAD1>", "12-03 09:58")
        twice = render_resolved_before("INC-0042")
        exported = render_postmortem_exported("INC-0042", 7)
        assert_golden("incident_acknowledge_refused", refused)
    assert "operator와 팀장만" in refused.text and "*조사*" in refused.text
    assert acked.text == "<@ULEAD1> 님이 12-03 09:58에 이미 확인했습니다."
    assert "INC-0042" in twice.text and "변경하지 않았습니다" in twice.text
    assert "INC-0042 사후 분석 초안" in exported.text and "이벤트 7건" in exported.text


def test_a_mistyped_incident_id_gets_did_you_mean_in_both_languages():
    english = no_such_incident("INC-0043", ["INC-0042", "INC-0034"])
    assert english == (
        "No incident `INC-0043`. Did you mean `INC-0042`, `INC-0034`? `/rtb incidents` lists them."
    )
    with use_locale("ko"):
        korean_text = no_such_incident("INC-0043", ["INC-0042"])
    assert (
        korean_text
        == "`INC-0043` 장애가 없습니다. 혹시 `INC-0042`인가요? 목록은 `/rtb incidents`로 보세요."
    )


def test_the_digest_posting_reply_in_korean():
    with use_locale("ko"):
        daily = render_digest_posting("daily", "#rtb-alerts", 2)
        weekly = render_digest_posting("weekly", "#rtb-alerts", 3)
    assert daily.text == "일간 체크리스트를 지금 #rtb-alerts에 올립니다 (메시지 2개)."
    assert weekly.text.startswith("주간 체크리스트를") and "메시지 3개" in weekly.text
    english = render_digest_posting("daily", "#rtb-alerts", 2).text
    assert english == "Posting the daily digest to #rtb-alerts now (2 message(s))."


@pytest.mark.parametrize(
    ("since", "user", "env", "english", "korean_text"),
    [
        (timedelta(days=7), None, None, "of the last 7 days", "(최근 7일)"),
        (timedelta(hours=36), "U1", None, "of the last 1.5 days by <@U1>", "(최근 1.5일, <@U1>)"),
        (timedelta(hours=6), None, "prd", "of the last 6 hours in prd", "(최근 6시간, prd)"),
        (
            timedelta(days=2),
            "U1",
            "stg",
            "of the last 2 days by <@U1> in stg",
            "(최근 2일, <@U1>, stg)",
        ),
    ],
)
def test_the_audit_window_in_both_languages(since, user, env, english, korean_text):
    assert render_audit_scope(since, user, env) == english
    with use_locale("ko"):
        scope = render_audit_scope(since, user, env)
    assert scope == korean_text


def test_the_incident_card_buttons_in_korean():
    alarm = AlarmSubject("rtb-hub-bullmq-queue-depth", "int", "WaitingJobs", "RTBHub/BullMQ")
    with use_locale("ko"):
        playbook = playbook_for(alarm, ["jira-queue"])
    labels = {a.key: a.label for a in playbook.actions}
    assert labels == {
        "pause-queue": "jira-queue 일시정지",
        "scale": "workflow-engine replica 3개로 스케일",
    }
    assert [a.line for a in playbook.actions] == [
        "queue pause jira-queue",
        "scale int workflow-engine 3",
    ]
    english = playbook_for(alarm, ["jira-queue"])
    assert [a.label for a in english.actions] == ["Pause jira-queue", "Scale workflow-engine to 3"]


# -- answers through the parser and the handlers, over the real backends -------------------------


async def ask_ko(runtime: Any, text: str, *, user: str = "UOPERATOR1") -> str:
    """What the slash command answers (parse, run, failures made safe), rendered in Korean."""
    call = CommandCall(runtime.deps, user, "C_OPS", {}, "corr-ko", TABLE, client=runtime.client)

    async def work() -> Message:
        parsed = parse(text, TABLE)
        return await parsed.command.run(replace(call, values=parsed.values))

    with use_locale("ko"):
        message = await answer(runtime.deps, work, "corr-ko")
    return answer_text({"text": message.text, "blocks": message.blocks_json()})


async def test_costs_refuses_a_future_day_and_two_windows_in_korean(runtime):
    future = await ask_ko(runtime, "costs --day 2099-01-01")
    assert "2099-01-01: 아직 오지 않은 날입니다" in future
    both = await ask_ko(runtime, "costs --day today --since 1h")
    assert "`--day`와 `--since` 중 하나만 쓰세요." in both
    assert "/rtb costs" in both  # the usage line, as typed


async def test_trail_and_search_refuse_in_korean(runtime):
    both = await ask_ko(runtime, "trail --changes --event AssumeRole")
    assert "`--changes`와 `--event` 중 하나만 쓰세요." in both
    too_long = await ask_ko(runtime, "search all --min-duration 25h")
    assert "24h 이하여야 합니다" in too_long


async def test_audit_answers_its_window_in_korean(runtime):
    page = await ask_ko(runtime, "audit --since 6h --env prd")
    assert "(최근 6시간, prd)" in page  # the bot's own audit log, in PostgreSQL
    wrong = await ask_ko(runtime, "audit --user bob")
    assert "Slack 사용자여야 합니다" in wrong


async def test_a_viewer_may_not_post_a_digest_in_korean(runtime):
    refused = await ask_ko(runtime, "digest daily --post", user="UVIEWER1")
    assert "체크리스트 채널 게시는 operator와 팀장만 할 수 있습니다." in refused


async def test_incident_lookups_answer_in_korean(runtime):
    missing = await ask_ko(runtime, "incident INC-0999")
    assert "`INC-0999` 장애가 없습니다. 목록은 `/rtb incidents`로 보세요." in missing
    not_an_id = await ask_ko(runtime, "incident nope")
    assert "장애 id가 아닙니다: `nope`" in not_an_id
    extra = await ask_ko(runtime, "incident INC-0001 export now")
    assert "`export` 뒤에는 아무것도 쓰지 않습니다." in extra
