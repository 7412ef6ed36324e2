"""The weekly digest as a scheduled job: two replicas over real PostgreSQL, Redis, the fake
clusters, AWS through the fake (Cost Explorer forwarded to moto) and the fake Slack Web API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.app import Runtime, create_runtime
from bot.settings import Settings
from handlers.jobs import JOBS
from handlers.scheduled import fire_job
from handlers.weekly_jobs import WEEKLY_JOB
from tests.fixtures.bot import ACCOUNTS, secrets_for
from tests.fixtures.weekly import (
    NOW,
    WEEK_START,
    ce_day,
    cross_account_assume,
    engine_deployment,
    insert_samples,
    seed_ce,
    weekly_config,
)
from tests.ops.test_executions import create_hub_tables

KEY = "weekly-digest:2026-03-02"


def seed_week(aws_endpoint: str, fake_aws: Any, kube: Any) -> None:
    first = WEEK_START.date() - timedelta(days=6)
    for account in ACCOUNTS.values():
        seed_ce(
            aws_endpoint,
            account,
            [ce_day(first + timedelta(days=n), ("1", "0.5")) for n in range(14)],
        )
    for env in ("stg", "prd"):
        fake_aws.add_trail_event(
            ACCOUNTS[env], cross_account_assume(env, WEEK_START + timedelta(days=1))
        )
    fake_aws.add_log_group("/rtb-ai-hub/workflow-engine")
    kube["int"].apply(engine_deployment(2))


async def start_replica(settings: Settings, replica: str, now: datetime = NOW) -> Runtime:
    runtime = create_runtime(settings, retries=0, clock=lambda: now, replica=replica)
    await runtime.start()
    return runtime


@pytest.fixture
async def settings(kube, aws_endpoint, aws_env, fake_aws, fake_slack, pg_url, redis_url):
    await create_hub_tables(pg_url)
    config = weekly_config(kube, aws_endpoint, fake_aws, slack_api_url=fake_slack.base_url)
    return Settings(config, secrets_for(pg_url, redis_url))


@pytest.fixture
async def replicas(settings) -> AsyncIterator[list[Runtime]]:
    started = [await start_replica(settings, "pod-a"), await start_replica(settings, "pod-b")]
    try:
        yield started
    finally:
        for runtime in started:
            await runtime.stop()


async def test_two_replicas_fire_the_same_week_and_one_digest_goes_out_with_its_chart(
    replicas, aws_endpoint, fake_aws, kube, fake_slack, pg_url
):
    seed_week(aws_endpoint, fake_aws, kube)
    rows = [(WEEK_START + timedelta(minutes=m), 2, 2, False, 0, 0) for m in range(120)]
    await insert_samples(pg_url, rows)  # two idle hours at 2 replicas
    job = JOBS[WEEKLY_JOB]

    fired = await asyncio.gather(*(fire_job(r.deps, r.deps.require_push(), job) for r in replicas))

    assert sorted(f.status for f in fired) == ["claimed", "ran"]
    ran = next(f for f in fired if f.status == "ran")
    assert ran.period is not None and ran.result is not None
    assert ran.result.posted == (KEY, f"{KEY}:chart")  # the chart is in the outbox too
    assert ran.result.detail == {"unread": []}
    await fake_slack.await_for(lambda: any(u.thread_ts for u in fake_slack.uploads), timeout=60)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1
    digest = posts[0].args
    assert digest["channel"] == "#rtb-alerts"
    text = str(digest["blocks"])
    assert "*4.0* idle" in text and "$0.20" in text  # 2 replicas × 2 h idle at $0.05
    assert "*$31.50* from 02-23 to 03-01" in text  # 3 accounts × 7 days × $1.50
    [upload] = fake_slack.uploads
    digest_ts = [m["ts"] for m in fake_slack.messages(upload.channel_id) if not m.get("files")]
    assert digest_ts == [upload.thread_ts]  # the chart is a reply to the digest
    assert upload.content is not None and upload.content.startswith(b"\x89PNG")
    assert upload.filename == "weekly-costs.png"


async def test_a_late_run_describes_the_week_of_its_period(settings, fake_slack):
    """Thursday, a /fire with the console's 8-day grace takes Monday's period: the digest is
    the week before that Monday, not the 7 days before Thursday."""
    runtime = await start_replica(settings, "pod-late", now=NOW + timedelta(days=3, hours=5))
    try:
        push = runtime.deps.require_push()
        fired = await fire_job(runtime.deps, push, JOBS[WEEKLY_JOB], grace=timedelta(days=8))
        await push.sender.deliver_due()
    finally:
        await runtime.stop()
    assert fired.status == "ran" and fired.result is not None
    assert fired.result.posted[0] == KEY
    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.args["text"].startswith("Weekly checklist 2026-02-23 – 2026-03-01")


async def test_digest_weekly_privately_and_post_for_operators_only(
    replicas, aws_endpoint, fake_aws, kube, fake_slack
):
    from tests.fixtures.bot import answer_text, serving

    seed_week(aws_endpoint, fake_aws, kube)
    runtime = replicas[0]
    async with serving(runtime, fake_slack) as slack:
        shown = await slack.ask("digest weekly", user="UVIEWER1")
        assert shown["response_type"] == "ephemeral"
        text = answer_text(shown)
        assert "Weekly checklist · 2026-02-23 – 2026-03-01" in text
        assert "*$31.50* from 02-23 to 03-01" in text
        refused = await slack.ask("digest weekly --post", user="UVIEWER1")
        assert "for operators and leads" in answer_text(refused)
        assert fake_slack.calls_to("chat.postMessage") == []
        before = len(fake_slack.responses)
        assert await slack.command("digest weekly --post", user="UOPERATOR1") == 200
        await slack.settle(timeout=90)  # the digest and its chart are drawn in the background
        await runtime.deps.require_push().sender.deliver_due()
        [posted] = fake_slack.responses[before:]
        assert "Posting the weekly digest" in answer_text(dict(posted.body))
    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.args["channel"] == "#rtb-alerts"
    assert post.args["metadata"]["event_payload"]["key"].startswith("weekly-digest:posted:")
    [upload] = fake_slack.uploads
    assert upload.thread_ts == fake_slack.messages(upload.channel_id)[0]["ts"]


async def test_schedules_lists_the_sampler_with_the_replica_that_recorded_the_minute(
    replicas, kube, fake_slack
):
    from handlers.weekly_jobs import sample_minute
    from tests.fixtures.bot import answer_text, serving

    kube["int"].apply(engine_deployment(2))
    a, b = replicas
    await sample_minute(b.deps, "pod-b")
    async with serving(a, fake_slack) as slack:
        text = answer_text(await slack.ask("schedules", user="UVIEWER1"))
    sampler = text.split("engine-sampler", 1)[1]
    assert "`* * * * *`" in sampler and "weekly-digest" in text
    assert "by `pod-b`" in sampler and "done" in sampler
