"""Refusals raised below the edge read in the reader's language (issue 14).

Each goes through the real path: a signed `/rtb` request to the running app, the gate, Redis
(real BullMQ data) and the fake Kubernetes API. Nothing changes and nothing is left in English.
The reader's language is Korean for the whole test (`korean`, set before the app starts, so
the app's tasks inherit it), until `/rtb lang` sets it per user.
"""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from handlers.render.i18n import set_locale
from tests.fixtures.bot import answer_text
from tests.fixtures.node_bullmq import run_producer

QUEUE = "jira-queue"


@pytest.fixture
async def korean():
    """Korean for the app started after it and for the test (pytest-asyncio carries an async
    fixture's context variables into the fixtures and the test that follow it)."""
    set_locale("ko")
    yield
    set_locale("en")


@pytest.fixture
async def slack_ko(korean, slack):
    return slack


@pytest.fixture
async def queue(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield Queue(QUEUE, {"connection": client, "prefix": "bull"})
    finally:
        await client.aclose()


async def _ask(slack, text: str, user: str = "UOPERATOR1") -> str:
    return answer_text(await slack.ask(text, user=user))


async def test_a_queue_that_is_not_paused_is_said_in_korean(slack_ko, redis_url, queue):
    run_producer(redis_url, QUEUE, {"waiting": 2})
    said = await _ask(slack_ko, f"queue resume {QUEUE}")
    assert f"`{QUEUE}` 큐는 일시정지 상태가 아닙니다" in said
    assert not await queue.isPaused()


async def test_already_paused_names_the_command_to_type_in_korean(slack_ko, redis_url, queue):
    run_producer(redis_url, QUEUE, {"waiting": 1})
    await slack_ko.ask(f"queue pause {QUEUE}")
    said = await _ask(slack_ko, f"queue pause {QUEUE}")
    assert f"이미 일시정지 상태입니다. 재개하려면 `/rtb queue resume {QUEUE}`를 실행하세요." in said
    assert await queue.isPaused()


async def test_an_unknown_queue_gets_did_you_mean_in_korean(slack_ko):
    said = await _ask(slack_ko, "queue pause jira-qeue")
    assert "`jira-qeue` 큐가 없습니다. 혹시 `jira-queue`인가요?" in said


async def test_a_policy_refusal_is_said_in_korean(slack_ko, redis_url, queue):
    run_producer(redis_url, QUEUE, {"waiting": 1})
    said = await _ask(slack_ko, f"queue pause {QUEUE} --env stg", user="ULEAD1")
    assert "stg 핵심 인프라는 봇에서 절대 변경하지 않습니다" in said
    viewer = await _ask(slack_ko, f"queue pause {QUEUE}", user="UVIEWER1")
    assert "viewer는 변경을 요청할 수 없습니다" in viewer
    assert not await queue.isPaused()


async def test_a_missing_preview_names_the_listing_command_in_korean(slack_ko):
    said = await _ask(slack_ko, "preview delete int PROJ-404")
    assert "int: `preview-proj-404` Preview 네임스페이스가 없습니다." in said
    assert "`/rtb previews int`" in said


async def test_a_value_the_parser_refuses_is_said_in_korean(slack_ko):
    said = await _ask(slack_ko, "preview create int not-a-key")
    assert "PROJ-123 같은 Jira 이슈 키여야 합니다" in said
