"""`/rtb preview create | delete | cleanup` through the gate: renderer goldens, then signed
slash commands (and approval clicks) end to end over the fake cluster of each env, moto and the
bot's real PostgreSQL."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from approvals.access_matrix import default_matrix
from approvals.outcomes import Ran, Refused, RunResult
from approvals.policy import Policy
from approvals.preview_cleanups import CleanupPreviews
from approvals.preview_mutations import CreatePreview, DeletePreview
from handlers.render.change_facts import said_text
from handlers.render.preview_mutations import (
    EnvCleanup,
    render_cleanup,
    render_preview_created,
    render_preview_deleted,
)
from ops.backends.aws import Actor
from ops.config import Config
from ops.fanout import Failed
from ops.preview_deletes import ExpiredPreview
from tests.approvals.support import (
    APPROVALS,
    audit_outcomes,
    bare_namespace,
    buttons_of,
    card,
    click_card,
    request_id_in,
    running_bot,
    text_of,
    with_config,
)
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import answer_text
from tests.golden import assert_golden, korean, shown
from tests.ops.test_previews import preview_namespace

TZ = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 3, 14, 1, 30, tzinfo=UTC)
WRITES = ("POST", "PUT", "PATCH", "DELETE")

# -- renderer goldens -------------------------------------------------------------------------

CONFIG = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
POLICY = Policy(CONFIG)


def decision(action, env):
    return POLICY.decide(action, env, "operator", "C_OPS")


def test_render_created_golden():
    spec = CreatePreview.build("int", "PROJ-200", timedelta(hours=8), "UOPERATOR1")
    result = {
        "namespace": "preview-proj-200",
        "issue_key": "PROJ-200",
        "expires_at": "2025-03-14T09:30:00Z",
        "requested_by": "UOPERATOR1",
    }
    ran = Ran(
        spec,
        decision("preview.create", "int"),
        spec.describe_change({}),
        RunResult("succeeded", result),
    )
    message = render_preview_created(ran, TZ, AT)
    assert_golden("pmut_created", message)
    in_korean = korean("pmut_created", lambda: render_preview_created(ran, TZ, AT))
    assert "만료 2025-03-14 18:30 KST (8시간 후), 요청: <@UOPERATOR1>" in in_korean
    assert message.text == "Created preview-proj-200 in int for PROJ-200"
    assert "expires 2025-03-14 18:30 KST (in 8 h), requested by <@UOPERATOR1>" in shown(message)


def test_render_deleted_golden():
    spec = DeletePreview.build("stg", "PROJ-118")
    state = {"namespace": "preview-proj-118", "issue_key": "PROJ-118", "expires_at": None}
    result = {"namespace": "preview-proj-118", "issue_key": "PROJ-118", "deleted": True}
    change = spec.describe_change(state)
    assert said_text(change.before) == "preview-proj-118 (PROJ-118, no expiry)"
    ran = Ran(spec, decision("preview.delete", "stg"), change, RunResult("succeeded", result))
    assert_golden("pmut_deleted", render_preview_deleted(ran))
    in_korean = korean("pmut_deleted", lambda: render_preview_deleted(ran))
    assert "`preview-proj-118` (PROJ-118) 삭제" in in_korean


def _expired(name, hours_ago):
    return ExpiredPreview(
        name, name.removeprefix("preview-").upper(), AT - timedelta(hours=hours_ago)
    )


def _cleanup_envs():
    int_spec = CleanupPreviews.build("int", ["preview-proj-130", "preview-proj-131"])
    int_ran = Ran(
        int_spec,
        decision("preview.delete", "int"),
        int_spec.describe_change({}),
        RunResult(
            "succeeded",
            {
                "deleted": [{"namespace": "preview-proj-130", "reason": ""}],
                "failed": [{"namespace": "preview-proj-131", "reason": "kubernetes int: HTTP 500"}],
                "skipped": [],
            },
        ),
    )
    prd_spec = CleanupPreviews.build("prd", ["preview-proj-90"])
    denied = Policy(
        Config.model_validate(
            {
                "environments": {"int": {"account_id": "111111111111"}},
                "policy": {"preview.delete": {"prd": "deny"}},
            }
        )
    ).decide("preview.delete", "prd", "operator", "C_OPS")
    return [
        EnvCleanup(
            "int",
            (_expired("preview-proj-130", 5), _expired("preview-proj-131", 0.5)),
            outcome=int_ran,
        ),
        EnvCleanup("stg", list_failure=Failed("kubernetes stg", "timed out after 5 s")),
        EnvCleanup("prd", (_expired("preview-proj-90", 26),), outcome=Refused(prd_spec, denied)),
    ]


def test_render_cleanup_goldens():
    envs = _cleanup_envs()
    message = render_cleanup(envs, dry_run=False, now=AT, tz=TZ, approvals=APPROVALS)
    assert message.text == "Preview cleanup: 1 deleted, 1 failed, 3 found expired"
    assert_golden("pmut_cleanup", message)
    dry = [EnvCleanup(e.env, e.expired, e.list_failure) for e in envs]
    message = render_cleanup(dry, dry_run=True, now=AT, tz=TZ, approvals=APPROVALS)
    assert_golden("pmut_cleanup_dry_run", message)
    assert message.text.startswith("Preview cleanup — dry run, nothing deleted: 3 expired")
    for fact in (
        "*int*: 2 would be deleted",
        "`preview-proj-130` (PROJ-130, expired 5 h ago)",
        "*stg*: could not list its previews",
        "nothing was deleted there",
        "`preview-proj-90` (PROJ-90, expired 26 h ago)",
    ):
        assert fact in shown(message)


def test_a_cleanup_that_did_not_finish_says_the_outcome_is_unknown():
    late = EnvCleanup(
        "int",
        (_expired("preview-proj-130", 5),),
        run_failure=Failed("int", "no answer within 11 s"),
    )
    text = answer_text(
        {
            "blocks": render_cleanup(
                [late], dry_run=False, now=AT, tz=TZ, approvals=APPROVALS
            ).blocks_json()
        }
    )
    assert "the cleanup did not finish (no answer within 11 s): some may have been deleted" in text


# -- end to end: create -----------------------------------------------------------------------


def writes(server):
    return [r for r in server.requests if r[0] in WRITES]


def all_writes(kube):
    return [r for server in kube.values() for r in writes(server)]


def namespace(kube, env, name):
    return kube[env].get("namespaces", None, name)


def expires_at(ns):
    return datetime.fromisoformat(ns["metadata"]["annotations"]["rtb.io/expires-at"])


async def test_int_create_makes_a_labelled_namespace_with_a_ttl(slack, kube):
    before = datetime.now(UTC)
    answer = answer_text(await slack.ask("preview create int proj-200"))
    assert "Created `preview-proj-200` in *int* for PROJ-200" in answer
    assert "requested by <@UOPERATOR1>" in answer
    ns = namespace(kube, "int", "preview-proj-200")
    assert ns is not None
    labels = ns["metadata"]["labels"]
    assert labels["rtb.io/preview"] == "true" and labels["rtb.io/issue-key"] == "PROJ-200"
    annotations = ns["metadata"]["annotations"]
    assert annotations["rtb.io/requested-by"] == "UOPERATOR1"
    assert annotations["rtb.io/expires-at"].endswith("Z")
    ttl = expires_at(ns) - before
    assert timedelta(hours=8) - timedelta(seconds=2) <= ttl <= timedelta(hours=8, seconds=5)
    assert await audit_rows(slack) == [
        ("UOPERATOR1", "preview-create", "requested", "int"),
        ("rtb-bot", "preview-create", "succeeded", "int"),
    ]
    listed = answer_text(await slack.ask("previews int"))
    assert "PROJ-200" in listed  # the read side sees it as a preview


async def test_stg_create_with_a_ttl_of_two_days(slack, kube):
    before = datetime.now(UTC)
    await slack.ask("preview create stg PROJ-7 --ttl 2d")
    ttl = expires_at(namespace(kube, "stg", "preview-proj-7")) - before
    assert timedelta(days=2) - timedelta(seconds=2) <= ttl <= timedelta(days=2, seconds=5)


async def test_prd_create_waits_for_a_lead_then_the_namespace_exists(slack, kube):
    answer = await slack.ask('preview create prd PROJ-200 --reason "demo for the customer"')
    request_id = request_id_in(answer)
    message = card(slack.api, request_id)
    text = text_of(message)
    assert "preview-create" in text and "preview-proj-200" in text and "<@ULEAD1>" in text
    assert "no preview namespace → preview-proj-200 (PROJ-200, expires 8h after creation)" in text
    assert "prd: preview namespace create needs 1 team lead approval(s)" in text
    assert namespace(kube, "prd", "preview-proj-200") is None
    assert writes(kube["prd"]) == []

    assert "cannot approve your own" in await click_card(slack, request_id, user="UOPERATOR1")
    assert namespace(kube, "prd", "preview-proj-200") is None
    answer = await click_card(slack, request_id, user="ULEAD1")
    assert "You approved" in answer and "succeeded" in answer

    ns = namespace(kube, "prd", "preview-proj-200")
    assert ns["metadata"]["annotations"]["rtb.io/requested-by"] == "UOPERATOR1"
    assert ns["metadata"]["labels"]["rtb.io/issue-key"] == "PROJ-200"
    assert buttons_of(card(slack.api, request_id)) == []
    thread = slack.api.thread(APPROVALS, card(slack.api, request_id)["ts"])
    assert "succeeded: no preview namespace → preview-proj-200" in text_of(thread[0])
    assert await audit_outcomes(slack, request_id) == [
        "requested",
        "refused",  # the requester's own click
        "approved",
        "executing",
        "succeeded",
    ]
    assert ("prd", Actor("UOPERATOR1", "ULEAD1")) in slack.runtime.backends.kube._clients


async def test_prd_create_without_a_reason_opens_the_form(slack, kube):
    answer = answer_text(await slack.ask("preview create prd PROJ-200"))
    assert "needs a team lead's approval" in answer
    view = slack.api.views()[-1]
    assert "preview-proj-200" in str(view)
    assert writes(kube["prd"]) == []


async def test_a_namespace_created_meanwhile_stops_the_approved_create(slack, kube):
    request_id = request_id_in(await slack.ask('preview create prd PROJ-5 --reason "demo"'))
    kube["prd"].apply(preview_namespace("preview-proj-5", issue="PROJ-5"))
    answer = await click_card(slack, request_id, user="ULEAD1")
    assert "failed" in answer
    assert "already exists" in text_of(card(slack.api, request_id))
    assert writes(kube["prd"]) == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("preview create int PROJ_12", "is not a valid <issue>: must be a Jira issue key"),
        ("preview create int 123-PROJ", "must be a Jira issue key like PROJ-123"),
        ("preview create int preview-proj-1", "must be a Jira issue key like PROJ-123"),
        ("preview create int PROJ-1 --ttl 30m", "is not a valid --ttl: must be between 1h and 7d"),
        ("preview create int PROJ-1 --ttl 8d", "must be between 1h and 7d"),
        ("preview create int PROJ-1 --ttl soon", "must be a duration like 8h"),
        ("preview create dev PROJ-1", "must be one of: int, stg, prd"),
        ("preview create int PROJ-130", "int: `preview-proj-130` already exists (expires"),
    ],
)
async def test_bad_create_input_is_answered_and_nothing_is_written(slack, kube, text, said):
    kube["int"].apply(
        preview_namespace("preview-proj-130", issue="PROJ-130", expires_in=-timedelta(hours=5))
    )
    kube["int"].requests.clear()
    answer = await slack.ask(text)
    assert said in answer_text(answer)
    assert all_writes(kube) == []
    assert slack.api.calls_to("views.open") == []


async def test_a_403_names_the_role_and_the_permission(slack, kube):
    kube["stg"].inject_fault("POST", "/api/v1/namespaces$", status=403)
    answer = answer_text(await slack.ask("preview create stg PROJ-9"))
    assert "stg: the bot's role `rtb-hub-deployer` may not create namespaces (HTTP 403" in answer
    assert "Nothing was changed" in answer
    rows = await audit_rows(slack)
    assert [o for _, _, o, _ in rows] == ["requested", "failed"]


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_a_timeout_says_the_outcome_is_unknown(slack, kube):
    kube["int"].inject_fault("POST", "/api/v1/namespaces$", status=None, delay=2.5)
    answer = answer_text(await slack.ask("preview create int PROJ-9"))
    assert "timed out" in answer and "may or may not have been applied" in answer
    assert [o for _, _, o, _ in await audit_rows(slack)] == ["requested", "unknown"]


# -- end to end: delete -----------------------------------------------------------------------


async def test_delete_removes_a_preview_namespace(slack, kube):
    kube["stg"].apply(preview_namespace("preview-proj-118", issue="PROJ-118"))
    answer = answer_text(await slack.ask("preview delete stg proj-118"))
    assert "Deleted `preview-proj-118` (PROJ-118) in *stg*" in answer
    assert namespace(kube, "stg", "preview-proj-118") is None
    assert writes(kube["stg"]) == [("DELETE", "/api/v1/namespaces/preview-proj-118", None)]


async def test_prd_delete_runs_at_once(slack, kube):
    kube["prd"].apply(preview_namespace("preview-proj-109", issue="PROJ-109"))
    assert "Deleted" in answer_text(await slack.ask("preview delete prd preview-proj-109"))
    assert namespace(kube, "prd", "preview-proj-109") is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("preview delete prd rtb-ai-hub", "prd core infrastructure is never modified"),
        ("preview delete stg rtb-ai-hub", "stg core infrastructure is never modified"),
        ("preview delete int kube-system", "int core infrastructure is never modified"),
    ],
)
async def test_core_infrastructure_is_never_deleted(slack, kube, text, said):
    for server in kube.values():
        server.apply(preview_namespace("rtb-ai-hub"))  # labelled: still the hub, never a preview
        bare_namespace(server, "kube-system")
    answer = await slack.ask(text)
    assert answer["response_type"] == "ephemeral"
    assert said in answer_text(answer) and "Rule: `§8 core infrastructure`" in answer_text(answer)
    assert all_writes(kube) == []
    assert [o for _, _, o, _ in await audit_rows(slack)] == ["refused"]


async def test_a_preview_named_namespace_without_the_label_is_not_deleted(slack, kube):
    kube["int"].apply(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "preview-proj-8"}}
    )
    answer = answer_text(await slack.ask("preview delete int PROJ-8"))
    assert "Refused: int core infrastructure is never modified" in answer
    assert "`preview-proj-8` is not a preview namespace" in answer
    assert "labelled `rtb.io/preview=true`" in answer
    assert namespace(kube, "int", "preview-proj-8") is not None
    assert all_writes(kube) == []
    assert [o for _, _, o, _ in await audit_rows(slack)] == ["refused"]  # the policy refused it


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("preview delete int PROJ-999", "int: there is no preview namespace `preview-proj-999`"),
        ("preview delete int PROJ_1!", "is not a valid <preview>: must be a Jira issue key"),
        ("preview delete", "Missing <env>"),
    ],
)
async def test_bad_delete_input_is_answered_and_nothing_is_written(slack, kube, text, said):
    answer = await slack.ask(text)
    assert said in answer_text(answer)
    assert all_writes(kube) == []


# -- end to end: cleanup ----------------------------------------------------------------------


def seed_previews(kube):
    kube["int"].apply(
        preview_namespace("preview-proj-123", issue="PROJ-123", expires_in=timedelta(hours=2))
    )
    kube["int"].apply(
        preview_namespace("preview-proj-130", issue="PROJ-130", expires_in=-timedelta(hours=5))
    )
    kube["int"].apply(
        preview_namespace("preview-proj-131", issue="PROJ-131", expires_in=-timedelta(minutes=1))
    )
    kube["stg"].apply(
        preview_namespace("preview-proj-118", issue="PROJ-118", expires_in=-timedelta(days=2))
    )
    kube["stg"].apply(preview_namespace("preview-proj-125", raw_expiry="tomorrow"))
    kube["prd"].apply(
        preview_namespace("preview-proj-109", issue="PROJ-109", expires_in=timedelta(hours=40))
    )
    for server in kube.values():
        server.requests.clear()


def left(kube, env):
    return sorted(
        ns["metadata"]["name"]
        for ns in kube[env].list("namespaces")
        if ns["metadata"]["name"].startswith("preview-")
    )


async def test_dry_run_lists_and_deletes_nothing(slack, kube):
    seed_previews(kube)
    answer = answer_text(await slack.ask("preview cleanup --dry-run", user="UVIEWER1"))
    assert "dry run, nothing deleted" in answer
    for name in ("preview-proj-130", "preview-proj-131", "preview-proj-118"):
        assert name in answer
    assert "preview-proj-123" not in answer and "preview-proj-125" not in answer
    assert "*prd*: no expired preview" in answer
    assert all_writes(kube) == []
    assert await audit_rows(slack) == []


async def test_cleanup_deletes_the_expired_previews_of_every_env(slack, kube):
    seed_previews(kube)
    answer = answer_text(await slack.ask("preview cleanup"))
    assert "int*: deleted 2" in answer and "stg*: deleted 1" in answer
    assert left(kube, "int") == ["preview-proj-123"]
    assert left(kube, "stg") == ["preview-proj-125"]
    assert left(kube, "prd") == ["preview-proj-109"]
    assert writes(kube["prd"]) == []
    rows = await audit_rows(slack)
    assert sorted(rows) == sorted(
        [
            ("UOPERATOR1", "preview-cleanup", "requested", "int"),
            ("rtb-bot", "preview-cleanup", "succeeded", "int"),
            ("UOPERATOR1", "preview-cleanup", "requested", "stg"),
            ("rtb-bot", "preview-cleanup", "succeeded", "stg"),
        ]
    )


async def test_cleanup_of_one_env_reports_each_failure(slack, kube):
    seed_previews(kube)
    kube["int"].inject_fault("DELETE", "/api/v1/namespaces/preview-proj-130$", status=403)
    answer = answer_text(await slack.ask("preview cleanup int"))
    assert "`preview-proj-131` deleted" in answer
    assert "`preview-proj-130` failed: int: the bot's role `rtb-hub-deployer` may not" in answer
    assert left(kube, "int") == ["preview-proj-123", "preview-proj-130"]
    assert all_writes({k: v for k, v in kube.items() if k != "int"}) == []


async def test_a_delete_without_a_clear_answer_is_never_reported_as_not_deleted(slack, kube):
    """A 5xx may come after the API server deleted it: "may or may not", not "failed"."""
    seed_previews(kube)
    kube["int"].inject_fault("DELETE", "/api/v1/namespaces/preview-proj-130$", status=500)
    answer = answer_text(await slack.ask("preview cleanup int"))
    assert "`preview-proj-131` deleted" in answer
    assert (
        "`preview-proj-130` may or may not have been deleted (no clear answer: kubernetes int: "
        "HTTP 500" in answer
    )
    assert "1 deleted, 0 failed, 2 found expired, 1 without a clear answer" in answer


async def test_a_cleanup_with_no_clear_answer_at_all_is_recorded_unknown(slack, kube):
    seed_previews(kube)
    kube["int"].inject_fault(
        "DELETE", "/api/v1/namespaces/preview-proj-13[01]$", status=504, count=None
    )
    answer = answer_text(await slack.ask("preview cleanup int"))
    assert "the cleanup may have run, in part or in full" in answer
    assert "Nothing was deleted" not in answer
    assert [r[2] for r in await audit_rows(slack) if r[1] == "preview-cleanup"][-1] == "unknown"


async def test_an_env_that_does_not_answer_is_named_and_the_others_are_cleaned(slack, kube):
    seed_previews(kube)
    kube["stg"].inject_fault("GET", "/api/v1/namespaces$", status=503, count=None)
    answer = answer_text(await slack.ask("preview cleanup"))
    assert "*stg*: could not list its previews (kubernetes stg: HTTP 503" in answer
    assert left(kube, "int") == ["preview-proj-123"]
    assert "preview-proj-118" in left(kube, "stg")


async def test_nothing_expired_is_said(slack, kube):
    seed_previews(kube)
    answer = answer_text(await slack.ask("preview cleanup prd"))
    assert "*prd*: no expired preview" in answer
    assert all_writes(kube) == [] and await audit_rows(slack) == []


async def test_cleanup_needing_approval_stops_on_drift(bot_settings, fake_slack, kube):
    """With prd deletes behind approval: one more expires before the click, so nothing runs."""
    seed_previews(kube)
    kube["prd"].apply(
        preview_namespace("preview-proj-90", issue="PROJ-90", expires_in=-timedelta(hours=1))
    )
    policy = {
        **default_matrix(),
        "preview.delete": {"int": "allow", "stg": "allow", "prd": "approval"},
    }
    async with running_bot(with_config(bot_settings, policy=policy), fake_slack) as slack:
        answer = answer_text(await slack.ask('preview cleanup prd --reason "§5.1 step 4"'))
        request_id = request_id_in({"text": answer})
        assert "1 expired: preview-proj-90 → deleted" in text_of(card(slack.api, request_id))
        kube["prd"].apply(
            preview_namespace("preview-proj-91", issue="PROJ-91", expires_in=-timedelta(minutes=1))
        )
        await click_card(slack, request_id, user="ULEAD1")
        text = text_of(card(slack.api, request_id))
    assert "state changed since approval" in text and "preview-proj-91" in text
    assert writes(kube["prd"]) == []
    assert left(kube, "prd") == ["preview-proj-109", "preview-proj-90", "preview-proj-91"]


async def audit_rows(slack):
    rows = await slack.runtime.backends.db.fetch(
        "SELECT actor, action, outcome, env FROM rtb_bot.audit_events ORDER BY id"
    )
    return [(r["actor"], r["action"], r["outcome"], r["env"]) for r in rows]
