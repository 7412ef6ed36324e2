"""`/rtb queue pause | resume | retry-failed` through the gate: renderer goldens, then signed
slash commands end to end, over a real Redis that a real Node BullMQ worker (the hub's kind)
consumes, and the bot's real PostgreSQL (audit)."""

import asyncio

import pytest
import redis.asyncio as aioredis
from bullmq import Queue

from approvals.mutations import Change
from approvals.outcomes import Ran, RunResult
from approvals.policy import Policy
from approvals.queue_mutations import PauseQueue, ResumeQueue, RetryFailedJobs
from handlers.render.queue_mutations import render_queue_change
from ops.config import Config
from ops.queue_control import QueueChange
from ops.queues import QueueCounts
from tests.fixtures.bot import answer_text
from tests.fixtures.node_bullmq import NodeWorker, run_producer
from tests.golden import assert_golden, korean, shown

QUEUE = "jira-queue"
QUIET_PERIOD_S = 1.0
STATES = ("waiting", "prioritized", "active", "failed", "completed", "delayed", "paused")

# -- renderer goldens -------------------------------------------------------------------------

CONFIG = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
DECISION = Policy(CONFIG).decide("hub.queue", "int", "operator", "C_OPS")


def counts(waiting=0, prioritized=0, active=0, failed=0, completed=0, paused=False):
    return QueueCounts(QUEUE, waiting, prioritized, 4, active, failed, completed, 0, 0, paused)


def ran(spec, before, after, change, **extra):
    result = QueueChange(QUEUE, before, after, **extra).to_json()
    return Ran(spec, DECISION, change, RunResult("succeeded", result))


def test_render_paused_golden():
    spec = PauseQueue.build("int", QUEUE)
    before, after = counts(38, 17, 2, 6, 24), counts(38, 17, 2, 6, 24, paused=True)
    message = render_queue_change(ran(spec, before, after, spec.describe_change({"pending": 55})))
    assert_golden("qmut_paused", message)
    assert (
        message.text.startswith("Paused `jira-queue`:") and "55 waiting stay queued" in message.text
    )
    assert "*Before*\nrunning · waiting 55 · active 2" in shown(message)
    assert "*After*\npaused · waiting 55 · active 2" in shown(message)


def test_render_resumed_golden():
    spec = ResumeQueue.build("int", QUEUE)
    before, after = counts(38, 17, 0, 6, 24, paused=True), counts(37, 17, 1, 6, 24)
    change = spec.describe_change({"paused": True, "pending": 55})
    message = render_queue_change(ran(spec, before, after, change))
    assert_golden("qmut_resumed", message)
    assert message.text == "Resumed `jira-queue`: workers take jobs again (54 waiting)."
    assert "*After*\nrunning · waiting 54 · active 1" in shown(message)


def test_render_retried_goldens():
    spec = RetryFailedJobs.build_retry("int", QUEUE, None)
    change = spec.describe_change({"paused": False, "failed": 6})
    message = render_queue_change(ran(spec, counts(3, failed=6), counts(9), change))
    assert_golden("qmut_retried", message)
    in_korean = korean(
        "qmut_retried",
        lambda: render_queue_change(ran(spec, counts(3, failed=6), counts(9), change)),
    )
    assert "`jira-queue` 실패 잡 6개를 재시도했습니다. 실패 6 → 0." in in_korean
    assert message.text == "Retried 6 failed job(s) of `jira-queue`: 6 failed → 0."
    limited = RetryFailedJobs.build_retry("int", QUEUE, 3)
    change = limited.describe_change({"paused": True, "failed": 6})
    after = counts(5, failed=4, paused=True)
    result = ran(limited, counts(3, failed=6, paused=True), after, change, retried=("30", "29"))
    result = Ran(
        limited,
        DECISION,
        change,
        RunResult("succeeded", {**result.run.result, "skipped": ["28"]}),
    )
    message = render_queue_change(result)
    assert_golden("qmut_retried_limit", message)
    for fact in ("Retried 2 of the 3 newest", "(`30`, `29`)", "1 had already left `failed`"):
        assert fact in message.text
    assert message.text.endswith("The queue is paused: they run once it is resumed.")


