"""The preview pod watcher end to end: the fake cluster's watch API → two bot replicas →
claims in PostgreSQL → the outbox → the fake Slack's #rtb-alerts. No sleeps: each step waits
until the watchers have handled the change's resourceVersion."""

from __future__ import annotations

import asyncio
import html
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from bot.app import Runtime, create_runtime
from bot.settings import Settings
from handlers.render.pod_alerts import EVENTS_ACTION, LOGS_ACTION
from ops.backends.db import Database
from ops.pod_watch import backoff_seconds
from sandbox.fake_kube import FakeKubeServer
from sandbox.fake_slack import FakeSlackAPI
from tests.fixtures.bot import serving

NS = "preview-proj-7"
ALERTS = "#rtb-alerts"


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def namespace(name: str, preview: bool = True) -> dict[str, Any]:
    labels = {"rtb.io/preview": "true", "rtb.io/issue-key": "PROJ-7"} if preview else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def worker_pod(ns: str = NS, name: str = "worker-7d9f") -> dict[str, Any]:
    container = {
        "name": "worker",
        "image": "rtb-hub:preview-proj-7",
        "resources": {"limits": {"memory": "256Mi"}},
    }
    status = {
        "name": "worker",
        "image": "rtb-hub:preview-proj-7",
        "imageID": "",
        "ready": True,
        "restartCount": 0,
        "state": {"running": {"startedAt": iso(datetime.now(UTC))}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": "worker"}},
        "spec": {"containers": [container]},
        "status": {"phase": "Running", "containerStatuses": [status]},
    }


def oom_killed(kube: FakeKubeServer, restarts: int, ns: str = NS, name: str = "worker-7d9f") -> int:
    """The container was OOMKilled and restarted (its `restarts`-th time); the change's rv."""
    pod = kube.get("pods", ns, name)
    assert pod is not None
    now = datetime.now(UTC)
    status = pod["status"]["containerStatuses"][0]
    status.update(
        restartCount=restarts,
        lastState={
            "terminated": {
                "reason": "OOMKilled",
                "exitCode": 137,
                "startedAt": iso(now - timedelta(seconds=30)),
                "finishedAt": iso(now),
            }
        },
        state={"running": {"startedAt": iso(now)}},
    )
    return int(kube.apply(pod)["metadata"]["resourceVersion"])


def relabelled(kube: FakeKubeServer, ns: str = NS, name: str = "worker-7d9f") -> int:
    """A change that is no new kill (a label): the watch sees one more MODIFIED event."""
    pod = kube.get("pods", ns, name)
    assert pod is not None
    pod["metadata"]["labels"]["touched"] = str(pod["metadata"]["resourceVersion"])
    return int(kube.apply(pod)["metadata"]["resourceVersion"])


async def handled(replicas: list[Runtime], env: str, version: int) -> None:
    for rt in replicas:
        assert rt.pod_watchers is not None
        assert await rt.pod_watchers.watchers[env].wait_handled(version, 30), rt.deps.push
    push = replicas[0].deps.require_push()
    for _ in range(300):  # the replicas' own senders may hold a row's lease: until all is sent
        await push.sender.deliver_due()
        if (await push.outbox.stats()).waiting == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the outbox was not delivered")


def alerts(fake_slack: FakeSlackAPI) -> list[dict[str, Any]]:
    return [m for m in fake_slack.messages(ALERTS) if m.get("thread_ts") in (None, m["ts"])]


def readable(message: dict[str, Any]) -> str:
    return html.unescape(json.dumps(message.get("blocks", []), ensure_ascii=False))


async def claims(pg_url: str) -> list[tuple[str, str, int, str]]:
    db = Database("test", pg_url, max_size=1)
    await db.open()
    try:
        rows = await db.fetch(
            "SELECT env, kind, restart, claimed_by FROM rtb_bot.pod_alert_claims"
            " ORDER BY restart, kind"
        )
    finally:
        await db.close()
    return [(r["env"], r["kind"], r["restart"], r["claimed_by"]) for r in rows]


def settings_with(bot_settings: Settings, **pod_watch: Any) -> Settings:
    config = bot_settings.config
    timeouts = config.timeouts.model_copy(update={"backend_seconds": 15})
    watch = config.pod_watch.model_copy(update=pod_watch)
    update = {"pod_watch": watch, "timeouts": timeouts}
    return Settings(config.model_copy(update=update), bot_settings.secrets)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def replicas(bot_settings: Settings, kube: dict[str, FakeKubeServer], clock: Clock):
    """Two replicas watching stg, with the preview's namespace and pod there already."""
    kube["stg"].apply(namespace(NS))
    kube["stg"].apply(namespace("payments", preview=False))
    kube["stg"].apply(worker_pod())
    settings = settings_with(bot_settings, fold_minutes=5, recent_minutes=60)
    started = [create_runtime(settings, retries=0, clock=clock, replica=f"pod-{n}") for n in "ab"]
    for rt in started:
        await rt.start()
        assert rt.pod_watchers is not None
        rt.pod_watchers.start("stg")
    await handled(started, "stg", kube["stg"].resource_version)
    yield started
    for rt in started:
        await rt.stop()


async def test_an_oom_kill_is_one_alert_across_two_replicas_with_its_facts_and_buttons(
    replicas: list[Runtime], kube: dict[str, FakeKubeServer], fake_slack: FakeSlackAPI, pg_url: str
) -> None:
    await handled(replicas, "stg", oom_killed(kube["stg"], 1))
    await handled(replicas, "stg", relabelled(kube["stg"]))  # more events, the same restart

    posted = alerts(fake_slack)
    assert len(posted) == 1
    shown = readable(posted[0])
    for fact in ("OOMKilled", "stg", "PROJ-7", NS, "worker-7d9f", "`worker`", "256Mi"):
        assert fact in shown
    assert "*Restarts*\\n1" in shown
    actions = [e for b in posted[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in actions] == [
        (
            LOGS_ACTION,
            f"logs stg worker-7d9f --namespace {NS} --container worker --previous --tail 200",
        ),
        (EVENTS_ACTION, f"events stg worker-7d9f --namespace {NS}"),
    ]
    found = await claims(pg_url)
    assert [row[:3] for row in found] == [("stg", "oom:worker", 1)]
    assert found[0][3] in ("pod-a", "pod-b")


async def test_a_claim_whose_replica_died_before_its_alert_is_taken_over_once(
    replicas: list[Runtime],
    kube: dict[str, FakeKubeServer],
    fake_slack: FakeSlackAPI,
    clock: Clock,
    pg_url: str,
) -> None:
    (pod,) = kube["stg"].list("pods", NS)
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        await conn.execute(  # a replica claimed restart 1 and died before writing its alert
            "INSERT INTO rtb_bot.pod_alert_claims (env, pod_uid, kind, restart, claimed_by,"
            " claimed_at) VALUES ('stg', %s, 'oom:worker', 1, 'pod-dead', %s)",
            (pod["metadata"]["uid"], clock() - timedelta(minutes=5)),
        )
    await handled(replicas, "stg", oom_killed(kube["stg"], 1))
    await handled(replicas, "stg", relabelled(kube["stg"]))

    assert len(alerts(fake_slack)) == 1  # not lost, not doubled
    assert [row[3] for row in await claims(pg_url)] != ["pod-dead"]


async def test_kills_within_the_window_fold_into_the_first_alert_and_a_later_one_opens_a_new(
    replicas: list[Runtime],
    kube: dict[str, FakeKubeServer],
    fake_slack: FakeSlackAPI,
    clock: Clock,
    pg_url: str,
) -> None:
    for restart in (1, 2, 3):
        await handled(replicas, "stg", oom_killed(kube["stg"], restart))

    posted = alerts(fake_slack)
    assert len(posted) == 1
    shown = readable(posted[0])
    assert "OOMKilled ×3" in shown and "*Restarts*\\n3" in shown
    assert "3 OOMKills of this container folded into this alert" in shown
    assert [row[2] for row in await claims(pg_url)] == [1, 2, 3]

    clock.offset = timedelta(minutes=6)  # past fold_minutes (5): a new alert
    await handled(replicas, "stg", oom_killed(kube["stg"], 4))
    posted = alerts(fake_slack)
    assert len(posted) == 2
    assert "OOMKilled ×" not in readable(posted[1]) and "*Restarts*\\n4" in readable(posted[1])


async def test_pods_outside_previews_are_not_alerted(
    replicas: list[Runtime], kube: dict[str, FakeKubeServer], fake_slack: FakeSlackAPI
) -> None:
    kube["stg"].apply(worker_pod("payments", "ledger"))
    hub = replicas[0].deps.config.hub.namespace
    kube["stg"].apply(
        {**namespace(hub), "metadata": {"name": hub, "labels": {"rtb.io/preview": "true"}}}
    )
    kube["stg"].apply(worker_pod(hub, "engine"))
    oom_killed(kube["stg"], 1, "payments", "ledger")
    await handled(replicas, "stg", oom_killed(kube["stg"], 1, hub, "engine"))
    assert alerts(fake_slack) == []


async def test_a_disconnect_and_a_410_miss_no_kill_and_repeat_none(
    replicas: list[Runtime], kube: dict[str, FakeKubeServer], fake_slack: FakeSlackAPI, pg_url: str
) -> None:
    stg = kube["stg"]
    await handled(replicas, "stg", oom_killed(stg, 1))

    stg.disconnect_watches()  # the kill happens while no watch is open: replayed on resume
    await handled(replicas, "stg", oom_killed(stg, 2))

    # both replicas' next watch requests wait at the server while a kill happens and the
    # history is compacted past it: their version is gone (410), a new list finds the kill
    stg.inject_fault("GET", "^/api/v1/pods$", status=None, hold=True, count=2)
    stg.disconnect_watches()
    for _ in range(300):
        if stg.held_requests == 2:
            break
        await asyncio.sleep(0.05)
    assert stg.held_requests == 2
    version = oom_killed(stg, 3)
    stg.compact_watch_history()
    stg.release_held()
    await handled(replicas, "stg", version)

    posted = alerts(fake_slack)
    assert len(posted) == 1
    assert "OOMKilled ×3" in readable(posted[0])
    assert [row[2] for row in await claims(pg_url)] == [1, 2, 3]
    for rt in replicas:
        assert rt.pod_watchers is not None
        stats = rt.pod_watchers.watchers["stg"].stats
        assert stats.expired >= 1 and stats.lists >= 2 and stats.watches >= 3


def slow_pod(name: str, seconds: int) -> dict[str, Any]:
    pod = worker_pod(name=name)
    now = datetime.now(UTC)
    created = now - timedelta(seconds=seconds)
    pod["metadata"]["creationTimestamp"] = iso(created)
    pod["status"].update(
        startTime=iso(created + timedelta(seconds=seconds * 0.6)),
        conditions=[
            {
                "type": "PodScheduled",
                "status": "True",
                "lastTransitionTime": iso(created + timedelta(seconds=1)),
            },
            {
                "type": "Initialized",
                "status": "True",
                "lastTransitionTime": iso(created + timedelta(seconds=1)),
            },
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": iso(now)},
            {"type": "Ready", "status": "True", "lastTransitionTime": iso(now)},
        ],
    )
    pod["status"]["containerStatuses"][0]["state"] = {
        "running": {"startedAt": iso(now - timedelta(seconds=5))}
    }
    return pod


async def test_a_slow_start_is_one_alert_saying_where_the_time_went(
    replicas: list[Runtime], kube: dict[str, FakeKubeServer], fake_slack: FakeSlackAPI
) -> None:
    kube["stg"].apply(slow_pod("fast", 20))
    await handled(
        replicas, "stg", int(kube["stg"].apply(slow_pod("slow", 95))["metadata"]["resourceVersion"])
    )
    await handled(replicas, "stg", relabelled(kube["stg"], name="slow"))

    posted = alerts(fake_slack)
    assert len(posted) == 1
    shown = readable(posted[0])
    assert "Slow start" in shown and "`slow`" in shown and "1m" in shown and "PROJ-7" in shown
    for phase in ("scheduling", "node", "image pull and start", "readiness"):
        assert phase in shown
    assert "Most of it: *node*" in shown  # 0.6 x 95 s waiting for a Fargate node


async def test_the_buttons_run_the_logs_previous_and_events_reads_for_the_clicker(
    replicas: list[Runtime], kube: dict[str, FakeKubeServer], fake_slack: FakeSlackAPI
) -> None:
    stg = kube["stg"]
    stg.set_pod_logs(NS, "worker-7d9f", "FATAL heap out of memory\n", previous=True)
    stg.set_pod_logs(NS, "worker-7d9f", "started again\n")
    stg.apply(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "worker-7d9f.1", "namespace": NS},
            "involvedObject": {"kind": "Pod", "name": "worker-7d9f", "namespace": NS},
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container worker",
            "count": 3,
            "lastTimestamp": iso(datetime.now(UTC)),
        }
    )
    await handled(replicas, "stg", oom_killed(stg, 1))
    posted = alerts(fake_slack)[0]
    values = {
        e["action_id"]: e["value"]
        for b in posted["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }
    async with serving(replicas[0], fake_slack) as slack:
        assert await slack.click(LOGS_ACTION, values[LOGS_ACTION], user="UVIEWER1") == 200
        await slack.settle()
        assert await slack.click(EVENTS_ACTION, values[EVENTS_ACTION], user="UVIEWER1") == 200
        await slack.settle()
        assert await slack.click(LOGS_ACTION, "delete int x", user="UVIEWER1") == 200
        await slack.settle()
    answers = [html.unescape(json.dumps(r.body)) for r in fake_slack.responses]
    assert len(answers) == 3  # the forged value ran nothing, and the clicker is told so
    assert "nothing was run" in answers[2]
    assert "FATAL heap out of memory" in answers[0] and "started again" not in answers[0]
    assert "previous run" in answers[0]
    assert "BackOff" in answers[1] and "Back-off restarting failed container worker" in answers[1]


async def test_a_failing_api_is_retried_with_backoff_and_nothing_is_missed(
    bot_settings: Settings, kube: dict[str, FakeKubeServer], fake_slack: FakeSlackAPI
) -> None:
    stg = kube["stg"]
    stg.apply(namespace(NS))
    stg.apply(worker_pod())
    stg.inject_fault("GET", "^/api/v1/pods$", status=503, count=3)  # the list fails 3 times
    rt = create_runtime(settings_with(bot_settings), retries=0, replica="pod-a")
    await rt.start()
    try:
        assert rt.pod_watchers is not None
        rt.pod_watchers.start("stg")
        await handled([rt], "stg", oom_killed(stg, 1))
        stats = rt.pod_watchers.watchers["stg"].stats
        assert stats.failures == 3 and stats.lists == 1
        assert len(alerts(fake_slack)) == 1
    finally:
        await rt.stop()


async def test_stopping_the_runtime_ends_its_open_watches(
    replicas: list[Runtime], kube: dict[str, FakeKubeServer]
) -> None:
    rt = replicas[0]
    assert rt.pod_watchers is not None
    watcher = rt.pod_watchers.watchers["stg"]
    assert watcher.running and watcher.stats.watches >= 1
    threads = _threads_of(watcher)
    assert [t.name.startswith("pod-watch-stg") for t in threads] == [True]  # its own thread
    await rt.pod_watchers.stop()  # the open watch is cut: its thread ends, nothing waits 300 s
    assert not watcher.running
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()


def _threads_of(watcher: Any) -> set[threading.Thread]:
    return set(getattr(watcher._thread, "_threads", ()))


def test_backoff_grows_and_stays_bounded() -> None:
    waits = [backoff_seconds(n, 30.0) for n in range(1, 12)]
    assert 0.4 <= waits[0] <= 0.6 and waits[3] > waits[0]
    assert max(waits) <= 36.0 and waits[-1] >= 24.0


async def test_logs_of_a_container_the_pod_does_not_have_is_a_clear_answer(
    replicas: list[Runtime], fake_slack: FakeSlackAPI
) -> None:
    async with serving(replicas[0], fake_slack) as slack:
        answer = await slack.ask(f"logs stg worker-7d9f --namespace {NS} --container nope")
        before_restart = await slack.ask(f"logs stg worker-7d9f --namespace {NS} --previous")
    text = html.unescape(json.dumps(answer))
    assert "has no container `nope` (`worker`)" in text and "Traceback" not in text
    refused = html.unescape(json.dumps(before_restart))  # no terminated run yet
    assert "has not restarted: there is no previous run to read" in refused
    assert "not answering" not in refused and "Traceback" not in refused


async def test_serve_runs_a_watcher_per_env_and_the_config_can_turn_them_off(
    bot_settings: Settings, kube: dict[str, FakeKubeServer]
) -> None:
    rt = create_runtime(settings_with(bot_settings), retries=0, run_schedules=True)
    await rt.start()
    try:
        assert rt.pod_watchers is not None
        watchers = rt.pod_watchers.watchers
        assert sorted(watchers) == ["int", "prd", "stg"]
        assert all(w.running for w in watchers.values())
    finally:
        await rt.stop()
    assert not any(w.running for w in watchers.values())
    off = create_runtime(settings_with(bot_settings, enabled=False), retries=0)
    assert off.pod_watchers is None
