"""`/rtb preview cleanup` the runbook's way (§5.1 step 4): the hub's cleanupExpired() when
`hub.cleanup_path` is configured, the bot's own namespace deletes when it is not or the hub
answers 404 — and the answer, the card and its thread say which was done. Renderer goldens,
then signed slash commands against the fake hub API (which deletes through the fake clusters,
as the hub would) and the bot's real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from approvals.access_matrix import default_matrix
from approvals.outcomes import Ran, RunResult
from approvals.policy import Policy
from approvals.preview_cleanups import CleanupPreviews
from handlers.render.change_facts import said_text
from handlers.render.preview_mutations import EnvCleanup, render_cleanup
from ops.config import Config
from ops.preview_cleanup import cleanup_way, hub_answer
from ops.preview_deletes import ExpiredPreview
from sandbox.fake_hub_api import CLEANUP_PATH, FakeHubApi
from tests.approvals.support import (
    APPROVALS,
    card,
    click_card,
    request_id_in,
    running_bot,
    text_of,
    with_config,
)
from tests.fixtures.bot import answer_text
from tests.golden import assert_golden, shown
from tests.ops.test_previews import preview_namespace

TZ = ZoneInfo("Asia/Seoul")
AT = datetime(2025, 3, 14, 1, 30, tzinfo=UTC)
CONFIG = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
ALLOWED = Policy(CONFIG).decide("preview.delete", "int", "operator", "C_OPS")


# -- the way, and the hub's answer ------------------------------------------------------------


def test_the_hub_way_needs_the_path_and_the_hub_api_in_int():
    """The hub runs in int: its API there cleans every env; a hub outside int is never used."""
    with_path = CONFIG.model_copy(
        update={"hub": CONFIG.hub.model_copy(update={"cleanup_path": CLEANUP_PATH})}
    )
    int_env = CONFIG.environments["int"]
    with_url = {"int": int_env.model_copy(update={"hub_api_url": "http://hub.int"})}
    both = with_path.model_copy(update={"environments": with_url})
    prd_only = {
        "int": int_env,
        "prd": int_env.model_copy(
            update={
                "account_id": "333333333333",
                "role_arn": "arn:aws:iam::333333333333:role/rtb-hub-deployer",
                "hub_api_url": "http://hub.prd",
            }
        ),
    }
    assert cleanup_way(CONFIG, "int") == "namespaces"
    assert cleanup_way(with_path, "int") == "namespaces"  # no hub_api_url in int
    assert cleanup_way(both, "int") == "hub"
    assert cleanup_way(both, "prd") == "hub"  # int's hub cleans prd's previews
    no_int_hub = with_path.model_copy(update={"environments": prd_only})
    assert cleanup_way(no_int_hub, "prd") == "namespaces"  # prd's own hub: never changed


@pytest.mark.parametrize(
    ("answer", "removed", "count"),
    [
        ({"removed": ["PROJ-1", {"id": "PROJ-2"}]}, ("PROJ-1", "PROJ-2"), 2),
        ({"removed": 3}, None, 3),
        (["PROJ-1"], ("PROJ-1",), 1),
        ({"ok": True}, None, None),
        (None, None, None),
        ({"removed": True}, None, None),
    ],
)
def test_the_hubs_answer_is_read_as_far_as_it_says(answer, removed, count):
    ran = hub_answer(answer)
    assert (ran.removed, ran.count) == (removed, count)


def test_the_way_is_in_the_stored_parameters_and_the_card():
    hub = CleanupPreviews.build("prd", ["preview-proj-90"], "hub")
    direct = CleanupPreviews.build("prd", ["preview-proj-90"])
    assert hub.params == {"namespaces": ["preview-proj-90"], "via": "hub"}
    assert direct.params == {"namespaces": ["preview-proj-90"]}  # as before `via` existed
    assert CleanupPreviews.from_params(CONFIG, "prd", hub.params).via == "hub"
    assert "hub's cleanupExpired()" in said_text(hub.describe_change({}).after)
    assert "the hub's records are not updated" in said_text(direct.describe_change({}).after)


# -- renderer goldens -------------------------------------------------------------------------


def expired(name: str, hours_ago: float) -> ExpiredPreview:
    key = name.removeprefix("preview-").upper()
    return ExpiredPreview(name, key, AT - timedelta(hours=hours_ago))


def ran(env, names, status, result, via="hub") -> EnvCleanup:
    spec = CleanupPreviews.build(env, names, via)
    outcome = Ran(spec, ALLOWED, spec.describe_change({}), RunResult(status, result))
    return EnvCleanup(env, tuple(expired(n, 3) for n in names), outcome=outcome, via=via)


def test_render_cleanup_says_which_way_it_ran_golden():
    envs = [
        ran(
            "int",
            ["preview-proj-130"],
            "succeeded",
            {"via": "hub", "removed": ["PROJ-130"]} | {"count": 1},
        ),
        ran(
            "stg",
            ["preview-proj-118", "preview-proj-119"],
            "succeeded",
            {
                "via": "namespaces",
                "fallback": "hub_missing",
                "deleted": [{"namespace": "preview-proj-118", "reason": ""}],
                "failed": [],
                "skipped": [{"namespace": "preview-proj-119", "reason": "already gone"}],
            },
        ),
        ran(
            "prd",
            ["preview-proj-90"],
            "unknown",
            {"error": "the hub's cleanupExpired: no answer within 2 s after the request was sent"},
        ),
    ]
    message = render_cleanup(envs, dry_run=False, now=AT, tz=TZ, approvals=APPROVALS)
    assert_golden("pmut_cleanup_ways", message)
    text = shown(message)
    assert message.text == (
        "Preview cleanup: 2 deleted, 0 failed, 4 found expired, 1 env(s) with an unknown outcome"
    )
    assert "*int*: the hub's cleanupExpired ran: 1 preview removed (PROJ-130)." in text
    assert (
        "*stg*: deleted 1 namespace directly; the hub's records were not updated (the hub has "
        "no cleanup endpoint: HTTP 404)" in text
    )
    assert (
        "*prd*: the hub's cleanupExpired: no answer within 2 s after the request was sent: " in text
    )
    assert "the cleanup may have run, in part or in full" in text
    assert "Nothing was deleted" not in text


def test_a_hub_that_did_not_say_how_many_is_not_counted_as_none_removed():
    envs = [ran("int", ["preview-proj-130"], "succeeded", {"via": "hub", "count": None})]
    message = render_cleanup(envs, dry_run=False, now=AT, tz=TZ, approvals=APPROVALS)
    assert message.text == "Preview cleanup: 0+ deleted, 0 failed, 1 found expired"
    assert "it did not say how many previews it removed" in shown(message)


def test_render_dry_run_says_which_way_it_would_run():
    envs = [
        EnvCleanup("int", (expired("preview-proj-130", 3),), via="hub"),
        EnvCleanup("stg", (expired("preview-proj-118", 3),)),
    ]
    text = shown(render_cleanup(envs, dry_run=True, now=AT, tz=TZ, approvals=APPROVALS))
    assert "*int*: 1 would be removed by the hub's cleanupExpired():" in text
    assert "*stg*: 1 would be deleted directly (the hub's records would not be updated):" in text


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture
def hub_api(kube):
    hub = FakeHubApi(kube)
    hub.start()
    yield hub
    hub.stop()


def with_hub(settings, hub: FakeHubApi, *, cleanup: bool = True, **groups):
    config = settings.config
    envs = {
        env: e.model_copy(update={"hub_api_url": hub.base_url(env)})
        for env, e in config.environments.items()
    }
    path = CLEANUP_PATH if cleanup else None
    return with_config(
        settings,
        environments=envs,
        hub=config.hub.model_copy(update={"cleanup_path": path}),
        **groups,
    )


def seed(kube) -> None:
    for name, hours in (
        ("preview-proj-130", -5),
        ("preview-proj-131", -0.1),
        ("preview-proj-7", 3),
    ):
        issue = name.removeprefix("preview-").upper()
        kube["int"].apply(preview_namespace(name, issue=issue, expires_in=timedelta(hours=hours)))
    for server in kube.values():
        server.requests.clear()


def left(kube, env="int"):
    return sorted(
        ns["metadata"]["name"]
        for ns in kube[env].list("namespaces")
        if ns["metadata"]["name"].startswith("preview-")
        and not ns["metadata"].get("deletionTimestamp")
    )


async def audit_rows(slack):
    rows = await slack.runtime.backends.db.fetch(
        "SELECT actor, outcome, detail FROM rtb_bot.audit_events "
        "WHERE action = 'preview-cleanup' ORDER BY id"
    )
    return [(r["actor"], r["outcome"]) for r in rows]


async def test_the_hubs_cleanup_runs_when_configured(bot_settings, fake_slack, kube, hub_api):
    seed(kube)
    async with running_bot(with_hub(bot_settings, hub_api), fake_slack) as slack:
        answer = answer_text(await slack.ask("preview cleanup int"))
        rows = await audit_rows(slack)
    assert hub_api.cleanups == ["int"]
    assert "*int*: the hub's cleanupExpired ran: 2 previews removed (PROJ-130, PROJ-131)" in answer
    assert left(kube) == ["preview-proj-7"]
    assert [p["id"] for p in hub_api.previews("int")] == ["PROJ-7"]  # the hub's records follow
    assert rows == [("UOPERATOR1", "requested"), ("rtb-bot", "succeeded")]


async def test_a_hub_without_the_endpoint_falls_back_to_the_namespaces(
    bot_settings, fake_slack, kube, hub_api
):
    seed(kube)
    hub_api.cleanup_mode = "missing"
    async with running_bot(with_hub(bot_settings, hub_api), fake_slack) as slack:
        answer = answer_text(await slack.ask("preview cleanup int"))
    assert (
        "*int*: deleted 2 namespaces directly; the hub's records were not updated (the hub has "
        "no cleanup endpoint: HTTP 404)" in answer
    )
    assert left(kube) == ["preview-proj-7"]
    assert hub_api.cleanups == []


async def test_without_the_endpoint_configured_the_namespaces_go_directly(
    bot_settings, fake_slack, kube, hub_api
):
    seed(kube)
    settings = with_hub(bot_settings, hub_api, cleanup=False)
    async with running_bot(settings, fake_slack) as slack:
        dry = answer_text(await slack.ask("preview cleanup int --dry-run"))
        answer = answer_text(await slack.ask("preview cleanup int"))
    assert "2 would be deleted directly (the hub's records would not be updated)" in dry
    assert "*int*: deleted 2 namespaces directly; the hub's records were not updated" in answer
    assert "cleanup endpoint" not in answer  # nothing fell back: there was no hub way to take
    assert left(kube) == ["preview-proj-7"] and hub_api.cleanups == []


async def test_a_hub_that_does_not_answer_after_the_request_is_unknown(
    bot_settings, fake_slack, kube, hub_api
):
    """The hub did the work but answered too late: the bot cannot know, and says so."""
    seed(kube)
    hub_api.cleanup_mode, hub_api.slow_seconds = "slow", 6.0
    timeouts = bot_settings.config.timeouts.model_copy(
        update={"backend_seconds": 2.0, "fanout_seconds": 6.0}
    )
    settings = with_hub(bot_settings, hub_api, timeouts=timeouts)
    async with running_bot(settings, fake_slack) as slack:
        answer = answer_text(await slack.ask("preview cleanup int"))
        rows = await audit_rows(slack)
    assert (
        "*int*: the hub's cleanupExpired: no answer within 2 s after the request was sent" in answer
    )
    assert "the cleanup may have run, in part or in full" in answer
    assert "Nothing was deleted" not in answer and "nothing was changed" not in answer.lower()
    assert rows == [("UOPERATOR1", "requested"), ("rtb-bot", "unknown")]
    assert left(kube) == ["preview-proj-7"]  # it had run


async def test_a_hub_that_fails_half_way_is_unknown_too(bot_settings, fake_slack, kube, hub_api):
    """A 500 from the hub may come after it removed some: not "nothing was deleted"."""
    seed(kube)
    hub_api.cleanup_mode = "crashed"
    async with running_bot(with_hub(bot_settings, hub_api), fake_slack) as slack:
        answer = answer_text(await slack.ask("preview cleanup int"))
        rows = await audit_rows(slack)
    assert "*int*: the hub's cleanupExpired: HTTP 500: the cleanup may have run" in answer
    assert "Nothing was deleted" not in answer
    assert rows == [("UOPERATOR1", "requested"), ("rtb-bot", "unknown")]


async def test_a_404_at_a_misconfigured_path_falls_back_too(
    bot_settings, fake_slack, kube, hub_api
):
    seed(kube)
    settings = with_hub(bot_settings, hub_api)
    hub = settings.config.hub.model_copy(update={"cleanup_path": "/api/previews/cleanup/x"})
    async with running_bot(with_config(settings, hub=hub), fake_slack) as slack:
        answer = answer_text(await slack.ask("preview cleanup int"))
    assert "deleted 2 namespaces directly" in answer and "endpoint: HTTP 404)" in answer


async def test_a_hub_that_refuses_the_call_changed_nothing_and_is_not_bypassed(
    bot_settings, fake_slack, kube, hub_api
):
    """A 403 is the hub saying no: the bot does not delete behind its back instead."""
    seed(kube)
    hub_api.cleanup_mode = "refused"
    async with running_bot(with_hub(bot_settings, hub_api), fake_slack) as slack:
        answer = answer_text(await slack.ask("preview cleanup int"))
        rows = await audit_rows(slack)
    assert ":x: *int*: the hub's cleanupExpired: HTTP 403. Nothing was deleted." in answer
    assert left(kube) == ["preview-proj-130", "preview-proj-131", "preview-proj-7"]
    assert rows == [("UOPERATOR1", "requested"), ("rtb-bot", "failed")]


async def test_an_approved_prd_cleanup_names_the_way_on_the_card_and_in_the_thread(
    bot_settings, fake_slack, kube, hub_api
):
    kube["prd"].apply(
        preview_namespace("preview-proj-90", issue="PROJ-90", expires_in=-timedelta(hours=1))
    )
    policy = {
        **default_matrix(),
        "preview.delete": {"int": "allow", "stg": "allow", "prd": "approval"},
    }
    settings = with_hub(bot_settings, hub_api, policy=policy)
    async with running_bot(settings, fake_slack) as slack:
        answer = answer_text(await slack.ask('preview cleanup prd --reason "§5.1 step 4"'))
        request_id = request_id_in({"text": answer})
        before = text_of(card(slack.api, request_id))
        assert hub_api.cleanups == []  # nothing runs before a lead approves
        await click_card(slack, request_id, user="ULEAD1")
        posted = card(slack.api, request_id)
        thread = [text_of(m) for m in slack.api.thread(APPROVALS, posted["ts"])]
    assert "1 expired: preview-proj-90 → removed by the hub's cleanupExpired()" in before
    assert hub_api.cleanups == ["prd"]  # asked of the hub in int, for prd's previews
    assert any(
        "Done: the hub's cleanupExpired ran: 1 preview removed (PROJ-90)." in t for t in thread
    )
    assert left(kube, "prd") == []
