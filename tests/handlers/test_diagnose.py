"""`/rtb diagnose`: renderer goldens, then signed slash commands end to end against the
sandbox's world (fake clusters, fake AWS in front of moto, real Redis and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from handlers.render.diagnose import render_diagnosis
from ops.config import Config
from ops.diagnose import Check, Diagnosis
from ops.diagnose.causes import (
    AccessDenied,
    CostSpike,
    QueuePaused,
    RoleDenied,
    RunsFailing,
    RunsSpike,
)
from ops.diagnose.findings import (
    AccessFacts,
    CheckKind,
    CostByModelFacts,
    CostHourFacts,
    CostRate,
    CostTodayFacts,
    EngineLogFacts,
    EnvAccess,
    ErrorRateFacts,
    FailedRunsFacts,
    KedaFacts,
    NamespaceFacts,
    ReplicaFacts,
    ReplicaVerdict,
    RoleFailures,
    RoleRef,
    RunsByTypeFacts,
    Subject,
    TrailFacts,
    Unanswered,
)
from ops.errors import Details, Symptom
from ops.executions import TypeRate
from ops.fanout import Failed
from ops.suggestions import suggest
from sandbox.seed_kube import seed_cluster
from sandbox.seed_trail_logs import seed_engine_pod_log, seed_trail
from tests.fixtures.bot import ACCOUNTS, answer_text
from tests.golden import assert_golden, shown
from tests.ops.test_diagnose import seed_spend
from tests.ops.test_executions import create_hub_tables
from tests.ops.test_status import seed_hub_rows, seed_queues

TZ = "Asia/Seoul"
AT = datetime(2025, 3, 10, 5, 30, tzinfo=UTC)  # 14:30 in Seoul

# -- renderer goldens -------------------------------------------------------------------------

SEOUL_1408 = datetime(2025, 3, 10, 5, 8, tzinfo=UTC)
SEOUL_MIDNIGHT = datetime(2025, 3, 9, 15, 0, tzinfo=UTC)
TO_PRD_DEPLOYER = RoleRef("rtb-hub-deployer", "prd")
REDIS_DOWN = Unanswered(Failed("Redis", "cannot connect", Details(Symptom.CANNOT_CONNECT)))

PREVIEW = Diagnosis(
    playbook="preview",
    key="PROJ-300",
    checks=(
        Check(
            CheckKind.NAMESPACE,
            "fail",
            NamespaceFacts((), ("int", "stg", "prd"), ()),
            Subject(namespace="preview-proj-300"),
        ),
        Check(
            CheckKind.ENGINE_LOG,
            "fail",
            EngineLogFacts(
                "PROJ-300",
                22,
                6,
                3,
                "error",
                SEOUL_1408,
                "preview-deploy failed: cannot reach the prd cluster",
            ),
            Subject(key="PROJ-300"),
        ),
        Check(
            CheckKind.ASSUME_ROLE,
            "fail",
            TrailFacts(
                ("int", "stg", "prd"),
                40,
                (
                    RoleFailures(
                        "rtb-hub-sa",
                        TO_PRD_DEPLOYER,
                        "AccessDenied",
                        2,
                        SEOUL_1408,
                        "int",
                        "PROJ-300",
                    ),
                ),
                (),
            ),
        ),
        Check(
            CheckKind.NAMESPACE_ACCESS,
            "fail",
            AccessFacts((EnvAccess("int", True), EnvAccess("stg", True), EnvAccess("prd", False))),
            Subject(account="rtb-hub-sa"),
        ),
    ),
    causes=(
        RoleDenied("rtb-hub-sa", TO_PRD_DEPLOYER, "AccessDenied", 2),
        AccessDenied(("prd",), "rtb-hub-sa"),
    ),
    conclusion=None,
    next_commands=(
        suggest("trail", "int", errors=True),
        suggest("can-i", "prd", "create", "namespaces"),
        suggest("logs", "int", "workflow-engine", since="1h"),
    ),
    checked_at=AT,
)

BACKLOG_PARTIAL = Diagnosis(
    playbook="backlog",
    key="",
    checks=(
        Check(CheckKind.WAITING_JOBS, "unknown", REDIS_DOWN),
        Check(CheckKind.PAUSED_QUEUES, "unknown", REDIS_DOWN),
        Check(CheckKind.ERROR_RATE, "fail", ErrorRateFacts(12.0, 6, 50, 15, 5.0)),
        Check(
            CheckKind.FAILED_RUNS,
            "warn",
            FailedRunsFacts(6, (("jira-auto-dev", 6),), "Claude API 529 overloaded <!channel>"),
        ),
        Check(
            CheckKind.ENGINE_REPLICAS,
            "ok",
            ReplicaFacts(ReplicaVerdict.RUNNING, 1, 1, 1, "complete"),
        ),
        Check(CheckKind.KEDA, "ok", KedaFacts("workflow-engine", 0, 10, True, True)),
    ),
    causes=(RunsFailing(12.0, 15, 5.0, "jira-auto-dev", "Claude API 529 overloaded"),),
    conclusion=None,
    next_commands=(suggest("executions", status="failed", since="1h"), suggest("queues")),
    checked_at=AT,
)

COSTS = Diagnosis(
    playbook="costs",
    key="",
    checks=(
        Check(
            CheckKind.COST_HOUR,
            "fail",
            CostHourFacts(Decimal("34.12"), 61, Decimal("2.17"), 34.12 / 2.17),
        ),
        Check(
            CheckKind.COST_BY_MODEL,
            "fail",
            CostByModelFacts(
                (
                    CostRate("claude-sonnet-4", "int", Decimal("31.02"), 40, Decimal("0.63"), True),
                    CostRate("gpt-4.1", "stg", Decimal("1.60"), 9, Decimal("1.45"), False),
                )
            ),
        ),
        Check(
            CheckKind.RUNS_BY_TYPE,
            "warn",
            RunsByTypeFacts(
                (TypeRate("jira-auto-dev", 29, 5.2, None), TypeRate("pr-review", 4, 3.4, None))
            ),
        ),
        Check(
            CheckKind.COST_TODAY,
            "fail",
            CostTodayFacts(Decimal("120.00"), SEOUL_MIDNIGHT, TZ, 220, Decimal("100.00")),
        ),
    ),
    causes=(
        CostSpike("claude-sonnet-4", "int", Decimal("31.02"), 31.02 / 0.63),
        RunsSpike("jira-auto-dev", 29, 5.2),
    ),
    conclusion=None,
    next_commands=(
        suggest("costs", since="1h"),
        suggest("executions", type="jira-auto-dev", since="1h"),
        suggest("costs", since="24h", by="model"),
        suggest("costs", since="7d", by="env"),
    ),
    checked_at=AT,
)


def test_render_preview_golden():
    message = render_diagnosis(PREVIEW, TZ)
    assert_golden("diagnose_preview", message)
    assert message.text.startswith("Diagnose preview PROJ-300: rtb-hub-sa may not assume prd's")
    for fact in ("AccessDenied ×2, newest 14:08", "int yes · stg yes · prd NO", "4 failed"):
        assert fact in shown(message)
    assert "`/rtb trail int --errors`\n`/rtb can-i prd create namespaces`" in shown(message)


def test_render_backlog_with_a_source_down_golden():
    message = render_diagnosis(BACKLOG_PARTIAL, TZ)
    assert "<!channel>" not in str(message.to_json())  # backend text is escaped
    assert_golden("diagnose_backlog_partial", message)
    assert "*BullMQ waiting jobs* — Could not check (Redis: cannot connect)." in shown(message)
    assert "12.0 % (6 of 50 runs that finished in 15 min; threshold 5 %)" in shown(message)
    assert "1 failed, 1 to watch, 2 ok, 2 unknown" in shown(message)


def test_render_costs_golden():
    message = render_diagnosis(COSTS, TZ)
    assert_golden("diagnose_costs", message)
    for fact in (
        "$34.12 in 61 calls, 16× the usual ($2.17/h, 7-day average)",
        "claude-sonnet-4 int $31.02 (40 calls, 49× its usual)",
        "$120.00 since 00:00 (Asia/Seoul), 220 calls; threshold $100.00/day",
        "`/rtb executions --type jira-auto-dev --since 1h`",
    ):
        assert fact in shown(message)


def test_render_keeps_to_slack_limits():
    long = FailedRunsFacts(1, (("x" * 5000, 1),), "")
    many = tuple(Check(CheckKind.FAILED_RUNS, "warn", long) for _ in range(80))
    causes = (QueuePaused("c" * 5000, 1),)
    diagnosis = Diagnosis("backlog", "", many, causes, None, (suggest("x`"),) * 3, AT)
    message = render_diagnosis(diagnosis, TZ)
    assert len(message.blocks) <= 50
    for block in message.blocks_json():
        assert len((block.get("text") or {}).get("text", "")) <= 3000
    assert "`/rtb x'`" in str(message.to_json())  # a backtick cannot close the code early


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture
def bot_config(config_through_fake_aws: Config) -> Config:
    return config_through_fake_aws


@pytest.fixture
async def world(runtime, kube, fake_aws, redis_url, pg_url):
    now = datetime.now(UTC)
    for env, server in kube.items():
        seed_cluster(server, env, now=now)
    seed_engine_pod_log(kube["int"], now)
    seed_trail(fake_aws, ACCOUNTS, now)
    await create_hub_tables(pg_url)


async def test_diagnose_preview_end_to_end(slack, world):
    answer = await slack.ask("diagnose preview proj-300")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "Diagnose: preview PROJ-300" in text
    assert "*Namespace preview-proj-300* — Not in int, stg or prd." in text
    assert "rtb-hub-sa may not assume prd's rtb-hub-deployer" in text
    assert "`/rtb can-i prd create namespaces`" in text and "`/rtb trail int --errors`" in text


async def test_diagnose_preview_with_a_forbidden_cluster_names_it(slack, world, kube):
    kube["prd"].inject_fault(method="*", status=403, count=None)
    text = answer_text(await slack.ask("diagnose preview PROJ-101"))
    assert "unknown in prd (kubernetes prd: HTTP 403 Forbidden)" in text
    assert "prd unknown (HTTP 403 Forbidden)" in text
    assert "*Likely cause*" in text  # still one answer


async def test_diagnose_backlog_end_to_end(slack, world, redis_url, pg_url):
    await seed_queues(redis_url)
    await seed_hub_rows(pg_url)
    text = answer_text(await slack.ask("diagnose backlog"))
    assert "Diagnose: BullMQ backlog" in text
    assert "pr-review-queue is paused with 3 jobs waiting" in text
    assert "`/rtb queue resume pr-review-queue`" in text


async def test_diagnose_costs_end_to_end(slack, world, pg_url):
    await seed_spend(pg_url)
    text = answer_text(await slack.ask("diagnose costs"))
    assert "claude-sonnet-4 in int: $30.00 in the last hour, 60× its usual" in text
    assert "`/rtb executions --type jira-auto-dev --since 1h`" in text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("diagnose", "Missing <playbook>: preview, backlog or costs."),
        ("diagnose later", "`later` is not a valid <playbook>: must be one of: preview, backlog"),
        ("diagnose preview", "Which preview? Give its Jira issue key, e.g. PROJ-123."),
        ("diagnose preview proj_1", "`proj_1` is not a valid <issue>: must be a Jira issue key"),
        ('diagnose preview "PROJ-1\'; DROP TABLE ai_costs; --"', "is not a valid <issue>"),
        ("diagnose backlog PROJ-1", "`/rtb diagnose backlog` takes no issue key."),
        ("diagnose costs PROJ-1 extra", "Unexpected `extra`."),
    ],
)
async def test_bad_input_is_a_usage_error(slack, command, expected):
    text = answer_text(await slack.ask(command))
    assert expected in text
    assert "Usage: `/rtb diagnose" in text


async def test_help_lists_diagnose(slack):
    text = answer_text(await slack.ask("help diagnose"))
    assert "/rtb diagnose preview PROJ-123" in text and "/rtb diagnose backlog" in text
