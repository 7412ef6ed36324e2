"""`/rtb digest daily|weekly [--post]` and `/rtb schedules`.

`digest` builds the digest now, from the same code as the scheduled job, and shows it to the
caller only. `--post` (operators and leads) posts it to its channel now, outside the schedule
and without a claim: it is a person's decision, under a key of its own, so it never takes the
place of the scheduled one. `schedules` lists the job table: each job's schedule, next run, and
the newest run's period, outcome and replica (from the claims), plus the outbox's backlog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.context import CommandCall, Deps
from handlers.daily_jobs import build_daily, enqueue_daily
from handlers.render.daily_digest import render_daily_digest
from handlers.render.digest_replies import (
    digest_not_built,
    posting_is_for_operators,
    render_digest_posting,
)
from handlers.render.i18n import N_, _
from handlers.render.message import Message
from handlers.render.schedules import ScheduleRow, render_schedules
from handlers.scheduled import next_run
from handlers.spec import Arg, Command, Flag, choice
from handlers.weekly_jobs import (
    SAMPLER,
    SAMPLER_CRON,
    SAMPLER_SUMMARY,
    post_weekly_now,
    sampler_run,
    show_weekly,
)
from ops.errors import UserError
from ops.outbox import OutboxStats
from ops.schedule import next_fire

GROUP = "Digests"


@dataclass(frozen=True)
class OnDemandDigest:
    """A digest `/rtb digest <name>` can show (privately) or `--post`."""

    show: Callable[[Deps], Awaitable[Message]]
    post: Callable[[Deps], Awaitable[list[str]]]  # outbox keys enqueued


async def _show_daily(deps: Deps) -> Message:
    return render_daily_digest(await build_daily(deps, deps.require_push().clock()))


async def _post_daily(deps: Deps) -> list[str]:
    push = deps.require_push()
    now = push.clock()
    digest = await build_daily(deps, now)
    return await enqueue_daily(deps, push.outbox, digest, f"daily-digest:posted:{now.isoformat()}")


DIGESTS: dict[str, OnDemandDigest] = {
    "daily": OnDemandDigest(_show_daily, _post_daily),
    "weekly": OnDemandDigest(show_weekly, post_weekly_now),
}


async def run_digest(call: CommandCall) -> Message:
    name = call.values["name"]
    digest = DIGESTS.get(name)
    if digest is None:
        raise UserError(digest_not_built(name))
    if not call.values["post"]:
        return await digest.show(call.deps)
    role = await call.deps.gate.roles.describe(call.user_id)
    if not role.may_request_changes:
        raise UserError(posting_is_for_operators())
    keys = await digest.post(call.deps)
    call.deps.require_push().sender.nudge()
    channel = call.deps.config.channels.alerts
    return render_digest_posting(name, channel, len(keys))


async def run_schedules(call: CommandCall) -> Message:
    deps = call.deps
    push = deps.require_push()
    now = push.clock()
    runs = await push.claims.last_runs()
    rows = tuple(
        ScheduleRow(
            job.name,
            _(job.summary),  # marked with N_() in the job table
            job.cron(deps.config),
            next_run(deps.config, job, now),
            runs.get(job.name),
        )
        for job in push.jobs.values()
    )
    sampler = ScheduleRow(
        SAMPLER,
        _(SAMPLER_SUMMARY),
        SAMPLER_CRON,
        next_fire(SAMPLER_CRON, deps.config.timezone, now),
        await sampler_run(deps),
    )
    rows += (sampler,)
    stats: OutboxStats = await push.outbox.stats()
    return render_schedules(rows, stats, deps.config.timezone)


COMMANDS = (
    Command(
        "digest",
        N_(
            "The daily (§6.1) or weekly (§6.2) checklist now, privately; --post sends it to its "
            "channel (operators)."
        ),
        run_digest,
        args=(Arg("name", N_("daily or weekly"), choice("daily", "weekly")),),
        flags=(Flag("post", N_("post it to its channel now"), is_switch=True, default=False),),
        group=GROUP,
        examples=(
            "/rtb digest daily",  # a name
            "/rtb digest daily --post",  # a name
            "/rtb digest weekly --post",  # a name
        ),
    ),
    Command(
        "schedules",
        N_("The scheduled jobs: next run, the last run's outcome and which replica ran it."),
        run_schedules,
        group=GROUP,
        light=True,
        examples=("/rtb schedules",),  # a name
    ),
)
