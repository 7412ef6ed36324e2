"""The bot's PostgreSQL dies while a change runs: the answer says what is known, the result is
kept, and it lands in the request and the audit chain once the database is back.

The outage is real: the bot reaches PostgreSQL through a TCP proxy (sandbox/tcp_proxy.py) that
drops every connection at the moment the fake Kubernetes API has applied the change and before it
answers. The test reads the database directly, past the proxy.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from approvals.audit import AuditEvent, verify_chain
from approvals.events import BOT_ACTOR, request_event
from approvals.outcomes import RunResult
from approvals.spool import ResultSpool, UnrecordedResult
from bot.settings import Settings
from ops.backends.db import Database
from ops.config import Approvals
from ops.errors import BackendError
from sandbox.fake_slack import FakeSlackAPI
from sandbox.tcp_proxy import TcpProxy
from tests.approvals.rollout_support import ENGINE, LISTENER, seed_hub, writes
from tests.approvals.support import (
    APPROVALS,
    PREVIEW,
    buttons_of,
    card,
    click_card,
    replicas,
    request_approval,
    running_bot,
    scale_patches,
    seed_deployment,
    text_of,
    with_config,
)
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import SlackDriver, answer_text

SCALE_TO_ZERO = f"scale prd app 0 --namespace {PREVIEW}"
HUB = "rtb-ai-hub"
LEASE_NAMESPACE = 0x52_54_42_02
KEPT = "The result is kept and will be recorded in the audit log when the database is back"

# The bot notices a cut database within its backend timeout: the short one, so each answer
# comes within the driver's wait on a loaded machine too.
pytestmark = pytest.mark.parametrize("timeouts", [SHORT], indirect=True)


@dataclass
class CutBot:
    slack: SlackDriver
    proxy: TcpProxy
    direct_url: str  # PostgreSQL itself, past the proxy

    @property
    def spool(self) -> ResultSpool:
        return ResultSpool(self.slack.runtime.settings.config.approvals.spool_file)

    async def sql(self, query: str, *params: Any) -> list[dict[str, Any]]:
        async with await psycopg.AsyncConnection.connect(
            self.direct_url, autocommit=True, row_factory=dict_row
        ) as conn:
            return await (await conn.execute(query, params)).fetchall()

    async def database_back(self, attempts: int = 20) -> None:
        """PostgreSQL answers again; once the bot's pool reconnected (it backs off after failed
        attempts), the next housekeeping round (here: now) records."""
        self.proxy.restore()
        db = self.slack.runtime.backends.db
        for _ in range(attempts):
            try:
                await db.ping()
                break
            except BackendError:
                continue  # each attempt waits up to the pool's timeout
        await self.slack.runtime.deps.gate.sweep()


@asynccontextmanager
async def cut_bot_with(
    settings: Settings, api: FakeSlackAPI, pg_proxy: tuple[TcpProxy, str], pg_url: str
) -> AsyncIterator[CutBot]:
    """A bot whose PostgreSQL is behind the proxy."""
    proxy, proxied_url = pg_proxy
    secrets = replace(settings.secrets, database_url=proxied_url)
    async with running_bot(replace(settings, secrets=secrets), api) as slack:
        yield CutBot(slack, proxy, pg_url)


@pytest.fixture
async def cut_bot(bot_settings, fake_slack, pg_proxy, pg_url) -> AsyncIterator[CutBot]:
    async with cut_bot_with(bot_settings, fake_slack, pg_proxy, pg_url) as bot:
        yield bot


def cut_when_applied(server, path_regex: str, bot: CutBot) -> None:
    """The database goes away once Kubernetes applied the PATCH, before the bot hears back."""
    server.inject_fault("PATCH", path_regex, status=None, after=bot.proxy.cut)


async def spec_outcomes(bot: CutBot, env: str) -> list[dict[str, Any]]:
    return await bot.sql(
        "SELECT outcome, detail FROM rtb_bot.audit_events WHERE env = %s AND approval_id IS NULL"
        " ORDER BY id",
        env,
    )


async def request_events(bot: CutBot, request_id: str) -> list[dict[str, Any]]:
    return await bot.sql(
        "SELECT outcome, detail FROM rtb_bot.audit_events WHERE approval_id = %s ORDER BY id",
        request_id,
    )


async def request_status(bot: CutBot, request_id: str) -> dict[str, Any]:
    rows = await bot.sql(
        "SELECT status, result FROM rtb_bot.approval_requests WHERE id = %s", request_id
    )
    return rows[0]


async def chain_intact(bot: CutBot) -> bool:
    db = Database("check", bot.direct_url)
    await db.open()
    try:
        return (await verify_chain(db, bot.slack.runtime.deps.gate.audit.keys)).intact
    finally:
        await db.close()


# -- allowed at once (no approval) --------------------------------------------------------------


async def test_an_allowed_change_cut_mid_run_says_applied_and_is_recorded_when_the_db_is_back(
    cut_bot, kube
):
    seed_deployment(kube["int"], HUB, "workflow-engine", replicas=1)
    cut_when_applied(kube["int"], "/deployments/workflow-engine", cut_bot)

    answer = answer_text(await cut_bot.slack.ask("scale int workflow-engine 3"))

    assert cut_bot.proxy.dropped >= 1  # the database really went away mid-change
    assert replicas(kube["int"], HUB, "workflow-engine") == 3
    assert "1 replica → 3 replicas" in answer
    assert "Recording the result failed" in answer and KEPT in answer
    assert "is not answering" not in answer and "try again" not in answer.lower()
    assert "nothing was changed" not in answer.lower()
    assert [row["outcome"] for row in await spec_outcomes(cut_bot, "int")] == ["requested"]
    kept = await cut_bot.spool.pending()
    assert [(k.status, k.event.action, k.event.env) for k in kept] == [
        ("succeeded", "scale", "int")
    ]

    await cut_bot.database_back()

    events = await spec_outcomes(cut_bot, "int")
    assert [row["outcome"] for row in events] == ["requested", "succeeded"]
    late = events[-1]["detail"]
    assert late["recorded_late"] is True and late["spool_id"] == kept[0].spool_id
    assert late["finished_at"] == kept[0].finished_at
    assert await cut_bot.spool.pending() == []
    assert await chain_intact(cut_bot)
    await cut_bot.database_back()  # a second round writes nothing twice
    assert len(await spec_outcomes(cut_bot, "int")) == 2


async def test_an_allowed_change_whose_db_died_before_it_was_sent_says_nothing_ran(cut_bot, kube):
    seed_deployment(kube["int"], HUB, "workflow-engine", replicas=1)
    kube["int"].inject_fault(
        "GET", "/deployments/workflow-engine$", status=None, after=cut_bot.proxy.cut
    )  # the state is read before the change: the database goes while the bot reads it

    answer = answer_text(await cut_bot.slack.ask("scale int workflow-engine 3"))

    assert "*PostgreSQL (bot)* is not answering" in answer and "try again" in answer
    assert "Recording the result failed" not in answer
    assert [r for r in kube["int"].requests if r[0] == "PATCH"] == []
    assert replicas(kube["int"], HUB, "workflow-engine") == 1
    assert await cut_bot.spool.pending() == []


async def test_an_emergency_rollback_cut_after_its_first_part_runs_no_part_unaudited(cut_bot, kube):
    seed_hub(kube["int"])
    prompt = await cut_bot.slack.ask("emergency-rollback")  # it asks to confirm first
    token = next(b["value"] for b in buttons_of(prompt) if b["action_id"] == "mutation_confirm")
    kube["int"].inject_fault("PUT", f"/deployments/{ENGINE}$", status=None, after=cut_bot.proxy.cut)

    before = len(cut_bot.slack.api.responses)
    assert await cut_bot.slack.click("mutation_confirm", token, user="UOPERATOR1") == 200
    await cut_bot.slack.settle()
    confirmed, result, *_followed = cut_bot.slack.api.responses[before:]
    assert "Confirmed by" in answer_text(dict(confirmed.body))
    answer = answer_text(dict(result.body))

    assert [m for m, _ in writes(kube["int"], ENGINE)] == ["PUT"]
    assert writes(kube["int"], LISTENER) == []  # its "requested" could not be audited: not run
    assert f"`{HUB}/{ENGINE}`: done" in answer
    assert f"`{HUB}/{LISTENER}`: failed: not run: the audit log stopped answering" in answer
    assert "Recording the result failed" in answer and KEPT in answer

    await cut_bot.database_back()

    events = await spec_outcomes(cut_bot, "int")
    assert [(e["outcome"], e["detail"].get("recorded_late")) for e in events] == [
        ("requested", None),
        ("succeeded", True),
    ]


async def test_a_result_the_disk_refuses_too_is_said_to_be_only_in_the_log(
    bot_settings, fake_slack, pg_proxy, pg_url, kube, tmp_path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool's folder should be")
    settings = with_config(bot_settings, approvals=Approvals(spool_file=blocker / "spool.jsonl"))
    async with cut_bot_with(settings, fake_slack, pg_proxy, pg_url) as bot:
        seed_deployment(kube["int"], HUB, "workflow-engine", replicas=1)
        cut_when_applied(kube["int"], "/deployments/workflow-engine", bot)
        answer = answer_text(await bot.slack.ask("scale int workflow-engine 3"))
    assert replicas(kube["int"], HUB, "workflow-engine") == 3, answer
    assert "1 replica → 3 replicas" in answer
    assert "could not be kept on disk either: it is only in the bot's log" in answer


# -- approved by a lead ------------------------------------------------------------------------


async def test_an_approved_change_cut_mid_run_says_applied_and_is_recorded_when_the_db_is_back(
    cut_bot, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=1)
    request_id = await request_approval(cut_bot.slack, SCALE_TO_ZERO)
    cut_when_applied(kube["prd"], "/deployments/app/scale", cut_bot)

    answer = await click_card(cut_bot.slack, request_id, user="ULEAD1")

    assert cut_bot.proxy.dropped >= 1
    assert len(scale_patches(kube["prd"])) == 1 and replicas(kube["prd"], PREVIEW, "app") == 0
    assert f"You approved *{request_id}*: applied (1 replica → 0 replicas)" in answer
    assert "Recording the result failed" in answer and KEPT in answer
    assert "cannot reach the approvals database" not in answer
    assert "nothing was changed" not in answer.lower()
    thread = _thread(cut_bot, request_id)
    assert "succeeded" in thread and KEPT in thread
    assert KEPT in text_of(card(cut_bot.slack.api, request_id))
    assert (await request_status(cut_bot, request_id))["status"] == "executing"

    await cut_bot.database_back()

    row = await request_status(cut_bot, request_id)
    assert row["status"] == "succeeded" and "unrecorded" not in row["result"]
    events = await request_events(cut_bot, request_id)
    assert [e["outcome"] for e in events] == ["requested", "approved", "executing", "succeeded"]
    assert events[-1]["detail"]["recorded_late"] is True
    assert await cut_bot.spool.pending() == []
    assert await chain_intact(cut_bot)
    recorded_card = text_of(card(cut_bot.slack.api, request_id))
    assert "Succeeded" in recorded_card and KEPT not in recorded_card  # the note is gone
    assert len(scale_patches(kube["prd"])) == 1  # never re-run


async def test_a_late_result_replaces_unknown_set_by_another_replica_meanwhile(
    cut_bot, kube, bot_settings, fake_slack, tmp_path
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=1)
    request_id = await request_approval(cut_bot.slack, SCALE_TO_ZERO)
    cut_when_applied(kube["prd"], "/deployments/app/scale", cut_bot)
    await click_card(cut_bot.slack, request_id, user="ULEAD1")
    assert await _lease_released(cut_bot)  # the lease died with the cut connection

    # Another replica (its own spool), which reaches the database, finds the request
    # `executing` and unleased.
    other = with_config(bot_settings, approvals=Approvals(spool_file=tmp_path / "other.jsonl"))
    async with running_bot(other, fake_slack):
        pass
    assert (await request_status(cut_bot, request_id))["status"] == "unknown"
    assert "may or may not have been applied" in _thread(cut_bot, request_id)

    await cut_bot.database_back()

    row = await request_status(cut_bot, request_id)
    assert row["status"] == "succeeded"
    events = await request_events(cut_bot, request_id)
    outcomes = [e["outcome"] for e in events]
    assert outcomes == ["requested", "approved", "executing", "unknown", "succeeded"]
    assert events[-2]["detail"].get("interrupted") is True
    assert events[-1]["detail"]["recorded_late"] is True
    assert await chain_intact(cut_bot)
    last_in_thread = cut_bot.slack.api.thread(APPROVALS, card(cut_bot.slack.api, request_id)["ts"])
    assert "succeeded" in text_of(last_in_thread[-1])
    assert len(scale_patches(kube["prd"])) == 1


def _thread(bot: CutBot, request_id: str) -> str:
    api = bot.slack.api
    return " ".join(text_of(m) for m in api.thread(APPROVALS, card(api, request_id)["ts"]))


async def _lease_released(bot: CutBot, polls: int = 500) -> bool:
    """PostgreSQL ends the cut session when it notices the EOF (at once here, but not
    synchronously with the proxy): wait for the advisory lock to go, as a replica would."""
    for _ in range(polls):
        held = await bot.sql(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s",
            LEASE_NAMESPACE,
        )
        if not held:
            return True
        await bot.sql("SELECT pg_sleep(0.01)")
    return False


async def test_a_kept_result_the_database_refuses_stays_kept_and_blocks_no_other(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app")
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    db, gate = slack.runtime.backends.db, slack.runtime.deps.gate
    await db.execute(
        "UPDATE rtb_bot.approval_requests SET status = 'unknown' WHERE id = %s", (request_id,)
    )
    request = await gate.services.store.get(request_id)
    assert request is not None
    event = request_event(request, BOT_ACTOR, "succeeded", None)
    kept = UnrecordedResult.of(RunResult("succeeded", {"replicas": 0}), event).to_json()
    assert kept.count('"status": "succeeded"') == 1
    # A hand-edited spool: a state the table's CHECK constraint refuses (not an outage).
    refused = UnrecordedResult.from_json(kept.replace('"status": "succeeded"', '"status": "x"'))
    fine = UnrecordedResult.of(
        RunResult("succeeded", {"replicas": 3}),
        AuditEvent(actor=BOT_ACTOR, action="scale", outcome="succeeded", env="int"),
    )
    spool = gate.services.spool
    assert await spool.keep(refused) and await spool.keep(fine)

    await gate.sweep()

    assert [e.spool_id for e in await spool.pending()] == [refused.spool_id]
    written = await db.fetch(
        "SELECT outcome FROM rtb_bot.audit_events WHERE detail->>'spool_id' = %s", (fine.spool_id,)
    )
    assert written == [{"outcome": "succeeded"}]
    assert (await gate.services.store.get(request_id)).status == "unknown"
    spool.path.unlink()  # the refused entry stays by design; not in the shared temp dir


async def test_a_database_lost_while_releasing_the_lease_does_not_hide_the_result(cut_bot, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=1)
    request_id = await request_approval(cut_bot.slack, SCALE_TO_ZERO)
    cut_bot.proxy.cut_when_sent(b"pg_advisory_unlock")  # recorded, then the database goes

    answer = await click_card(cut_bot.slack, request_id, user="ULEAD1")

    assert cut_bot.proxy.dropped >= 1
    assert len(scale_patches(kube["prd"])) == 1
    assert f"You approved *{request_id}*: succeeded" in answer
    assert "nothing was changed" not in answer.lower()
    assert (await request_status(cut_bot, request_id))["status"] == "succeeded"
    assert "succeeded" in _thread(cut_bot, request_id)
