"""Refusals raised below the edge read in the reader's language (issue 14).

Each goes through the real path: a signed `/rtb` request to the running app, the gate, Redis
(real BullMQ data) and the fake Kubernetes API. Nothing changes and nothing is left in English.
Every reader here chose Korean (`/rtb lang ko`, stored), so the app's middleware answers them
in Korean.
"""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from tests.fixtures.bot import answer_text
from tests.fixtures.node_bullmq import run_producer

QUEUE = "jira-queue"


READERS = ("UOPERATOR1", "UOPERATOR2", "UVIEWER1", "ULEAD1", "ULEAD2")


@pytest.fixture
async def slack_ko(slack):
    """Everyone who sends a request here reads Korean (`/rtb lang ko`, stored), as a user
    who chose it would: the app's middleware sets each request's language from it."""
    for user in READERS:
        await slack.runtime.deps.languages.choose(user, "ko")
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
    assert "int: `preview-proj-404` Preview namespace가 없습니다." in said
    assert "`/rtb previews int`" in said


async def test_a_value_the_parser_refuses_is_said_in_korean(slack_ko):
    said = await _ask(slack_ko, "preview create int not-a-key")
    assert "PROJ-123 같은 Jira 이슈 키여야 합니다" in said
