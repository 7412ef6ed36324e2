"""The daily digest over the seeded week (the sandbox's own seeds) on real PostgreSQL, Redis,
the fake clusters and hub API, and the fake Slack: numbers recomputed here from the raw data,
replicas racing for a period, catch-up, Slack down, sources down, ticks and the reminder."""

import asyncio
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bot.app import create_runtime
from bot.settings import Settings
from handlers.jobs import JOBS
from handlers.render.daily_digest import CHECK_ACTION
from handlers.scheduled import fire_job
from ops.previews import EXPIRES_AT
from sandbox.fake_hub_api import FakeHubApi
from sandbox.seed_hub import seed_hub
from sandbox.seed_kube import seed_cluster
from sandbox.seed_queues import QUEUES, seed_queues
from tests.fixtures.bot import answer_text, serving

SEOUL = ZoneInfo("Asia/Seoul")
ALERTS, COSTS = "#rtb-alerts", "#rtb-costs"
DAILY, REMINDER = JOBS["daily-digest"], JOBS["daily-reminder"]


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


def nine_o_five_before(now):
    """The newest 09:05 Seoul time at or before `now` (so real BullMQ failures are < 24 h old)."""
    local = now.astimezone(SEOUL)
    at = local.replace(hour=9, minute=5, second=0, microsecond=0)
    return (at if at <= local else at - timedelta(days=1)).astimezone(UTC)


@pytest.fixture
async def world(redis_url, pg_url, kube):
    at = nine_o_five_before(datetime.now(UTC))
    await seed_hub(pg_url, now=at - timedelta(minutes=5))
    await seed_queues(redis_url)
    for env, server in kube.items():
        seed_cluster(server, env, now=at - timedelta(minutes=5))
    hub_api = FakeHubApi(kube)
    hub_api.start()
    yield at, hub_api
    hub_api.stop()


def settings_with_hub_api(bot_settings, hub_api):
    config = bot_settings.config
    envs = {
        env: e.model_copy(update={"hub_api_url": hub_api.base_url(env)})
        for env, e in config.environments.items()
    }
    # a cold Kubernetes client takes seconds on a loaded test machine: the numbers are the
    # point here (sources that fail are the point of other tests)
    timeouts = config.timeouts.model_copy(update={"backend_seconds": 15, "fanout_seconds": 20})
    # these tests count what #rtb-alerts got; a replica started with its schedules would also
    # alert about the seeded slow start (the pod watcher: tests/handlers/test_pod_alerts.py)
    pod_watch = config.pod_watch.model_copy(update={"enabled": False})
    update = {"environments": envs, "timeouts": timeouts, "pod_watch": pod_watch}
    return Settings(config.model_copy(update=update), bot_settings.secrets)


def make_runtime(settings, clock, replica, **secrets):
    if secrets:
        settings = Settings(settings.config, replace(settings.secrets, **secrets))
    return create_runtime(settings, retries=0, clock=clock, replica=replica)


@pytest.fixture
async def replicas(bot_settings, world):
    """Two replicas of the bot on one PostgreSQL (with the hub API configured)."""
    at, hub_api = world
    clock = Clock(at)
    settings = settings_with_hub_api(bot_settings, hub_api)
    started = [make_runtime(settings, clock, f"pod-{name}") for name in "ab"]
    for rt in started:
        await rt.start()
    yield started, clock
    for rt in started:
        await rt.stop()


async def fire(rt, job=DAILY):
    fired = await fire_job(rt.deps, rt.deps.push, job)
    await rt.deps.push.sender.deliver_due()
    return fired


