"""The approval flow under pressure: many replicas, concurrent clicks, outages, crashes, drift."""

import asyncio
import re
from dataclasses import replace

import psycopg
import pytest

from approvals.audit import verify_chain
from bot.app import create_runtime
from ops.config import Approvals, Channels, Members, Roles
from sandbox.servers import free_port
from sandbox.slack_payloads import interaction_body
from tests.approvals.support import (
    APPROVALS,
    PREVIEW,
    audit_outcomes,
    buttons_of,
    card,
    click_card,
    click_payload,
    replicas,
    request_approval,
    request_row,
    running_bot,
    scale_patches,
    seed_deployment,
    text_of,
    with_config,
)
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import answer_text, serving

HANGUL = re.compile("[가-힣]")

SCALE_TO_ZERO = f"scale prd app 0 --namespace {PREVIEW}"
LEASE_NAMESPACE = 0x52_54_42_02


async def test_twenty_concurrent_clicks_on_two_replicas_run_the_change_once(
    slack, bot_settings, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    async with running_bot(bot_settings, fake_slack) as other_replica:
        drivers = (slack, other_replica)
        bodies = [
            interaction_body(click_payload(fake_slack, request_id, user=f"ULEAD{1 + i % 2}"))
            for i in range(20)
        ]
        before = len(fake_slack.responses)
        statuses = await asyncio.gather(
            *(drivers[i % 2].send(body) for i, body in enumerate(bodies))
        )
        assert statuses == [200] * 20
        await asyncio.gather(slack.settle(), other_replica.settle())
    assert len(scale_patches(kube["prd"])) == 1
    assert replicas(kube["prd"], PREVIEW, "app") == 0
    outcomes = await audit_outcomes(slack, request_id)
    assert outcomes.count("succeeded") == 1 and outcomes.count("executing") == 1
    answers = [answer_text(dict(r.body)) for r in fake_slack.responses[before:]]
    assert len(answers) == 20
    assert sum("You approved" in a for a in answers) == 1
    assert all("You approved" in a or "already" in a or "right now" in a for a in answers)
    chain = await verify_chain(
        slack.runtime.backends.db, slack.runtime.deps.gate.audit.keys
    )  # 20 writers, two replicas, one chain
    assert chain.intact and chain.events == len(outcomes)


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_the_database_down_at_click_time_changes_nothing(
    slack, bot_settings, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    closed_port = free_port()
    secrets = replace(
        bot_settings.secrets, database_url=f"postgresql://postgres@127.0.0.1:{closed_port}/rtb"
    )
    cut_off = create_runtime(replace(bot_settings, secrets=secrets), retries=0)
    await cut_off.backends.open()  # no start(): it could not migrate either
    try:
        async with serving(cut_off, fake_slack) as cut_off_slack:
            answer = await click_card(cut_off_slack, request_id, user="ULEAD1")
    finally:
        await cut_off.stop()
    assert "cannot reach the approvals database, so nothing was changed" in answer
    assert "Try again" in answer
    assert scale_patches(kube["prd"]) == []
    assert (await request_row(slack, request_id))["status"] == "pending"
    assert "You approved" in await click_card(slack, request_id, user="ULEAD1")
    assert len(scale_patches(kube["prd"])) == 1


async def test_two_required_approvals_need_two_distinct_leads(bot_settings, fake_slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    settings = with_config(bot_settings, approvals=Approvals(required=2))
    async with running_bot(settings, fake_slack) as slack:
        request_id = await request_approval(slack, SCALE_TO_ZERO)
        first = await click_card(slack, request_id, user="ULEAD1")
        assert "is counted (1 of 2)" in first
        message = card(fake_slack, request_id)
        assert "1 of 2: <@ULEAD1>" in text_of(message) and buttons_of(message)
        assert "already approved" in await click_card(slack, request_id, user="ULEAD1")
        assert scale_patches(kube["prd"]) == []
        assert "You approved" in await click_card(slack, request_id, user="ULEAD2")
        assert len(scale_patches(kube["prd"])) == 1
        assert "approved by <@ULEAD1> <@ULEAD2>" in text_of(card(fake_slack, request_id))
        outcomes = await audit_outcomes(slack, request_id)
        assert outcomes == ["requested", "vote", "refused", "approved", "executing", "succeeded"]


async def test_a_change_that_drifted_since_the_request_is_not_run(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=1)
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=3)  # someone scaled it meanwhile
    answer = await click_card(slack, request_id, user="ULEAD1")
    assert "failed" in answer
    assert scale_patches(kube["prd"]) == []
    assert replicas(kube["prd"], PREVIEW, "app") == 3
    row = await request_row(slack, request_id)
    assert row["status"] == "failed" and "drift" in row["result"]
    thread = fake_thread(slack, request_id)
    assert "state changed since approval (was 1 replica (app=" in thread
    assert "now 3 replicas (app=" in thread and "request again" in thread


async def test_a_request_running_when_a_replica_died_becomes_unknown_at_start(
    slack, bot_settings, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app")
    crashed = await request_approval(slack, SCALE_TO_ZERO)
    alive = await request_approval(slack, SCALE_TO_ZERO)
    await slack.runtime.backends.db.execute(
        "UPDATE rtb_bot.approval_requests SET status = 'executing', executing_since = now()"
    )
    # Another live replica is running `alive`: it holds the request's lease.
    url = slack.runtime.settings.secrets.database_url
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as live_replica:
        await live_replica.execute(
            "SELECT pg_advisory_lock(%s, hashtext(%s))", (LEASE_NAMESPACE, alive)
        )
        async with running_bot(bot_settings, fake_slack) as restarted:
            assert (await request_row(restarted, crashed))["status"] == "unknown"
            assert (await request_row(restarted, alive))["status"] == "executing"
    assert scale_patches(kube["prd"]) == []
    alerts = [m for m in fake_slack.messages(APPROVALS) if "needs a human check" in text_of(m)]
    assert len(alerts) == 2  # in the card's thread and in the channel
    assert all("<@ULEAD1>" in text_of(a) and crashed in text_of(a) for a in alerts)
    assert "Outcome unknown" in text_of(card(fake_slack, crashed))
    assert await audit_outcomes(slack, crashed) == ["requested", "unknown"]
    # The lease is free now: the next sweep closes the other one too (never re-running it).
    await slack.runtime.deps.gate.sweep()
    assert (await request_row(slack, alive))["status"] == "unknown"
    assert scale_patches(kube["prd"]) == []


async def test_an_approved_request_that_never_started_is_closed_as_not_run(
    slack, bot_settings, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    await slack.runtime.backends.db.execute(
        "UPDATE rtb_bot.approval_requests SET status = 'approved', decided_at = now()"
    )
    async with running_bot(bot_settings, fake_slack) as restarted:
        row = await request_row(restarted, request_id)
    assert row["status"] == "failed" and row["result"] == {"interrupted": True, "ran": False}
    assert "nothing was changed" in fake_thread(slack, request_id)
    assert scale_patches(kube["prd"]) == []


async def test_cards_go_to_each_lead_by_dm_when_configured(bot_settings, fake_slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    settings = with_config(bot_settings, channels=Channels(approvals="dm"))
    async with running_bot(settings, fake_slack) as slack:
        request_id = await request_approval(slack, SCALE_TO_ZERO)
        assert len(fake_slack.calls_to("conversations.open")) == 2
        for lead in ("ULEAD1", "ULEAD2"):
            assert buttons_of(card(fake_slack, request_id, channel=f"D{lead}"))
        assert card(fake_slack, request_id, channel="DULEAD1")
        row = await request_row(slack, request_id)
        assert len(row["cards"]) == 2
        payload = click_payload_in(fake_slack, request_id, "DULEAD2", user="ULEAD2")
        await slack.send(interaction_body(payload))
        await slack.settle()
        for lead in ("ULEAD1", "ULEAD2"):
            message = card(fake_slack, request_id, channel=f"D{lead}")
            assert buttons_of(message) == [] and "Succeeded" in text_of(message)
    assert len(scale_patches(kube["prd"])) == 1


async def test_a_card_in_a_leads_dm_is_in_that_leads_language(bot_settings, fake_slack, kube):
    """ULEAD1 reads Korean (`/rtb lang ko`), ULEAD2 the default: each DM card, its update after
    the decision and the outcome in its thread are in its lead's language (a rollout followed
    there too: tests/handlers/test_rollouts.py)."""
    seed_deployment(kube["prd"], PREVIEW, "app")
    settings = with_config(bot_settings, channels=Channels(approvals="dm"))
    async with running_bot(settings, fake_slack) as slack:
        await slack.ask("lang ko", user="ULEAD1")
        request_id = await request_approval(slack, SCALE_TO_ZERO)
        korean, english = (card(fake_slack, request_id, channel=d) for d in ("DULEAD1", "DULEAD2"))
        assert "승인 필요" in text_of(korean) and not HANGUL.search(text_of(english))
        assert [b["text"]["text"] for b in buttons_of(korean)] == ["승인", "반려"]
        payload = click_payload_in(fake_slack, request_id, "DULEAD2", user="ULEAD2")
        await slack.send(interaction_body(payload))
        await slack.settle()
        decided = card(fake_slack, request_id, channel="DULEAD1")
        assert buttons_of(decided) == [] and "성공" in text_of(decided)
        assert "Succeeded" in text_of(card(fake_slack, request_id, channel="DULEAD2"))
        outcome, english_outcome = (
            fake_slack.thread(channel, message["ts"])[0]
            for channel, message in (("DULEAD1", decided), ("DULEAD2", english))
        )
        assert "성공: replica 1개 → replica 0개" in text_of(outcome)
        assert "succeeded" in text_of(english_outcome) and not HANGUL.search(
            text_of(english_outcome)
        )
    assert len(scale_patches(kube["prd"])) == 1


async def test_leads_from_a_slack_user_group(bot_settings, fake_slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    fake_slack.set_usergroup_members("SLEADS", ["ULEAD3"])
    roles = Roles(
        leads=Members(usergroup="SLEADS"),
        operators=Members(users=("UOPERATOR1",)),
        viewers=Members(users=("UVIEWER1",)),
    )
    async with running_bot(with_config(bot_settings, roles=roles), fake_slack) as slack:
        request_id = await request_approval(slack, SCALE_TO_ZERO)
        assert "<@ULEAD3>" in text_of(card(fake_slack, request_id))
        assert "Only team leads" in await click_card(slack, request_id, user="ULEAD1")
        assert "You approved" in await click_card(slack, request_id, user="ULEAD3")
    assert len(scale_patches(kube["prd"])) == 1


def fake_thread(slack, request_id: str) -> str:
    message = card(slack.api, request_id)
    return " ".join(text_of(m) for m in slack.api.thread(APPROVALS, message["ts"]))


def click_payload_in(api, request_id: str, channel: str, *, user: str) -> dict:
    from sandbox.slack_payloads import block_actions

    message = card(api, request_id, channel=channel)
    return block_actions(
        user_id=user,
        action_id="approval_approve",
        value=request_id,
        channel_id=channel,
        message_ts=message["ts"],
        message=message,
        response_url=api.response_url(),
    )
