"""Who reads in which language: `/rtb lang` stored in PostgreSQL, the middleware that answers
each request in its user's language, Korean aliases, and channels in their configured one."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from datetime import timedelta

import pytest
from structlog.testing import capture_logs

from handlers.command_words import KOREAN_ALIASES, STAGE_OF_GROUP, STAGE_OF_VERB
from handlers.languages import Languages, channel_locale
from handlers.render.general import render_ping
from handlers.render.i18n import current_locale, use_locale
from handlers.scheduled import JobContext, JobResult, ScheduledJob, fire_job
from handlers.table import TABLE
from ops.backends.db import Database, migrate
from ops.config import Config, Language
from ops.health import BackendCheck, PingReport
from ops.user_languages import UserLanguages
from sandbox.slack_payloads import app_home_opened, event_callback, signed_headers
from sandbox.tcp_proxy import TcpProxy
from tests.fixtures.bot import SIGNING_SECRET, answer_text, make_config

KO_USER, OTHER_USER = "UOPERATOR1", "UOPERATOR2"


@pytest.fixture
def bot_config(bot_config: Config) -> Config:
    """The test bot's, with the alerts channel in English and the costs channel in Korean."""
    language = Language(default="en", channels={"alerts": "en", "#rtb-costs": "ko"})
    return bot_config.model_copy(update={"language": language})


async def stored(slack, user: str) -> str | None:
    row = await slack.runtime.backends.db.fetch_one(
        "SELECT locale FROM rtb_bot.user_languages WHERE user_id = %s", (user,)
    )
    return None if row is None else str(row["locale"])


async def test_lang_ko_is_stored_and_the_next_help_is_korean_for_that_user_only(slack):
    chosen = answer_text(await slack.ask("lang ko", user=KO_USER))
    assert "이제부터 한국어로 답합니다" in chosen and "`/rtb lang en`" in chosen
    assert await stored(slack, KO_USER) == "ko"

    korean = answer_text(await slack.ask("help", user=KO_USER))
    assert "rtb-ops-bot 명령" in korean
    for stage in ("*감지*", "*조사*", "*격리*", "*복구*", "*사후 분석*"):
        assert stage in korean
    assert "`/rtb status`" in korean  # the verbs stay English

    english = answer_text(await slack.ask("help", user=OTHER_USER))
    assert "rtb-ops-bot commands" in english and "감지" not in english
    assert await stored(slack, OTHER_USER) is None


async def test_lang_alone_says_which_and_whether_chosen(slack):
    assert "I answer you in English, the team's default." in answer_text(
        await slack.ask("lang", user=OTHER_USER)
    )
    await slack.ask("lang ko", user=KO_USER)
    shown = answer_text(await slack.ask("lang", user=KO_USER))
    assert "지금 한국어로 답하고 있습니다 (직접 선택)" in shown


async def test_lang_back_to_english_answers_in_english_at_once(slack):
    await slack.ask("lang ko", user=KO_USER)
    back = answer_text(await slack.ask("lang EN", user=KO_USER))
    assert "From now on I answer you in English. `/rtb lang ko` switches back." in back
    assert await stored(slack, KO_USER) == "en"
    assert "rtb-ops-bot commands" in answer_text(await slack.ask("help", user=KO_USER))


async def test_an_unknown_language_gets_usage_in_the_users_language_and_changes_nothing(slack):
    await slack.ask("lang ko", user=KO_USER)
    refused = answer_text(await slack.ask("lang fr", user=KO_USER))
    assert "`fr`은(는) <language>에 쓸 수 없습니다: 다음 중 하나여야 합니다: en, ko." in refused
    assert "사용법: `/rtb lang [<language>]`" in refused
    assert await stored(slack, KO_USER) == "ko"

    english = answer_text(await slack.ask("lang fr", user=OTHER_USER))
    assert "`fr` is not a valid <language>: must be one of: en, ko." in english
    assert await stored(slack, OTHER_USER) is None


