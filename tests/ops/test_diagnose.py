"""The §5.3 playbooks against real PostgreSQL and Redis, the fake clusters and the fake AWS,
seeded with the sandbox's own seeds (the world the runbook describes)."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from handlers.render.diagnose_causes import likely_cause
from handlers.render.diagnose_checks import check_name, finding
from ops import diagnose
from ops.backends.container import BackendUrls, build_backends
from ops.diagnose import Check
from ops.diagnose.causes import (
    AccessDenied,
    EngineDown,
    PodsFailing,
    QueuePaused,
    RoleDenied,
    RunsSpike,
)
from ops.diagnose.findings import (
    NamespaceFacts,
    PodTrouble,
    RoleRef,
)
from ops.executions import type_rates
from ops.pino import LogLine
from ops.suggestions import suggest
from sandbox.seed_kube import hub_deployment, seed_cluster, seed_hub_namespace
from sandbox.seed_trail_logs import seed_engine_pod_log, seed_trail
from tests.fixtures.aws import SHORT, aws_through_fake
from tests.fixtures.bot import ACCOUNTS, make_config
from tests.ops.test_executions import ago, create_hub_tables, insert_costs, insert_executions
from tests.ops.test_status import seed_hub_rows, seed_queues
from tests.words import user_error

# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def config(kube, aws_endpoint, aws_env, fake_aws, timeouts):
    return make_config(
        kube_urls={env: server.url for env, server in kube.items()},
        aws_endpoint=aws_endpoint,
        slack_api_url="http://127.0.0.1:9/api/",
        timeouts=timeouts,
        aws=aws_through_fake(aws_endpoint, fake_aws),
    )


@pytest.fixture
async def backends_factory(config, pg_url, redis_url):
    made = []

    async def make(*, hub=pg_url, redis=redis_url):
        backends = build_backends(config, BackendUrls(pg_url, hub, redis), retries=0)
        await backends.open()
        made.append(backends)
        return backends

    yield make
    for backends in made:
        await backends.close()


@pytest.fixture
async def backends(backends_factory, pg_url):
    await create_hub_tables(pg_url)
    return await backends_factory()


@pytest.fixture
def sandbox_world(kube, fake_aws):
    """The sandbox's clusters and CloudTrail: PROJ-300 never got its preview."""
    now = datetime.now(UTC)
    for env, server in kube.items():
        seed_cluster(server, env, now=now)
    seed_engine_pod_log(kube["int"], now)
    seed_trail(fake_aws, ACCOUNTS, now)


TZ = "Asia/Seoul"


@dataclass(frozen=True)
class Worded:
    """A check as an English reader sees it (the playbooks return data; the renderer words it)."""

    state: str
    finding: str
    check: Check


def by_name(diagnosis):
    return {
        check_name(check): Worded(check.state, finding(check, TZ), check)
        for check in diagnosis.checks
    }


def cause_of(diagnosis) -> str:
    return likely_cause(diagnosis.causes, diagnosis.conclusion)


# -- preview ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"), [("PROJ-300", "PROJ-300"), ("proj-7", "PROJ-7"), (" AB2-1 ", "AB2-1")]
)
def test_issue_keys_accepted(text, key):
    assert diagnose.issue_key(text) == key
    assert diagnose.preview_namespace(key) == f"preview-{key.lower()}"


@pytest.mark.parametrize(
    "text", ["PROJ", "PROJ-", "PROJ-0", "1PROJ-2", "PRO_J-1", "PROJ-1; rm", "P" * 30 + "-1", ""]
)
def test_issue_keys_refused(text):
    with user_error(ValueError, match="Jira issue key"):
        diagnose.issue_key(text)


def test_a_line_mentions_a_key_by_its_field_or_as_a_word():
    assert diagnose.mentions(LogLine("x", issue_key="proj-300"), "PROJ-300")
    assert not diagnose.mentions(LogLine("PROJ-300", issue_key="PROJ-30"), "PROJ-300")
    assert diagnose.mentions(LogLine("creating preview-PROJ-300 now"), "PROJ-300")
    assert not diagnose.mentions(LogLine("deploying PROJ-3001"), "PROJ-300")
    assert not diagnose.mentions(LogLine("XPROJ-300"), "PROJ-300")


