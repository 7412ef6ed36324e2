"""Change, BullMQ queues: pause, resume, retry failed jobs — each through the policy gate."""

from __future__ import annotations

from approvals.queue_mutations import MAX_RETRY_LIMIT, PauseQueue, ResumeQueue, RetryFailedJobs
from handlers.context import CommandCall
from handlers.mutations import REASON, submit_mutation
from handlers.render.i18n import N_
from handlers.render.message import Message
from handlers.render.queue_mutations import render_queue_change
from handlers.spec import ENV, Arg, Command, Flag, bounded_int
from ops.config import EnvName
from ops.queues import queue_name

GROUP = "Change"


def _env(call: CommandCall) -> EnvName:
    env: EnvName = call.values["env"]
    return env


async def run_queue_pause(call: CommandCall) -> Message:
    spec = PauseQueue.build(_env(call), call.values["name"])
    return await submit_mutation(call, spec, render_ran=render_queue_change)


async def run_queue_resume(call: CommandCall) -> Message:
    spec = ResumeQueue.build(_env(call), call.values["name"])
    return await submit_mutation(call, spec, render_ran=render_queue_change)


async def run_queue_retry_failed(call: CommandCall) -> Message:
    spec = RetryFailedJobs.build_retry(_env(call), call.values["name"], call.values["limit"])
    return await submit_mutation(call, spec, render_ran=render_queue_change)


_NAME = Arg("name", N_("a queue name, e.g. jira-queue"), queue_name)
_ENV = Flag(
    "env",
    N_("the hub's queues are in int (stg/prd: core infrastructure, always refused)"),
    ENV,
    "int",
    metavar="int",
)

COMMANDS = (
    Command(
        "queue pause",  # a name: the command words
        N_(
            "Pause a BullMQ queue: workers finish what they hold and take no new job "
            "(§5.1 isolate)."
        ),
        run_queue_pause,
        args=(_NAME,),
        flags=(_ENV, REASON),
        mutating=True,
        group=GROUP,
        examples=("/rtb queue pause jira-queue",),  # a name
    ),
    Command(
        "queue resume",  # a name: the command words
        N_("Resume a paused BullMQ queue: workers take its waiting jobs again."),
        run_queue_resume,
        args=(_NAME,),
        flags=(_ENV, REASON),
        mutating=True,
        group=GROUP,
        examples=("/rtb queue resume jira-queue",),  # a name
    ),
    Command(
        "queue retry-failed",  # a name: the command words
        N_("Retry a queue's failed jobs (all, or the newest N), with counts before and after."),
        run_queue_retry_failed,
        args=(_NAME,),
        flags=(
            Flag(
                "limit",
                N_("only the N most recently failed (1 to 10,000)"),
                bounded_int(1, MAX_RETRY_LIMIT),
                metavar="N",
            ),
            _ENV,
            REASON,
        ),
        mutating=True,
        group=GROUP,
        examples=(
            "/rtb queue retry-failed jira-queue",  # a name
            "/rtb queue retry-failed jira-queue --limit 5",  # a name
        ),
    ),
)