async def test_korean_aliases_run_their_verbs(slack):
    for alias, verb in (("상태", "status"), ("큐", "queues"), ("승인", "approvals")):
        by_alias, by_verb = await slack.ask(alias), await slack.ask(verb)
        assert "I don't know" not in answer_text(by_alias)
        assert by_alias["blocks"][0] == by_verb["blocks"][0], alias  # the same answer's head
    assert "*/rtb status* — " in answer_text(await slack.ask("help 상태"))


async def test_a_korean_typo_suggests_the_alias_and_its_verb_in_the_users_language(slack):
    await slack.ask("lang ko", user=KO_USER)
    korean = answer_text(await slack.ask("상턔", user=KO_USER))
    assert "`상턔`은(는) 없는 명령입니다. `상태` (`status`)을(를) 찾으셨나요?" in korean
    english = answer_text(await slack.ask("비욤 --day yesterday", user=OTHER_USER))
    assert "I don't know `비욤`. Did you mean `비용` (`costs`)?" in english


async def test_the_home_tab_is_in_the_readers_language(slack):
    await slack.ask("lang ko", user=KO_USER)
    body = json.dumps(event_callback(app_home_opened(KO_USER)))
    response = await slack.http.post(
        "/slack/events", data=body, headers=signed_headers(body, SIGNING_SECRET)
    )
    assert response.status == 200
    await slack.settle()
    view = json.dumps(slack.api.calls_to("views.publish")[-1].args["view"], ensure_ascii=False)
    assert "여기서 시작하세요" in view and "Start here" not in view


# -- the push side: a channel's language, whoever set the job off ------------------------------


def posting_job(name: str, channel: str) -> ScheduledJob:
    """A job that posts a ping report to `channel` (its words come from the catalogs)."""

    async def run(ctx: JobContext) -> JobResult:
        message = render_ping(PingReport("1.2.3", (BackendCheck("Redis", True, True, "ok"),)))
        where = str(getattr(ctx.deps.config.channels, channel))
        await ctx.outbox.enqueue(where, message.blocks_json(), message.text, name)
        return JobResult((name,), {"locale": current_locale()})

    return ScheduledJob(
        name,
        "test",
        cron=lambda _: "* * * * *",
        grace=lambda _: timedelta(days=1),
        channel=lambda c: str(getattr(c.channels, channel)),
        run=run,
    )


async def test_a_scheduled_post_is_in_its_channels_language_not_the_users(runtime):
    deps, push = runtime.deps, runtime.deps.require_push()
    with use_locale("ko"):  # e.g. the console's /fire, typed by a user who reads Korean
        english = await fire_job(deps, push, posting_job("lang-test-alerts", "alerts"))
        korean = await fire_job(deps, push, posting_job("lang-test-costs", "costs"))
    assert english.status == korean.status == "ran"
    in_alerts = await push.outbox.get("lang-test-alerts")
    in_costs = await push.outbox.get("lang-test-costs")
    assert in_alerts is not None and in_costs is not None
    assert in_alerts.channel == "#rtb-alerts" and in_costs.channel == "#rtb-costs"
    assert in_alerts.text == "pong — rtb-ops-bot 1.2.3: all configured backends reachable"
    assert in_costs.text == "pong — rtb-ops-bot 1.2.3: 설정된 백엔드 모두 연결됨"


def test_a_channel_is_named_by_id_name_or_alias_and_else_has_the_default():
    config = make_config(
        kube_urls={env: "http://127.0.0.1:1" for env in ("int", "stg", "prd")},
        aws_endpoint="http://127.0.0.1:1",
        slack_api_url="http://127.0.0.1:1/api/",
        channels={"approvals": "C0APPROVE"},
        language={"default": "ko", "channels": {"approvals": "en", "C0ENGLISH": "en"}},
    )
    assert channel_locale(config, "C0APPROVE") == "en"  # the alias stands for its channel
    assert channel_locale(config, "C0ENGLISH") == "en"
    assert channel_locale(config, "#rtb-alerts") == "ko"