async def test_preview_not_created_points_at_prd_access(backends, sandbox_world):
    result = await diagnose.diagnose_preview(backends, "proj-300")

    checks = by_name(result)
    assert (result.playbook, result.key) == ("preview", "PROJ-300")
    namespace = checks["Namespace preview-proj-300"]
    assert (namespace.state, namespace.finding) == ("fail", "Not in int, stg or prd.")
    assert namespace.check.facts == NamespaceFacts((), ("int", "stg", "prd"), ())
    engine = checks["workflow-engine log (int) about PROJ-300"]
    assert engine.state == "fail" and "3 errors" in engine.finding
    assert "preview-deploy failed: cannot reach the prd cluster" in engine.finding
    trail = checks["Failed AssumeRole calls (CloudTrail, 24 h)"]
    assert trail.state == "fail"
    assert "rtb-hub-sa → prd's rtb-hub-deployer: AccessDenied ×2" in trail.finding
    access = checks["rtb-hub-sa may create namespaces"]
    assert (access.state, access.finding) == ("fail", "int yes · stg yes · prd NO.")
    assert result.causes == (
        RoleDenied("rtb-hub-sa", RoleRef("rtb-hub-deployer", "prd"), "AccessDenied", 2),
        AccessDenied(("prd",), "rtb-hub-sa"),
    )
    assert cause_of(result) == (
        "rtb-hub-sa may not assume prd's rtb-hub-deployer (AccessDenied 2× in 24 h); "
        "prd: rtb-hub-sa may not create namespaces"
    )
    assert result.next_commands == (
        suggest("trail", "int", errors=True),
        suggest("can-i", "prd", "create", "namespaces"),
        suggest("search", "all", issue="PROJ-300", since="24h"),
        suggest("logs", "int", "workflow-engine", since="1h"),
    )


async def test_preview_with_an_oom_killed_pod(backends, sandbox_world):
    result = await diagnose.diagnose_preview(backends, "PROJ-118")

    checks = by_name(result)
    assert checks["Namespace preview-proj-118"].finding == "Found in stg; not in int or prd."
    pods = checks["Pods in stg/preview-proj-118"]
    assert pods.state == "fail"
    assert "worker OOMKilled (3 restarts, CrashLoopBackOff)" in pods.finding
    assert result.causes[0] == PodsFailing(
        PodTrouble.OOM_KILLED, "stg", "preview-proj-118", ("worker",), 60.0
    )
    assert cause_of(result).startswith(
        "stg: worker in preview-proj-118 ran out of memory (OOMKilled)"
    )
    assert "AssumeRole" not in cause_of(result)  # other previews' failures are not its cause
    assert result.next_commands[:2] == (
        suggest("pods", "stg", "preview-proj-118"),
        suggest("logs", "stg", "worker", namespace="preview-proj-118"),
    )


async def test_a_slow_start_is_a_warning_not_a_failure(backends, sandbox_world):
    result = await diagnose.diagnose_preview(backends, "PROJ-101")

    pods = by_name(result)["Pods in prd/preview-proj-101"]
    assert pods.state == "warn"
    assert "took 95 s to become Ready (Fargate cold start over 60 s)" in pods.finding
    assert re.fullmatch(
        r"Only a slow start in prd: app-[a-z0-9-]+ took over 60 s", cause_of(result)
    )


async def test_a_healthy_preview(backends, sandbox_world):
    result = await diagnose.diagnose_preview(backends, "PROJ-125")

    assert by_name(result)["Pods in stg/preview-proj-125"].state == "ok"
    assert cause_of(result) == (
        "Nothing wrong with this preview: it is up in stg, its pods healthy."
    )
    assert result.next_commands[0] == suggest("previews", "stg")


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_a_hung_cluster_leaves_its_checks_unknown_and_costs_its_timeout(
    backends, sandbox_world, kube
):
    kube["prd"].inject_fault(method="*", status=None, hold=True, count=None)
    result = await diagnose.diagnose_preview(backends, "PROJ-300")

    assert kube["prd"].held_requests >= 1  # answered while prd still held its requests
    kube["prd"].release_held()
    checks = by_name(result)
    namespace = checks["Namespace preview-proj-300"]
    assert namespace.state == "unknown"
    # the client's read timeout and the call's own timeout race: either may be the one named
    timed_out = r"(read )?timed out( after 2 s)?"
    assert re.search(rf"unknown in prd \(kubernetes prd: {timed_out}\)\.$", namespace.finding)
    access = checks["rtb-hub-sa may create namespaces"].finding
    assert re.fullmatch(rf"int yes · stg yes · prd unknown \({timed_out}\)\.", access)
    assert checks["Failed AssumeRole calls (CloudTrail, 24 h)"].state == "fail"  # still there
    assert "rtb-hub-sa may not assume prd's rtb-hub-deployer" in cause_of(result)


