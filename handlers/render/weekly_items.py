"""The four items of the weekly checklist (runbook §6.2), each a mark, its numbers in a few
lines, and its detail lines (most important first); `handlers.render.weekly` lays them out.

What marks an item :warning: is data here (RISE_PERCENT, IDLE_SHARE, COVERAGE), said in the
item so nobody has to guess; :x: says which source could not be read and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from handlers.render.failures import failure_text
from handlers.render.i18n import N_, _, money, ngettext, number
from handlers.render.message import clip
from handlers.render.message import escape as esc
from ops.fanout import Failed, Part
from ops.weekly.assume_role import AssumeRoleAudit, Caller
from ops.weekly.fargate import FargateWeek
from ops.weekly.scaling import ScalingChange, ScalingHistory
from ops.weekly.ttl import CleanupError, CleanupLines, TtlFailures

OK, LOOK, UNREAD = ":white_check_mark:", ":warning:", ":x:"
RISE_PERCENT = 20.0  # Fargate up by this much on the week before: look at it
IDLE_SHARE = 0.2  # idle replica-hours over this share of all replica-hours: look at it
COVERAGE = 0.9  # samples known for less of the week than this: say the numbers are partial


@dataclass(frozen=True)
class Item:
    title: str
    mark: str
    summary: str  # the numbers, a few lines
    details: tuple[str, ...] = ()  # one line each, most important first


def _usd(value: float | Decimal) -> str:
    """$12.34 (US$12.34 in Korean), to the cent as before."""
    return money(Decimal(f"{value:.2f}"))


def _failure(failed: Failed) -> str:
    return f"{esc(failed.backend)}: {esc(failure_text(failed))}"


def _unread(title: str, failure: Failed | None) -> Item:
    reason = _failure(failure) if failure is not None else _("no answer")
    return Item(_(title), UNREAD, _("Could not be read: {reason}", reason=reason))


def _not_read(failures: Sequence[Failed]) -> list[str]:
    return [_("Not read: {failure}", failure=_failure(f)) for f in failures]


def _change(now: Decimal, before: Decimal) -> str:
    if before == 0:
        return _("no cost the week before") if now else _("no cost either week")
    percent = float((now - before) / before * 100)
    return _("{percent:+.0f}% on {before}", percent=percent, before=_usd(before))


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return _("{at:%a %m-%d %H:%M}", at=moment.astimezone(tz))


# -- 1. Fargate ------------------------------------------------------------------------------

FARGATE = N_("Fargate cost per env")


def fargate_item(part: Part[FargateWeek]) -> Item:
    week = part.value
    if week is None:
        return _unread(FARGATE, part.failure)
    rising = [
        e.env
        for e in week.envs
        if e.change_percent is not None and e.change_percent >= RISE_PERCENT
    ]
    mark = UNREAD if not week.envs else LOOK if rising or week.failures else OK
    summary = _(
        "*{total}* from {first:%m-%d} to {last:%m-%d} (UTC days, `env: preview`), {change}",
        total=_usd(week.this_week),
        first=week.start,
        last=week.end - timedelta(days=1),
        change=_change(week.this_week, week.week_before),
    )
    lines = [
        f"`{e.env}` ({e.account_id}): {_usd(e.this_week)}, {_change(e.this_week, e.week_before)}"
        + (" :warning:" if e.env in rising else "")
        for e in week.envs
    ]
    if rising:
        summary += "\n" + _(
            "Up {percent:g}% or more on the week before: {envs}",
            percent=RISE_PERCENT,
            envs=", ".join(rising),
        )
    return Item(_(FARGATE), mark, summary, tuple(_not_read(week.failures) + lines))


# -- 2. KEDA scaling and idle time -----------------------------------------------------------

SCALING = N_("KEDA scaling and workflow-engine idle time")


def scaling_item(part: Part[ScalingHistory], tz: ZoneInfo) -> Item:
    history = part.value
    if history is None:
        return _unread(SCALING, part.failure)
    if history.minutes_known == 0:
        summary = _(
            "No samples of `{deployment}` this week ({minutes} minutes recorded, none with "
            "replicas and queues known): the numbers are unknown, not zero.",
            deployment=esc(history.deployment),
            minutes=number(history.minutes_sampled),
        )
        return Item(_(SCALING), UNREAD, summary)
    share = history.idle_replica_hours / history.replica_hours if history.replica_hours else 0
    partial = history.coverage < COVERAGE
    mark = LOOK if share > IDLE_SHARE or partial else OK
    lines = [_idle_line(history, share), _scaling_line(history)]
    if partial:
        lines.append(
            _(
                "Sampled {share:.0%} of the week ({known} of {minutes} minutes): the hours "
                "count only those minutes",
                share=history.coverage,
                known=number(history.minutes_known),
                minutes=number(history.minutes_in_week),
            )
        )
    changes = [_change_line(c, tz) for c in reversed(history.changes)]  # newest first
    return Item(_(SCALING), mark, "\n".join(lines), tuple(changes))


def _idle_line(history: ScalingHistory, share: float) -> str:
    return _(
        "*{hours}* replica-hours, *{idle}* idle ({share:.0%}: replicas up, nothing active or "
        "waiting) = *{cost}* at ${rate:g} a replica-hour",
        hours=number(history.replica_hours, digits=1),
        idle=number(history.idle_replica_hours, digits=1),
        share=share,
        cost=_usd(history.idle_cost_usd),
        rate=history.replica_hour_usd,
    )


def _scaling_line(history: ScalingHistory) -> str:
    return _(
        "{changes} scaling changes, at most {replicas} replicas; KEDA paused {minutes} min",
        changes=number(len(history.changes)),
        replicas=history.max_replicas,
        minutes=number(history.paused_minutes),
    )


def _change_line(change: ScalingChange, tz: ZoneInfo) -> str:
    at, before, after = _when(change.at, tz), change.replicas_before, change.replicas_after
    if change.keda_paused:
        return _("{at}  {before} → {after} (KEDA paused)", at=at, before=before, after=after)
    return f"{at}  {before} → {after}"


# -- 3. AssumeRole audit ---------------------------------------------------------------------

ASSUME_ROLE = N_("Cross-account AssumeRole audit")
CAPPED_READS = {"current": N_("{env} this week"), "previous": N_("{env} week before")}


def assume_role_item(part: Part[AssumeRoleAudit], tz: ZoneInfo) -> Item:
    audit = part.value
    if audit is None:
        return _unread(ASSUME_ROLE, part.failure)
    flagged = [c for c in audit.callers if c.flagged]
    roles = ", ".join(f"`{env}` {esc(role.rsplit('/', 1)[-1])}" for env, role in audit.roles)
    unreadable = len(audit.failures) == 2 * len(audit.roles)
    mark = UNREAD if unreadable else LOOK if flagged or audit.failed or audit.failures else OK
    calls = _(
        "*{calls}* AssumeRole into {roles}, *{failed}* failed",
        calls=number(audit.calls),
        roles=roles,
        failed=number(audit.failed),
    )
    if audit.errors:
        calls += " (" + ", ".join(f"{esc(code)} {n}" for code, n in audit.errors) + ")"
    lines = [
        _(
            "{calls}; {callers} callers, *{new} new* since the week before",
            calls=calls,
            callers=len(audit.callers),
            new=len(flagged),
        )
    ]
    if not audit.baseline_known:
        lines.append(_("The week before could not be read: nobody is flagged as new"))
    if audit.capped:
        cut = ", ".join(_(CAPPED_READS[which], env=env) for env, which in audit.capped)
        lines.append(_("Cut at the newest records in: {envs}", envs=cut))
    details = _not_read(audit.failures) + [_caller_line(c, tz) for c in audit.callers]
    return Item(_(ASSUME_ROLE), mark, "\n".join(lines), tuple(details))


# (new principal, new source identity) → what the caller line flags
_NEW_CALLER = {
    (True, False): N_("new caller"),
    (False, True): N_("new source identity"),
    (True, True): N_("new caller and new source identity"),
}


def _caller_line(caller: Caller, tz: ZoneInfo) -> str:
    who = f"`{esc(caller.principal)}`"
    if caller.source_identity:
        who = _("{who} as `{identity}`", who=who, identity=esc(caller.source_identity))
    new = _NEW_CALLER.get((caller.new_principal, caller.new_source_identity))
    flag = f":warning: *{_(new)}* " if new else ""
    facts = {"who": who, "envs": "/".join(caller.envs), "calls": caller.calls}
    last = _when(caller.last, tz)
    if caller.failed:
        line = _(
            "{who} → {envs}: {calls}×, {failed} failed, last {last}",
            failed=caller.failed,
            last=last,
            **facts,
        )
    else:
        line = _("{who} → {envs}: {calls}×, last {last}", last=last, **facts)
    return flag + line


# -- 4. Preview TTL expiry failures ----------------------------------------------------------

TTL = N_("Preview TTL expiry failures")


def ttl_item(part: Part[TtlFailures], tz: ZoneInfo) -> Item:
    found = part.value
    if found is None:
        return _unread(TTL, part.failure)
    lines_part, outlived = found.lines.value, found.outlived
    errors = lines_part.errors if lines_part is not None else ()
    unreadable = lines_part is None and not found.overdue_envs
    mark = UNREAD if unreadable else LOOK if errors or outlived or found.failures else OK
    details = _not_read(found.failures)
    details += [
        _(
            "`{env}` {issue}: expired {when}, still present",
            env=esc(p.env),
            issue=esc(p.issue_key),
            when=_when(p.expires_at, tz),
        )
        for p in outlived
        if p.expires_at is not None
    ]
    details += [_error_line(e, tz) for e in errors]
    summary = f"{_counted(lines_part, found.log_group)}; {_overdue(found)}"
    return Item(_(TTL), mark, summary, tuple(details))


def _counted(lines: CleanupLines | None, log_group: str) -> str:
    if lines is None:
        return _("`cleanupExpired()` error lines unknown")
    counted = N_("*{n}* `cleanupExpired()` error lines in `{group}`")
    if not lines.complete:
        counted = N_(
            "*{n}* `cleanupExpired()` error lines in `{group}` (cut short: more were not read)"
        )
    return _(counted, n=number(lines.lines), group=esc(log_group))


def _overdue(found: TtlFailures) -> str:
    if not found.overdue_envs:
        return _("overdue previews unknown")
    overdue = ngettext(
        "*{n}* preview still present past the TTL",
        "*{n}* previews still present past the TTL",
        len(found.outlived),
    )
    if not found.overdue_unread:
        return overdue
    return _(
        "{overdue} in {envs} (not read: {unread})",
        overdue=overdue,
        envs=", ".join(found.overdue_envs),
        unread=", ".join(found.overdue_unread),
    )


def _error_line(error: CleanupError, tz: ZoneInfo) -> str:
    line = (
        f"`{esc(error.env or '?')}` {esc(error.issue_key or '?')}: {error.count}× "
        f"{esc(clip(' '.join(error.error.split()), 160))}"
    )
    return _("{line} (last {when})", line=line, when=_when(error.last, tz)) if error.last else line