def sections(message):
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def outbox_keyed(messages, prefix):
    """The messages posted under an outbox key starting with `prefix` (the key is in their
    Slack metadata)."""
    return [
        m
        for m in messages
        if str(((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")).startswith(
            prefix
        )
    ]


def top_level(fake_slack, channel):
    return [m for m in fake_slack.messages(channel) if m.get("thread_ts") in (None, m["ts"])]


# -- the numbers, recomputed here from what the seeds wrote ----------------------------------


def expected_previews(kube, at):
    rows, expiring, expired = {}, 0, 0
    for env, server in kube.items():
        namespaces = [
            ns
            for ns in server.list("namespaces")
            if (ns["metadata"].get("labels") or {}).get("rtb.io/preview") == "true"
        ]
        created = 0
        for ns in namespaces:
            meta = ns["metadata"]
            expires = datetime.fromisoformat(meta["annotations"][EXPIRES_AT])
            expiring += at < expires <= at + timedelta(hours=24)
            expired += expires <= at
            created += datetime.fromisoformat(meta["creationTimestamp"]) >= at - timedelta(hours=24)
        rows[env] = (len(namespaces), created)
    return rows, expiring, expired


async def hub_rows(pg_url, sql):
    async with await psycopg.AsyncConnection.connect(pg_url) as conn:
        return await (await conn.execute(sql)).fetchall()


async def expected_costs(pg_url, at):
    rows = await hub_rows(pg_url, "SELECT model, env, total_cost_usd, created_at FROM ai_costs")
    yesterday = at.astimezone(SEOUL).date() - timedelta(days=1)
    per_day = defaultdict(Decimal)
    by_model, by_env = defaultdict(Decimal), defaultdict(Decimal)
    for model, env, cost, created in rows:
        day = created.astimezone(SEOUL).date()
        per_day[day] += cost
        if day == yesterday:
            by_model[model] += cost
            by_env[env] += cost
    week = sum(per_day[yesterday - timedelta(days=n)] for n in range(1, 8))
    return yesterday, per_day[yesterday], week / 7, by_model, by_env


async def test_the_digest_shows_the_seeded_numbers(replicas, world, kube, pg_url, fake_slack):
    (rt, _), clock = replicas
    at = clock.now
    fired = await fire(rt)
    assert fired.status == "ran"
    [posted] = top_level(fake_slack, ALERTS)
    previews, failed_jobs, cost = sections(posted)

    rows, expiring, expired = expected_previews(kube, at)
    for env, (active, created) in rows.items():
        line = f"• {env}: *{active}* active (hub API lists {active}), {created} created in 24 h"
        assert line in previews
    assert f"Expiring in the next 24 h: *{expiring}*" in previews
    assert f"Expired but still present (cleanupExpired() failed): *{expired}*" in previews
    assert (expiring, expired) == (4, 1)  # the seed's story: PROJ-130 in int failed cleanup
    assert "int/PROJ-130" in previews and ":warning:" in previews
    assert "Cleaned up since yesterday: unknown (no earlier digest)" in previews

    for seed in QUEUES[:2]:  # the test bot watches jira-queue and pr-review-queue
        n = len(seed.failures)
        assert f"• `{seed.name}`: *{n}* new since yesterday, {n} failed in all" in failed_jobs
    reasons = Counter(r for seed in QUEUES[:2] for r in seed.failures).most_common(3)
    assert "Top reasons: " + "; ".join(f"{r} ×{n}" for r, n in reasons) in failed_jobs
    runs = await hub_rows(
        pg_url, "SELECT workflow_type, status, started_at FROM workflow_executions"
    )
    failed = Counter(
        t for t, s, started in runs if s == "failed" and at - timedelta(hours=24) <= started < at
    )
    assert f"workflow_executions failed in 24 h: *{sum(failed.values())}*" in failed_jobs
    for workflow, n in failed.items():
        assert f"{workflow} {n}" in failed_jobs

    day, total, average, by_model, by_env = await expected_costs(pg_url, at)
    assert f"{day.isoformat()}: *${total:,.2f}* (under the $100.00 daily threshold)" in cost
    assert f"7-day average before it: ${average:,.2f}" in cost
    for name, amount in [*by_model.items(), *by_env.items()]:
        assert f"{name} ${amount:,.2f}" in cost
    assert fake_slack.messages(COSTS) == []  # under the threshold: nothing to #rtb-costs
    assert [b["elements"][0]["action_id"] for b in posted["blocks"] if b["type"] == "actions"] == [
        CHECK_ACTION
    ] * 3


async def test_a_day_over_the_threshold_also_goes_to_the_costs_channel(
    replicas, pg_url, fake_slack
):
    (rt, _), clock = replicas
    yesterday_noon = clock.now.astimezone(SEOUL).replace(hour=12) - timedelta(days=1)
    async with await psycopg.AsyncConnection.connect(pg_url) as conn:
        await conn.execute(
            "INSERT INTO ai_costs (model, env, workflow_type, total_cost_usd, created_at)"
            " VALUES ('claude-opus-4', 'prd', 'jira-auto-dev', 150, %s)",
            (yesterday_noon,),
        )
    await fire(rt)
    [alert] = fake_slack.messages(COSTS)
    assert "over the $100.00 daily threshold" in alert["blocks"][0]["text"]["text"]
    assert "claude-opus-4 $150.00" in alert["blocks"][0]["text"]["text"]
    assert ":warning:" in sections(top_level(fake_slack, ALERTS)[0])[2]


async def test_two_replicas_firing_one_period_at_once_post_once(replicas, fake_slack):
    (a, b), _ = replicas
    fired = await asyncio.gather(
        fire_job(a.deps, a.deps.push, DAILY), fire_job(b.deps, b.deps.push, DAILY)
    )
    assert sorted(f.status for f in fired) == ["claimed", "ran"]
    assert {f.period for f in fired} == {fired[0].period}
    await asyncio.gather(a.deps.push.sender.deliver_due(), b.deps.push.sender.deliver_due())
    assert len(top_level(fake_slack, ALERTS)) == 1


async def test_a_replica_down_at_nine_catches_up_once_within_the_grace(
    bot_settings, world, fake_slack
):
    at, hub_api = world
    settings = settings_with_hub_api(bot_settings, hub_api)
    clock = Clock(at + timedelta(minutes=95))  # 10:40: started late, within the 2 h grace

    async def start_replica(name):
        rt = create_runtime(settings, retries=0, clock=clock, replica=name, run_schedules=True)
        await rt.start()  # the catch-up runs as a background task of the start
        await rt.deps.tasks.drain(60)
        await rt.deps.push.sender.deliver_due()
        runs = await rt.deps.push.claims.last_runs()
        await rt.stop()
        return runs

    runs = await start_replica("pod-late")
    assert runs["daily-digest"].replica == "pod-late"
    assert (
        "daily-reminder" not in runs or runs["daily-reminder"].period < runs["daily-digest"].period
    )
    clock.advance(minutes=10)
    await start_replica("pod-later")  # finds the period claimed
    clock.advance(minutes=20)  # 11:10: past the grace; a new replica posts nothing either
    await start_replica("pod-too-late")
    # one digest (the seeded world is over some §3.1 thresholds: the evaluator's catch-up
    # passes may add their alerts beside it)
    assert len(outbox_keyed(top_level(fake_slack, ALERTS), "daily-digest:")) == 1


async def test_slack_down_during_the_send_posts_later_once(replicas, fake_slack):
    (rt, _), clock = replicas
    fake_slack.fail_next("chat.postMessage", "internal_error", count=1)
    await fire(rt)
    assert top_level(fake_slack, ALERTS) == []
    runs = await rt.deps.push.claims.last_runs()
    assert runs["daily-digest"].outcome == "done"  # built and in the outbox: the send is later
    clock.advance(seconds=10)
    await rt.deps.push.sender.deliver_due()
    await rt.deps.push.sender.deliver_due()
    assert len(top_level(fake_slack, ALERTS)) == 1


@pytest.mark.parametrize(
    ("broken", "item", "named"),
    [
        ({"redis_url": "redis://127.0.0.1:1/0"}, 1, "Redis"),
        ({"hub_database_url": "postgresql://rtb@127.0.0.1:1/hub"}, 1, "PostgreSQL (hub)"),
        ({"hub_database_url": "postgresql://rtb@127.0.0.1:1/hub"}, 2, "PostgreSQL (hub)"),
    ],
)
async def test_a_source_that_is_down_is_named_in_its_item(
    bot_settings, world, fake_slack, broken, item, named
):
    at, hub_api = world
    rt = make_runtime(settings_with_hub_api(bot_settings, hub_api), Clock(at), "pod-a", **broken)
    await rt.start()
    try:
        assert (await fire(rt)).status == "ran"
        runs = await rt.deps.push.claims.last_runs()
    finally:
        await rt.stop()
    text = sections(top_level(fake_slack, ALERTS)[0])[item]
    assert named in text and "Traceback" not in text and "Error" not in text
    assert named in runs["daily-digest"].detail["unread"]


async def test_a_cluster_or_the_hub_api_down_is_named_and_the_rest_shown(
    replicas, kube, fake_slack
):
    (rt, _), _ = replicas
    kube["prd"].inject_fault(method="GET", path_regex="/namespaces", status=500, count=None)
    await fire(rt)
    previews = sections(top_level(fake_slack, ALERTS)[0])[0]
    assert "• int: *3* active" in previews and "• prd:" not in previews
    assert (
        "_Not read: kubernetes prd (HTTP 500 Internal Server Error)_" in previews
        and ":grey_question:" not in previews.split("\n")[0]
    )


async def test_ticks_by_viewer_operator_and_lead_double_ticks_and_no_untick(
    replicas, fake_slack, pg_url
):
    (rt, _), clock = replicas
    await fire(rt)
    key = f"daily-digest:{clock.now.astimezone(SEOUL).date()}"
    async with serving(rt, fake_slack) as slack:
        for user in ("UVIEWER1", "UOPERATOR1", "UVIEWER1", "ULEAD1"):
            clock.advance(minutes=7)
            assert await slack.click(CHECK_ACTION, f"{key}|previews", user=user) == 200
            await slack.settle()
            await rt.deps.push.sender.deliver_due()
    [digest] = top_level(fake_slack, ALERTS)
    ticks = next(b for b in digest["blocks"] if b.get("block_id") == "digest-ticks:previews")
    text = ticks["elements"][0]["text"]
    assert text.startswith(":ballot_box_with_check: checked by <@UVIEWER1> at 09:12, <@UOPERATOR1>")
    assert text.index("UVIEWER1") < text.index("UOPERATOR1") < text.index("ULEAD1")
    assert text.count("UVIEWER1") == 1  # the second click added nothing
    assert len(fake_slack.calls_to("chat.update")) == 3
    assert any("already checked" in answer_text(r.body) for r in fake_slack.responses)
    audit = await rt.deps.gate.audit.search(datetime.now(UTC) - timedelta(days=2))
    checks = [r.event for r in audit if r.event.action == "digest.check"]
    assert sorted(e.actor for e in checks) == ["ULEAD1", "UOPERATOR1", "UVIEWER1"]
    assert {e.params["item"] for e in checks} == {"previews"}


async def test_ticks_racing_on_two_replicas_all_show(replicas, fake_slack):
    (a, b), clock = replicas
    await fire(a)
    key = f"daily-digest:{clock.now.astimezone(SEOUL).date()}"
    async with serving(a, fake_slack) as on_a, serving(b, fake_slack) as on_b:
        users = [("ULEAD1", on_a), ("ULEAD2", on_b), ("UOPERATOR1", on_a), ("UOPERATOR2", on_b)]
        await asyncio.gather(
            *(d.click(CHECK_ACTION, f"{key}|failed_jobs", user=u) for u, d in users)
        )
        await asyncio.gather(on_a.settle(), on_b.settle())
    await asyncio.gather(a.deps.push.sender.deliver_due(), b.deps.push.sender.deliver_due())
    [digest] = top_level(fake_slack, ALERTS)
    ticks = next(b for b in digest["blocks"] if b.get("block_id") == "digest-ticks:failed_jobs")
    assert all(u in ticks["elements"][0]["text"] for u, _ in users)


async def test_the_reminder_names_the_unchecked_items_once_in_the_thread(replicas, fake_slack):
    (rt, other), clock = replicas
    await fire(rt)
    key = f"daily-digest:{clock.now.astimezone(SEOUL).date()}"
    async with serving(rt, fake_slack) as slack:
        for item in ("previews", "ai_cost"):
            await slack.click(CHECK_ACTION, f"{key}|{item}", user="UVIEWER1")
        await slack.settle()
    clock.now = clock.now.astimezone(SEOUL).replace(hour=14, minute=0).astimezone(UTC)
    assert (await fire(rt, REMINDER)).status == "ran"
    assert (await fire(other, REMINDER)).status == "claimed"
    [digest] = top_level(fake_slack, ALERTS)
    [reminder] = fake_slack.thread(ALERTS, digest["ts"])
    assert "2. Failed jobs" in reminder["text"]
    assert "Previews" not in reminder["text"] and "AI cost" not in reminder["text"]


async def test_digest_command_privately_and_post_for_operators_only(replicas, fake_slack):
    (rt, _), _ = replicas
    async with serving(rt, fake_slack) as slack:
        shown = await slack.ask("digest daily", user="UVIEWER1")
        assert shown["response_type"] == "ephemeral"
        assert "Daily checklist" in answer_text(shown) and CHECK_ACTION not in answer_text(shown)
        refused = await slack.ask("digest daily --post", user="UVIEWER1")
        assert "for operators and leads" in answer_text(refused)
        assert top_level(fake_slack, ALERTS) == []
        posted = await slack.ask("digest daily --post", user="UOPERATOR1")
        assert "Posting the daily digest" in answer_text(posted)
        await rt.deps.push.sender.deliver_due()
        assert len(top_level(fake_slack, ALERTS)) == 1
        schedules = answer_text(await slack.ask("schedules", user="UVIEWER1"))
    assert "daily-digest" in schedules and "daily-reminder" in schedules
    assert "Last run: none yet" in schedules  # --post is outside the schedule: no claim


async def test_schedules_shows_the_last_run_and_its_replica(replicas, fake_slack):
    (a, b), _ = replicas
    await fire(b)
    async with serving(a, fake_slack) as slack:
        text = answer_text(await slack.ask("schedules"))
    assert "by `pod-b`" in text and "done" in text and "next: " in text