async def test_cloudtrail_denied_is_named(backends, sandbox_world, fake_aws):
    fake_aws.inject_fault("LookupEvents", error="AccessDeniedException", count=None)
    result = await diagnose.diagnose_preview(backends, "PROJ-300")

    trail = by_name(result)["Failed AssumeRole calls (CloudTrail, 24 h)"]
    assert trail.state == "unknown"
    assert trail.finding.startswith(
        "Not read: AWS int cloudtrail: AccessDeniedException (HTTP 400); not read: AWS stg"
    )
    assert cause_of(result).startswith("prd: rtb-hub-sa may not create namespaces; ")


async def test_a_bad_key_is_the_users_mistake(backends):
    with user_error(match="is not a Jira issue key"):
        await diagnose.diagnose_preview(backends, "x'; DROP TABLE")


# -- backlog ----------------------------------------------------------------------------------


async def test_backlog_with_a_paused_queue_and_failing_runs(backends, redis_url, pg_url, kube):
    await seed_queues(redis_url)  # jira-queue 38 + 17 prioritized; pr-review-queue 3, paused
    await seed_hub_rows(pg_url)  # 6 of 50 failed in 15 min
    seed_hub_namespace(kube["int"])

    result = await diagnose.diagnose_backlog(backends)

    checks = by_name(result)
    assert checks["BullMQ waiting jobs"].finding == (
        "58 waiting (threshold 50): jira-queue 55 (17 prioritized) · pr-review-queue 3."
    )
    paused = checks["Paused queues"]
    assert (paused.state, paused.finding) == ("fail", "pr-review-queue paused with 3 waiting.")
    assert result.causes[0] == QueuePaused("pr-review-queue", 3)
    assert checks["workflow-engine error rate"].state == "fail"
    assert checks["Failed runs, last hour"].finding == (
        "6 failed: jira-auto-dev 6; newest: Claude API 529 overloaded."
    )
    assert checks["workflow-engine in int"].state == "ok"
    keda = checks["KEDA ScaledObject"]
    assert keda.state == "warn"
    assert "counts only bull:jira-queue:wait (38), not 17 prioritized" in keda.finding
    assert cause_of(result).startswith(
        "pr-review-queue is paused with 3 jobs waiting; workflow-engine runs are failing: "
        "12.0 % in 15 min (threshold 5 %), mostly jira-auto-dev"
    )
    assert result.next_commands[:2] == (
        suggest("queue resume", "pr-review-queue"),
        suggest("executions", status="failed", since="1h"),
    )


async def test_backlog_with_the_engine_scaled_to_zero(backends, redis_url, kube):
    await seed_queues(redis_url)
    seed_hub_namespace(kube["int"])
    kube["int"].apply(hub_deployment("workflow-engine", 0, "v1.42.0", "scaled down"))

    result = await diagnose.diagnose_backlog(backends)

    engine = by_name(result)["workflow-engine in int"]
    assert engine.state == "fail" and engine.finding.startswith("Scaled to 0")
    assert EngineDown(0) in result.causes
    assert "workflow-engine is scaled to 0 in int: nothing takes jobs" in cause_of(result)
    assert suggest("scale", "int", "workflow-engine", "3") in result.next_commands


async def test_no_backlog(backends, kube):
    seed_hub_namespace(kube["int"])
    result = await diagnose.diagnose_backlog(backends)
    assert cause_of(result) == "No backlog: 0 jobs waiting, within the threshold of 50."
    assert by_name(result)["workflow-engine in int"].state == "ok"


async def test_backlog_with_redis_down_still_checks_the_rest(backends_factory, pg_url, kube):
    await seed_hub_rows(pg_url)
    seed_hub_namespace(kube["int"])
    backends = await backends_factory(redis="redis://127.0.0.1:1/0")

    result = await diagnose.diagnose_backlog(backends)

    checks = by_name(result)
    for name in ("BullMQ waiting jobs", "Paused queues"):
        assert (checks[name].state, checks[name].finding) == (
            "unknown",
            "Could not check (Redis: cannot connect).",
        )
    assert checks["workflow-engine error rate"].state == "fail"
    assert checks["KEDA ScaledObject"].state == "ok"  # nothing to compare its trigger with


