"""What ops/ now hands over as data (ping checks, a query's end, a start phase, refusals of
pod logs, rollbacks and selectors), worded by the renderers in English and Korean."""

from __future__ import annotations

import pytest

from handlers.render.errors import error_text, invalid_text
from handlers.render.failures import failure_text
from handlers.render.general import render_ping
from handlers.render.i18n import use_locale
from ops.errors import BackendError, Details, Invalid, Problem, Symptom, UserError
from ops.fanout import Failed
from ops.health import BackendCheck, PingReport, Seen
from ops.label_selectors import check_label_selector
from tests.golden import assert_golden, shown

CHECKS = PingReport(
    "1.2.3",
    (
        BackendCheck("AWS stg", True, True, "222222222222", Seen.ACCOUNT),
        BackendCheck("AWS prd", True, True, "999999999999", Seen.ACCOUNT_MISMATCH, "333333333333"),
        BackendCheck("Kubernetes int", True, True, "v1.31.0", Seen.SERVER),
        BackendCheck("Hub API stg", False, False, "", Seen.NOT_CONFIGURED),
        BackendCheck("OAM stg → int", True, True, "222222222222", Seen.LINKED, "int"),
        BackendCheck("OAM prd → int", True, False, "333333333333", Seen.NOT_LINKED, "int"),
        BackendCheck("OAM dev → int", True, False, "444444444444", Seen.NO_LOG_GROUPS, "int"),
        BackendCheck(
            "Kubernetes stg",
            True,
            False,
            "config.no_cluster {'env': 'stg'}",
            failure=Failed("kubernetes stg", "-", error=UserError(Problem.NO_CLUSTER, env="stg")),
        ),
    ),
)
SAID = {
    "en": (
        "*AWS stg* — account 222222222222",
        "*AWS prd* — account 999999999999 (config says 333333333333!)",
        "*Kubernetes int* — server v1.31.0",
        "*Hub API stg* — not configured",
        "*OAM stg → int* — account 222222222222 linked (log groups shared)",
        "*OAM prd → int* — account 333333333333 has no link to int",
        "*OAM dev → int* — account 444444444444's link shares no log groups",
        "*Kubernetes stg* — stg: no Kubernetes cluster is configured",
    ),
    "ko": (
        "*AWS stg* — 계정 222222222222",
        "*AWS prd* — 계정 999999999999 (설정에는 333333333333!)",
        "*Kubernetes int* — 서버 v1.31.0",
        "*Hub API stg* — 설정되지 않음",
        "*OAM stg → int* — 계정 222222222222 연결됨(로그 그룹 공유)",
        "*OAM prd → int* — 계정 333333333333에서 int로 가는 링크가 없습니다",
        "*OAM dev → int* — 계정 444444444444의 링크가 로그 그룹을 공유하지 않습니다",
        "*Kubernetes stg* — stg: Kubernetes 클러스터가 설정되어 있지 않습니다",
    ),
}


@pytest.mark.parametrize("locale", ["en", "ko"])
def test_every_ping_finding_is_worded(locale):
    with use_locale(locale):
        message = render_ping(CHECKS)
        assert_golden("ping_findings", message)
    text = shown(message)
    for line in SAID[locale]:
        assert line in text, text
    assert "{" not in text and "config.no_cluster" not in text


def test_a_query_that_ended_says_how():
    ended = BackendError(
        "AWS int logs", "query Failed", details=Details(Symptom.QUERY_ENDED, code="Failed")
    )
    assert failure_text(ended) == "the query ended as Failed"
    with use_locale("ko"):
        assert failure_text(ended) == "쿼리가 Failed 상태로 끝났습니다"


REFUSALS = [
    (
        UserError(Problem.DEPLOYMENT_MISSING, env="int", namespace="hub", deployment="api"),
        "No deployment `api` in `hub` (int).",
        "int `hub`에 `api` Deployment가 없습니다.",
    ),
    (
        UserError(Problem.POD_NO_CONTAINER, pod="p-1", container="x", containers=[]),
        "Pod `p-1` has no container `x` (none).",
        "Pod `p-1`에 `x` 컨테이너가 없습니다(없음).",
    ),
    (
        UserError(Problem.SEVERAL_CONTAINERS, deployment="api", containers=["api-a", "sidecar"]),
        "`api` has several containers (`api-a`, `sidecar`): choose one with --container.",
        "`api`에 컨테이너가 여러 개 있습니다(`api-a`, `sidecar`). --container로 하나를 고르세요.",
    ),
    (
        UserError(
            Problem.NO_SUCH_REVISION,
            env="int",
            namespace="hub",
            deployment="api",
            revision="9",
            revisions=["3", "2"],
        ),
        "`api` in `hub` (int) has no revision 9; its revisions are: 3, 2.",
        "int `hub`의 `api`에 9번 리비전이 없습니다. 있는 리비전: 3, 2.",
    ),
    (
        UserError(
            Problem.PARTLY_APPLIED,
            backend="kubernetes int",
            parts=[
                UserError(Problem.PART_ROLLED_BACK, deployment="engine", revision="2"),
                UserError(
                    Problem.PART_REFUSED,
                    deployment="listener",
                    why=UserError(
                        Problem.NO_PREVIOUS_REVISION,
                        env="int",
                        namespace="hub",
                        deployment="listener",
                        revisions=["1"],
                    ),
                ),
            ],
        ),
        "kubernetes int: partly applied: engine: rolled back to revision 2; listener: "
        "`listener` in `hub` (int) has no previous revision to roll back to (revisions: 1).",
        "kubernetes int: 일부만 적용됐습니다: engine: 2번 리비전으로 롤백했습니다; listener: "
        "int `hub`의 `listener`에 롤백할 이전 리비전이 없습니다(리비전: 1).",
    ),
]


@pytest.mark.parametrize(("error", "en", "ko"), REFUSALS, ids=lambda v: getattr(v, "code", ""))
def test_refusals_read_in_each_language(error, en, ko):
    assert error_text(error) == en
    with use_locale("ko"):
        assert error_text(error) == ko


def test_a_selector_refusal_is_a_code_worded_in_each_language():
    with pytest.raises(Invalid) as refused:
        check_label_selector("app=a b")
    assert refused.value.code is Problem.LABEL_KEY_SHAPE
    assert invalid_text(refused.value).startswith("`app=a b` is not a label key (letters,")
    with pytest.raises(Invalid) as empty:
        check_label_selector(" ")
    assert invalid_text(empty.value) == "expected key=value (or key!=value), comma-separated"
    with use_locale("ko"):
        assert invalid_text(empty.value) == "key=value(또는 key!=value)를 쉼표로 구분해 쓰세요"