# -- the resolver: a database that does not answer is the default, never a failed request ------


@pytest.fixture
async def proxied_store(
    pg_proxy: tuple[TcpProxy, str],
) -> AsyncIterator[tuple[UserLanguages, TcpProxy]]:
    proxy, url = pg_proxy
    db = Database("PostgreSQL (bot)", url, timeout=2.0)
    await db.open()
    await migrate(db)
    try:
        yield UserLanguages(db), proxy
    finally:
        await db.close()


def resolver(config: Config, store: UserLanguages, clock: list[float]) -> Languages:
    return Languages(config.language, config.channels, store, clock=lambda: clock[0])


async def test_a_choice_is_read_once_a_minute_and_a_dead_database_gives_the_default(
    proxied_store, bot_config
):
    store, proxy = proxied_store
    clock = [0.0]
    languages = resolver(bot_config, store, clock)
    await store.set("U0KO", "ko")
    assert await languages.locale_for_user("U0KO") == "ko"
    proxy.cut()
    assert await languages.locale_for_user("U0KO") == "ko"  # remembered: no read
    clock[0] += 61
    with capture_logs() as logs:
        assert await languages.locale_for_user("U0KO") == "en"  # the default, no exception
    assert [log["event"] for log in logs] == ["user language not read, using the default"]
    proxy.restore()
    clock[0] += 6  # a failed read is retried soon
    assert await languages.locale_for_user("U0KO") == "ko"
    assert await languages.locale_for_user("") == "en"


class CountingStore(UserLanguages):
    """The real store, counting the reads it sends (how many queries, not what they say)."""

    reads = 0

    async def get(self, user_id: str) -> str | None:
        self.reads += 1
        return await super().get(user_id)

    async def get_many(self, user_ids: Collection[str]) -> dict[str, str]:
        self.reads += 1
        return await super().get_many(user_ids)


async def test_many_users_languages_are_read_in_one_query_and_remembered(proxied_store, bot_config):
    store, proxy = proxied_store
    counting = CountingStore(store.db)
    clock = [0.0]
    languages = resolver(bot_config, counting, clock)
    await store.set("U0KO", "ko")
    await store.set("U0EN", "en")
    leads = ["U0KO", "U0EN", "U0NEVER", "U0KO"]
    assert await languages.locales_for_users(leads) == {"U0KO": "ko", "U0EN": "en", "U0NEVER": "en"}
    assert counting.reads == 1
    assert await languages.locale_for_user("U0KO") == "ko"  # remembered by the batch
    assert await languages.locales_for_users(["U0KO", "U0EN"]) == {"U0KO": "ko", "U0EN": "en"}
    assert counting.reads == 1
    proxy.cut()
    clock[0] += 61
    with capture_logs() as logs:
        assert await languages.locales_for_users(["U0KO", "U0EN"]) == {"U0KO": "en", "U0EN": "en"}
    assert [log["event"] for log in logs] == ["user languages not read, using the default"]


# -- the aliases and the stages are data that must fit the table --------------------------------


def test_every_alias_names_a_verb_and_shadows_none():
    first_words = {verb.split()[0] for verb in TABLE}
    assert set(KOREAN_ALIASES.values()) <= first_words
    assert not set(KOREAN_ALIASES) & first_words
    assert {"상태": "status", "큐": "queues", "비용": "costs", "승인": "approvals"}.items() <= (
        KOREAN_ALIASES.items()
    )


def test_every_command_has_a_stage_of_the_runbook_or_approvals_or_general():
    assert {command.group for command in TABLE.values()} <= set(STAGE_OF_GROUP)
    assert set(STAGE_OF_VERB) <= set(TABLE)