# -- costs ------------------------------------------------------------------------------------


async def seed_spend(pg_url):
    """A week at $0.50/h for claude-sonnet-4 in int, then $30 in the last hour; jira-auto-dev
    once an hour, then 12 times in the last hour."""
    week = [("claude-sonnet-4", "int", Decimal("0.50"), ago(hours=h)) for h in range(2, 169)]
    week += [("gpt-4.1", "stg", Decimal("0.20"), ago(hours=h)) for h in range(2, 169)]
    spike = [("claude-sonnet-4", "int", Decimal(3), ago(minutes=5 * n + 1)) for n in range(10)]
    await insert_costs(pg_url, [*week, *spike, ("gpt-4.1", "stg", Decimal("0.20"), ago(minutes=9))])
    runs = [("jira-auto-dev", "completed", ago(hours=h), 20_000, None) for h in range(2, 169)]
    runs += [
        ("jira-auto-dev", "completed", ago(minutes=4 * n + 1), 20_000, None) for n in range(12)
    ]
    runs += [("pr-review", "completed", ago(hours=h), 9_000, None) for h in range(2, 169, 2)]
    await insert_executions(pg_url, runs)


async def test_cost_spike_names_the_model_env_and_the_workflow(backends, pg_url):
    await seed_spend(pg_url)

    result = await diagnose.diagnose_costs(backends)

    checks = by_name(result)
    assert checks["AI cost, last hour"].state == "fail"
    lines = checks["AI cost by model and env"]
    assert lines.state == "fail"
    assert lines.finding.startswith("claude-sonnet-4 int $30.00 (10 calls, 60× its usual)")
    assert "gpt-4.1 stg $0.20 (1 call, 1.0× its usual)" in lines.finding
    runs = checks["Workflow runs by type, last hour"]
    assert runs.state == "warn" and "jira-auto-dev 12 vs 1.0/h usual (12×)" in runs.finding
    assert result.causes[1] == RunsSpike("jira-auto-dev", 12, pytest.approx(167 / 168))
    assert cause_of(result) == (
        "claude-sonnet-4 in int: $30.00 in the last hour, 60× its usual; "
        "jira-auto-dev ran 12 times vs 1/h usual"
    )
    assert result.next_commands[:2] == (
        suggest("costs", since="1h"),
        suggest("executions", type="jira-auto-dev", since="1h"),
    )


async def test_no_cost_spike(backends, pg_url):
    await insert_costs(
        pg_url, [("claude-haiku-4", "int", Decimal("0.40"), ago(hours=h)) for h in range(0, 100)]
    )
    result = await diagnose.diagnose_costs(backends)
    assert all(c.state == "ok" for c in result.checks), result.checks
    assert cause_of(result) == (
        "No spike: the last hour is within its usual range, and so is today."
    )


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_costs_with_the_hub_database_down(backends_factory):
    backends = await backends_factory(hub="postgresql://postgres@127.0.0.1:1/hub")
    result = await diagnose.diagnose_costs(backends)
    assert {c.state for c in result.checks} == {"unknown"}
    findings = [finding(c, TZ) for c in result.checks]
    assert all(f.startswith("Could not check (PostgreSQL (hub): ") for f in findings)
    assert cause_of(result) == (
        "Inconclusive: could not check AI cost, last hour, AI cost by model and env, "
        "Workflow runs by type, last hour and AI cost today."
    )


async def test_type_rates_are_per_window_of_the_baseline(backends, pg_url):
    await seed_spend(pg_url)
    rates = {r.workflow_type: r for r in (await type_rates(backends.hub_db)).rates}
    assert rates["jira-auto-dev"].recent_runs == 12
    assert rates["jira-auto-dev"].usual_runs == pytest.approx(167 / 168)
    assert rates["pr-review"].recent_runs == 0 and rates["pr-review"].ratio == 0
    assert rates["jira-auto-dev"].recent_avg_ms == pytest.approx(20_000)


async def test_a_model_new_this_hour_is_a_spike(backends, pg_url):
    hostile = "x'; DROP TABLE ai_costs; --"
    await insert_costs(pg_url, [(hostile, "int", Decimal(9), ago(minutes=3))])
    rates = await diagnose.cost_rates(backends.hub_db, timedelta(hours=1), timedelta(days=7))
    assert [(r.model, r.recent_usd, r.ratio) for r in rates] == [(hostile, Decimal(9), None)]
    assert rates[0].spike  # new and over $5
