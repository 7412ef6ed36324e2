"""Every kind of diagnose check, cause and conclusion worded in both languages: no missing
translation, no placeholder left, Slack's limits kept; Korean goldens of the three playbooks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import get_args

import pytest

from handlers.render.diagnose import render_diagnosis
from handlers.render.diagnose_causes import likely_cause
from handlers.render.diagnose_checks import check_name, finding
from handlers.render.i18n import LOCALES, use_locale
from ops.diagnose.causes import (
    AccessDenied,
    Cause,
    Conclusion,
    CostsCalm,
    CostSpike,
    EngineDown,
    EngineFailed,
    Inconclusive,
    KedaPaused,
    KedaUndercounts,
    NoBacklog,
    NoPods,
    NothingFound,
    OverBudgetToday,
    Overloaded,
    PodsFailing,
    PreviewHealthy,
    QueuePaused,
    RoleDenied,
    RunsFailing,
    RunsSpike,
)
from ops.diagnose.findings import (
    AccessFacts,
    Check,
    CheckKind,
    CostByModelFacts,
    CostHourFacts,
    CostRate,
    CostTodayFacts,
    EngineLogFacts,
    EnvAccess,
    ErrorRateFacts,
    Facts,
    FailedRunsFacts,
    KedaFacts,
    NamespaceFacts,
    PausedFacts,
    PodProblem,
    PodsFacts,
    PodTrouble,
    QueueLoad,
    ReplicaFacts,
    ReplicaVerdict,
    RoleFailures,
    RoleRef,
    RunsByTypeFacts,
    Subject,
    TrailFacts,
    Unanswered,
    Uncounted,
    WaitingFacts,
)
from ops.errors import Details, Symptom
from ops.executions import TypeRate
from ops.fanout import Failed
from tests.golden import assert_golden, shown
from tests.handlers.test_diagnose import BACKLOG_PARTIAL, COSTS, PREVIEW, TZ

AT = datetime(2025, 3, 10, 5, 8, tzinfo=UTC)
NS = Subject(namespace="preview-proj-300")
PODS = Subject(env="stg", namespace="preview-proj-118")
KEY = Subject(key="PROJ-300")
DOWN = Failed(
    "kubernetes prd", "HTTP 403 Forbidden", Details(Symptom.HTTP_STATUS, 403, "Forbidden")
)
TIMED_OUT = Failed("kubernetes stg", "timed out after 2 s", Details(Symptom.TIMED_OUT, seconds=2))
TO_DEPLOYER = RoleRef("rtb-hub-deployer", "prd")
UNCOUNTED = Uncounted("bull:jira-queue:wait", 38, 17)
POD_PROBLEMS = (
    PodProblem(PodTrouble.OOM_KILLED, "worker", restarts=3, reason="CrashLoopBackOff"),
    PodProblem(PodTrouble.CRASH_LOOP, "api", restarts=1200),
    PodProblem(PodTrouble.IMAGE_PULL, "web", reason="ImagePullBackOff"),
    PodProblem(PodTrouble.SLOW_START, "app-1", start_seconds=95.0),
    PodProblem(PodTrouble.UNHEALTHY, "db", reason="Pending", ready=0, containers=2),
)
CLAUDE = CostRate("claude-sonnet-4", "int", Decimal("30"), 10, Decimal("0.5"), True)
NEW_MODEL = CostRate("gpt-4.1", "stg", Decimal("9"), 1, Decimal(0), True)
# Every kind of check with each shape of its facts (a variant per line that words differently).
CHECKS = (
    Check(CheckKind.NAMESPACE, "fail", NamespaceFacts((), ("int", "stg", "prd"), ()), NS),
    Check(CheckKind.NAMESPACE, "warn", NamespaceFacts((("stg", True),), ("int",), (DOWN,)), NS),
    Check(CheckKind.NAMESPACE, "unknown", Unanswered(None), NS),
    Check(CheckKind.PODS, "warn", PodsFacts(0, 0, (), 60.0), PODS),
    Check(CheckKind.PODS, "ok", PodsFacts(2, 2, (), 60.0), PODS),
    Check(CheckKind.PODS, "fail", PodsFacts(0, 5, POD_PROBLEMS, 60.0), PODS),
    Check(
        CheckKind.ENGINE_LOG, "warn", EngineLogFacts("PROJ-300", 1000, 0, 0, "line", None, ""), KEY
    ),
    *(
        Check(
            CheckKind.ENGINE_LOG,
            "fail",
            EngineLogFacts("PROJ-300", 22, 6, 3, level, AT, "boom"),
            KEY,
        )
        for level in ("error", "warning", "line")
    ),
    Check(CheckKind.ASSUME_ROLE, "ok", TrailFacts(("int", "stg"), 40, (), ())),
    Check(CheckKind.ASSUME_ROLE, "unknown", TrailFacts((), 0, (), (DOWN, DOWN))),
    Check(
        CheckKind.ASSUME_ROLE,
        "fail",
        TrailFacts(
            ("int",),
            40,
            (
                RoleFailures("rtb-hub-sa", TO_DEPLOYER, "AccessDenied", 2, AT, "int", "PROJ-300"),
                RoleFailures("", RoleRef(), "AccessDenied", 1, None, "prd", ""),
                RoleFailures(
                    "ci", RoleRef(arn="arn:aws:iam::9:role/x"), "Denied", 1, AT, "int", ""
                ),
            ),
            (DOWN,),
        ),
    ),
    Check(
        CheckKind.NAMESPACE_ACCESS,
        "unknown",
        AccessFacts(
            (EnvAccess("int", True), EnvAccess("prd", False), EnvAccess("stg", None, TIMED_OUT))
        ),
        Subject(account="rtb-hub-sa"),
    ),
    Check(CheckKind.NAMESPACE_ACCESS, "unknown", AccessFacts((EnvAccess("int", None, DOWN),))),
    Check(
        CheckKind.WAITING_JOBS,
        "fail",
        WaitingFacts(
            1200, 50, (QueueLoad("jira-queue", 1055, 17), QueueLoad("pr-review-queue", 3))
        ),
    ),
    Check(CheckKind.WAITING_JOBS, "ok", WaitingFacts(0, 50, ())),
    Check(CheckKind.PAUSED_QUEUES, "ok", PausedFacts(())),
    Check(CheckKind.PAUSED_QUEUES, "fail", PausedFacts((QueueLoad("pr-review-queue", 3),))),
    Check(CheckKind.ERROR_RATE, "fail", ErrorRateFacts(12.0, 6, 50, 15, 5.0)),
    Check(CheckKind.FAILED_RUNS, "ok", FailedRunsFacts(0, (), "")),
    Check(CheckKind.FAILED_RUNS, "warn", FailedRunsFacts(6, (("jira-auto-dev", 6),), "")),
    Check(CheckKind.FAILED_RUNS, "warn", FailedRunsFacts(6, (("jira-auto-dev", 6),), "529")),
    *(
        Check(CheckKind.ENGINE_REPLICAS, "warn", ReplicaFacts(verdict, 0, 1, 0, rollout))
        for verdict in ReplicaVerdict
        for rollout in ("complete", "progressing", "failed", "paused", "unobserved")
    ),
    Check(CheckKind.KEDA, "warn", KedaFacts("")),
    Check(CheckKind.KEDA, "ok", KedaFacts("workflow-engine", 0, 10, True, None)),
    Check(
        CheckKind.KEDA,
        "fail",
        KedaFacts("workflow-engine", None, 10, False, False, paused=True, uncounted=UNCOUNTED),
    ),
    Check(CheckKind.COST_HOUR, "fail", CostHourFacts(Decimal("34.12"), 61, Decimal("2.17"), 15.7)),
    Check(CheckKind.COST_HOUR, "ok", CostHourFacts(Decimal(0), 0, Decimal(0), None)),
    Check(CheckKind.COST_BY_MODEL, "fail", CostByModelFacts((CLAUDE, NEW_MODEL))),
    Check(CheckKind.COST_BY_MODEL, "ok", CostByModelFacts(())),
    Check(
        CheckKind.RUNS_BY_TYPE,
        "warn",
        RunsByTypeFacts((TypeRate("jira-auto-dev", 29, 5.2, None), TypeRate("new", 6, 0, None))),
    ),
    Check(CheckKind.RUNS_BY_TYPE, "ok", RunsByTypeFacts(())),
    Check(
        CheckKind.COST_TODAY,
        "fail",
        CostTodayFacts(Decimal("120"), AT, "Asia/Seoul", 220, Decimal("100")),
    ),
)
CAUSES: tuple[Cause, ...] = (
    NoPods("stg", "preview-proj-118"),
    *(PodsFailing(t, "stg", "ns", ("a", "b"), 60.0) for t in list(PodTrouble)[:4]),
    EngineFailed("PROJ-300", "preview-deploy failed"),
    RoleDenied("rtb-hub-sa", TO_DEPLOYER, "AccessDenied", 2),
    RoleDenied("", RoleRef(), "AccessDenied", 1),
    AccessDenied(("stg", "prd"), "rtb-hub-sa"),
    AccessDenied(("prd",), ""),
    Overloaded(1200),
    QueuePaused("pr-review-queue", 3),
    RunsFailing(12.0, 15, 5.0, "jira-auto-dev", "529"),
    RunsFailing(12.0, 15, 5.0, "jira-auto-dev", ""),
    EngineDown(0),
    EngineDown(2),
    KedaPaused(),
    KedaUndercounts(UNCOUNTED),
    CostSpike("claude-sonnet-4", "int", Decimal(30), 60.0),
    CostSpike("gpt-4.1", "stg", Decimal(9), None),
    RunsSpike("jira-auto-dev", 12, 1.0),
    RunsSpike("new", 6, 0.0),
    OverBudgetToday(Decimal(120), Decimal(100), spiked=True),
    OverBudgetToday(Decimal(120), Decimal(100), spiked=False),
)
CONCLUSIONS: tuple[Conclusion, ...] = (
    PreviewHealthy(("stg", "prd")),
    NothingFound("PROJ-9999"),
    NoBacklog(0, 50),
    CostsCalm(),
    Inconclusive(),
    Inconclusive(partial=True),
    Inconclusive(CHECKS[2:3]),
)
LEFT_OVER = re.compile(r"\{[a-z_]*\}")
HANGUL = re.compile(r"[가-힣]")
NAMES_THE_SAME_IN_KOREAN = {CheckKind.NAMESPACE, CheckKind.KEDA}  # Kubernetes' own words


def test_the_samples_cover_every_kind():
    assert {check.kind for check in CHECKS} == set(CheckKind)
    assert {type(check.facts) for check in CHECKS} == set(get_args(Facts))
    assert {type(cause) for cause in CAUSES} == set(get_args(Cause))
    assert {type(conclusion) for conclusion in CONCLUSIONS} == set(get_args(Conclusion))


def _texts() -> list[tuple[str, str]]:
    texts = [(f"name {c.kind}", check_name(c)) for c in CHECKS]
    texts += [(f"finding {type(c.facts).__name__}", finding(c, TZ)) for c in CHECKS]
    texts += [(f"cause {type(c).__name__}", likely_cause((c,), None)) for c in CAUSES]
    texts += [(f"conclusion {type(c).__name__}", likely_cause((), c)) for c in CONCLUSIONS]
    return texts


@pytest.mark.parametrize("locale", LOCALES)
def test_every_kind_is_worded_with_no_placeholder_left(locale):
    with use_locale(locale):
        texts = _texts()
    for what, text in texts:
        assert text and not LEFT_OVER.search(text), f"{locale} {what}: {text!r}"


def test_every_kind_reads_in_korean():
    with use_locale("ko"):
        texts = _texts()
        same = {check_name(c) for c in CHECKS if c.kind in NAMES_THE_SAME_IN_KOREAN}
    for what, text in texts:
        assert HANGUL.search(text) or text in same, f"not translated: {what}: {text!r}"


def test_korean_numbers_and_money_are_the_readers():
    with use_locale("ko"):
        waiting = finding(CHECKS[15], TZ)
        cost = likely_cause((CostSpike("claude-sonnet-4", "int", Decimal(30), 60.0),), None)
    assert waiting.startswith("대기 1,200개 (임계값 50): jira-queue 1,055 (우선순위 17)")
    assert cost == "int의 claude-sonnet-4: 최근 1시간 US$30.00, 평소의 60×"


@pytest.mark.parametrize(
    ("name", "diagnosis"),
    [
        ("diagnose_preview", PREVIEW),
        ("diagnose_backlog_partial", BACKLOG_PARTIAL),
        ("diagnose_costs", COSTS),
    ],
)
def test_korean_goldens(name, diagnosis):
    with use_locale("ko"):
        message = render_diagnosis(diagnosis, TZ)
        assert_golden(name, message)
    text = shown(message)
    assert message.blocks_json()[0]["text"]["text"].startswith("진단: ")
    assert "*추정 원인*" in text and "런북 §5.3" in text
    for block in message.blocks_json():
        assert len((block.get("text") or {}).get("text", "")) <= 3000
    assert len(message.blocks_json()[0]["text"]["text"]) <= 150
    assert "<!channel>" not in str(message.to_json())


def test_korean_preview_golden_keeps_the_facts():
    with use_locale("ko"):
        text = shown(render_diagnosis(PREVIEW, TZ))
    for fact in (
        "진단: Preview PROJ-300",
        "int, stg, prd에 없음.",
        "rtb-hub-sa → prd의 rtb-hub-deployer: AccessDenied ×2, 최근 14:08",
        "int 가능 · stg 가능 · prd 불가.",
        "prd: rtb-hub-sa에 Namespace 생성 권한이 없습니다",
        "`/rtb trail int --errors`",  # command words stay English
        "실패 4",
    ):
        assert fact in text, fact