def test_a_failed_run_reads_like_every_other_gate_answer():
    spec = PauseQueue.build("int", QUEUE)
    failed = Ran(spec, DECISION, Change("running", "paused"), RunResult("unknown", {"error": "x"}))
    assert "may or may not have been applied" in answer_text(
        {"blocks": render_queue_change(failed).blocks_json()}
    )


# -- end to end -------------------------------------------------------------------------------


@pytest.fixture
async def redis_client(redis_url):
    """The test's own client (Queue.close() would close it, so it is closed here, once)."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def queue(redis_client):
    return Queue(QUEUE, {"connection": redis_client, "prefix": "bull"})


async def job_counts(queue):
    return await queue.getJobCounts(*STATES)


async def audit(slack):
    rows = await slack.runtime.backends.db.fetch(
        "SELECT actor, action, outcome, env FROM rtb_bot.audit_events ORDER BY id"
    )
    return [(r["actor"], r["action"], r["outcome"], r["env"]) for r in rows]


async def test_pause_stops_a_node_worker_and_resume_restarts_it(slack, redis_url, queue):
    with NodeWorker(redis_url, QUEUE) as worker:
        answer = answer_text(await slack.ask(f"queue pause {QUEUE}"))
        assert f"Paused `{QUEUE}`" in answer
        assert "running · waiting 0" in answer and "paused · waiting 0" in answer
        assert await queue.isPaused()

        ids = run_producer(redis_url, QUEUE, {"waiting": 3, "prioritized": 2})
        await asyncio.sleep(QUIET_PERIOD_S)
        assert worker.completed == []  # paused: the worker takes no new job
        assert (await job_counts(queue))["waiting"] + (await job_counts(queue))["prioritized"] == 5
        shown = answer_text(await slack.ask(f"queue {QUEUE}"))
        assert "paused" in shown and "5 (2 prioritized)" in shown

        answer = answer_text(await slack.ask(f"queue resume {QUEUE}"))
        assert f"Resumed `{QUEUE}`" in answer and "paused · waiting 5" in answer
        done = await worker.wait_completed(5)

    assert sorted(e["id"] for e in done) == sorted(ids["waiting"] + ids["prioritized"])
    assert not await queue.isPaused()
    assert (await job_counts(queue))["completed"] == 5
    assert await audit(slack) == [
        ("UOPERATOR1", "queue-pause", "requested", "int"),
        ("rtb-bot", "queue-pause", "succeeded", "int"),
        ("UOPERATOR1", "queue-resume", "requested", "int"),
        ("rtb-bot", "queue-resume", "succeeded", "int"),
    ]


async def test_retried_failed_jobs_run_again_in_a_node_worker(slack, redis_url, queue):
    ids = run_producer(redis_url, QUEUE, {"failed": 4, "failedReason": "Claude API 529"})
    with NodeWorker(redis_url, QUEUE) as worker:
        await asyncio.sleep(0.2)
        assert worker.completed == []  # failed jobs stay failed until retried

        answer = answer_text(await slack.ask(f"queue retry-failed {QUEUE}"))
        assert "Retried 4 failed job(s)" in answer and "4 failed → 0" in answer
        done = await worker.wait_completed(4)

    assert sorted(e["id"] for e in done) == sorted(ids["failed"])
    assert (await job_counts(queue))["failed"] == 0
    assert (await job_counts(queue))["completed"] == 4


async def test_retry_with_a_limit_retries_only_the_newest_failed(slack, redis_url, queue):
    ids = run_producer(redis_url, QUEUE, {"failed": 5})
    newest = ids["failed"][-2:]  # failed one after the other, in the order they were added
    with NodeWorker(redis_url, QUEUE) as worker:
        answer = answer_text(await slack.ask(f"queue retry-failed {QUEUE} --limit 2"))
        assert "Retried the 2 newest failed job(s)" in answer and "5 failed → 3" in answer
        done = await worker.wait_completed(2)
        await asyncio.sleep(0.3)  # and nothing else runs
        assert len(worker.completed) == 2

    assert sorted(e["id"] for e in done) == sorted(newest)
    assert (await job_counts(queue))["failed"] == 3


async def test_retrying_while_paused_leaves_the_jobs_waiting(slack, redis_url, queue):
    run_producer(redis_url, QUEUE, {"failed": 2})
    with NodeWorker(redis_url, QUEUE) as worker:
        await slack.ask(f"queue pause {QUEUE}")
        answer = answer_text(await slack.ask(f"queue retry-failed {QUEUE}"))
        assert "they run once it is resumed" in answer
        await asyncio.sleep(QUIET_PERIOD_S)
        assert worker.completed == []
        assert (await job_counts(queue))["waiting"] == 2
        await slack.ask(f"queue resume {QUEUE}")
        await worker.wait_completed(2)


# -- refusals and bad input: a clear answer, nothing changed --------------------------------


@pytest.mark.parametrize(
    ("text", "user", "said"),
    [
        (f"queue pause {QUEUE} --env stg", "ULEAD1", "stg core infrastructure is never modified"),
        (f"queue resume {QUEUE} --env prd", "ULEAD1", "prd core infrastructure is never modified"),
        (f"queue retry-failed {QUEUE} --env prd", "UOPERATOR1", "policy hub.queue prd = deny"),
        (f"queue pause {QUEUE}", "UVIEWER1", "Refused: viewers cannot request changes"),
    ],
)
async def test_the_gate_refuses_with_the_reason(slack, redis_url, queue, text, user, said):
    run_producer(redis_url, QUEUE, {"waiting": 2, "failed": 1})
    if "resume" in text:
        await queue.pause()
    before = await job_counts(queue)
    paused = await queue.isPaused()
    answer = await slack.ask(text, user=user)
    assert answer["response_type"] == "ephemeral"
    assert said in answer_text(answer)
    assert await job_counts(queue) == before and await queue.isPaused() == paused
    assert [(a, o) for a, _, o, _ in await audit(slack)] == [(user, "refused")]


# Input the parser refuses never reaches the gate (no audit row); a refusal raised while the
# gate reads the target (no such queue, not paused) is audited as `refused`.
@pytest.mark.parametrize(
    ("text", "said", "audited"),
    [
        (
            "queue pause jira-qeue",
            "There is no queue `jira-qeue`. Did you mean `jira-queue`?",
            [("UOPERATOR1", "queue-pause", "refused", "int")],
        ),
        ("queue resume jira-queue!", "is not a valid <name>", []),
        (f"queue retry-failed {QUEUE} --limit -3", "is not a valid --limit: must be between 1", []),
        (f"queue retry-failed {QUEUE} --limit 0", "must be between 1 and 10000", []),
        (f"queue retry-failed {QUEUE} --limit many", "is not a valid --limit: must be a whole", []),
        (f"queue pause {QUEUE} --env dev", "must be one of: int, stg, prd", []),
        (
            f"queue resume {QUEUE}",
            f"`{QUEUE}` is not paused",
            [("UOPERATOR1", "queue-resume", "refused", "int")],
        ),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    slack, redis_url, redis_client, queue, text, said, audited
):
    run_producer(redis_url, QUEUE, {"waiting": 2, "failed": 1})
    before = await job_counts(queue)
    answer = await slack.ask(text)
    assert said in answer_text(answer)
    assert await job_counts(queue) == before and not await queue.isPaused()
    assert await audit(slack) == audited
    assert await redis_client.exists("bull:jira-qeue:meta", "bull:jira-qeue:id") == 0


async def test_nothing_to_do_is_said_not_done(slack, redis_url, queue):
    run_producer(redis_url, QUEUE, {"waiting": 1})
    assert "has no failed jobs: nothing to retry" in answer_text(
        await slack.ask(f"queue retry-failed {QUEUE}")
    )
    await slack.ask(f"queue pause {QUEUE}")
    again = answer_text(await slack.ask(f"queue pause {QUEUE}"))
    assert f"`{QUEUE}` is already paused" in again and f"/rtb queue resume {QUEUE}" in again
    outcomes = [o for _, _, o, _ in await audit(slack)]  # each "nothing to do" refused, audited
    assert outcomes == ["refused", "requested", "succeeded", "refused"]


async def test_an_unwatched_queue_that_bullmq_knows_can_be_paused(slack, redis_url, redis_client):
    run_producer(redis_url, "incident-queue", {"waiting": 1})
    assert "Paused `incident-queue`" in answer_text(await slack.ask("queue pause incident-queue"))
    other = Queue("incident-queue", {"connection": redis_client, "prefix": "bull"})
    assert await other.isPaused()
