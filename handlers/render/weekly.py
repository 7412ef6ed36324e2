"""The weekly checklist (runbook §6.2) as Slack messages: one digest, its overflow in the thread.

The digest holds one section per item: a mark (:white_check_mark: fine, :warning: look at it,
:x: could not be read — with which source and why), the item's numbers, and its first few
detail lines. Detail lines beyond INLINE_LINES go to the digest's thread, one message per item
(chunked so that every section stays under 3,000 characters and every message under 50
blocks); the digest says how many lines are there. What marks an item :warning: is data below
(RISE_PERCENT, IDLE_SHARE, COVERAGE), said in the item so nobody has to guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block

from handlers.render.failures import failure_text
from handlers.render.message import (
    MAX_BLOCKS,
    MAX_SECTION_TEXT,
    Message,
    clip,
    context,
    divider,
    header,
    section,
)
from handlers.render.message import escape as esc
from ops.fanout import Failed, Part
from ops.weekly.assume_role import AssumeRoleAudit, Caller
from ops.weekly.digest import WeeklyDigest
from ops.weekly.fargate import FargateWeek
from ops.weekly.scaling import ScalingHistory
from ops.weekly.ttl import TtlFailures

OK, LOOK, UNREAD = ":white_check_mark:", ":warning:", ":x:"
INLINE_LINES = 6  # detail lines shown in the digest itself, per item
THREAD_LINES = 600  # detail lines at most in the thread, per item (the rest is counted)
RISE_PERCENT = 20.0  # Fargate up by this much on the week before: look at it
IDLE_SHARE = 0.2  # idle replica-hours over this share of all replica-hours: look at it
COVERAGE = 0.9  # samples known for less of the week than this: say the numbers are partial
LINE_CHARS = 300


@dataclass(frozen=True)
class WeeklyMessages:
    main: Message
    thread: tuple[Message, ...]  # the details that did not fit, item by item


@dataclass(frozen=True)
class Item:
    title: str
    mark: str
    summary: str  # the numbers, a few lines
    details: tuple[str, ...] = ()  # one line each, most important first


def render_weekly(digest: WeeklyDigest, *, posted: bool = True) -> WeeklyMessages:
    """`posted`: the digest goes to the channel, its details to its thread; else it is shown
    privately (`/rtb digest weekly`), and the details are only counted."""
    tz = ZoneInfo(digest.timezone)
    items = (
        fargate_item(digest.fargate),
        scaling_item(digest.scaling, tz),
        assume_role_item(digest.assume_role, tz),
        ttl_item(digest.ttl, tz),
    )
    blocks: list[Block] = [
        header(f"Weekly checklist · {_span(digest, tz)}"),
        context(f"Runbook §6.2 · built {digest.built_at.astimezone(tz):%Y-%m-%d %H:%M %Z}"),
    ]
    where = "in the thread" if posted else "in the thread of the posted digest (`--post`)"
    for number, item in enumerate(items, 1):
        blocks += [divider(), section(_item_text(number, item, where))]
    thread = tuple(m for n, item in enumerate(items, 1) for m in _overflow(n, item))
    return WeeklyMessages(Message(text=_fallback(digest, items, tz), blocks=tuple(blocks)), thread)


def _span(digest: WeeklyDigest, tz: ZoneInfo) -> str:
    first = digest.week.start.astimezone(tz)
    last = digest.week.end.astimezone(tz) - timedelta(days=1)
    return f"{first:%Y-%m-%d} – {last:%Y-%m-%d}"


def _fallback(digest: WeeklyDigest, items: Sequence[Item], tz: ZoneInfo) -> str:
    looks = [i.title for i in items if i.mark != OK]
    tail = f": look at {', '.join(looks)}" if looks else ": all fine"
    return f"Weekly checklist {_span(digest, tz)}{tail}"


def _item_text(number: int, item: Item, where: str) -> str:
    lines = [f"{item.mark} *{number}. {item.title}*", item.summary]
    lines += [f"• {line}" for line in item.details[:INLINE_LINES]]
    rest = len(item.details) - INLINE_LINES
    if rest > 0:
        lines.append(f"_… {rest:,} more {where}_")
    return _fit("\n".join(lines))


def _overflow(number: int, item: Item) -> list[Message]:
    """The item's detail lines past INLINE_LINES, as thread messages within Slack's limits."""
    rest = list(item.details[INLINE_LINES:])
    if not rest:
        return []
    cut = len(rest) - THREAD_LINES
    shown = [f"• {line}" for line in rest[:THREAD_LINES]]
    if cut > 0:
        shown.append(f"_… and {cut:,} more not listed_")
    chunks = _chunks(shown)
    title = f"{number}. {item.title}: the rest"
    per_message = MAX_BLOCKS - 1
    messages = []
    for start in range(0, len(chunks), per_message):
        part = chunks[start : start + per_message]
        blocks: list[Block] = [context(f"*{esc(title)}*")] + [section(text) for text in part]
        messages.append(Message(text=title, blocks=tuple(blocks)))
    return messages


def _chunks(lines: Sequence[str]) -> list[str]:
    """Lines joined into texts of at most MAX_SECTION_TEXT characters (a line never split)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, LINE_CHARS)
        if current and size + len(line) + 1 > MAX_SECTION_TEXT:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def _fit(text: str) -> str:
    return text if len(text) <= MAX_SECTION_TEXT else clip(text, MAX_SECTION_TEXT)


def _usd(value: float | Decimal) -> str:
    return f"${value:,.2f}"


def _failure(failed: Failed) -> str:
    return f"{esc(failed.backend)}: {esc(failure_text(failed))}"


def _unread(title: str, failure: Failed | None) -> Item:
    reason = _failure(failure) if failure is not None else "no answer"
    return Item(title, UNREAD, f"Could not be read: {reason}")


def _not_read(failures: Sequence[Failed]) -> list[str]:
    return [f"Not read: {_failure(f)}" for f in failures]


def _change(now: Decimal, before: Decimal) -> str:
    if before == 0:
        return "no cost the week before" if now else "no cost either week"
    percent = float((now - before) / before * 100)
    return f"{percent:+.0f}% on {_usd(before)}"


def _when(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%a %m-%d %H:%M}"


# -- 1. Fargate ------------------------------------------------------------------------------

FARGATE = "Fargate cost per env"


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
    last = week.end - timedelta(days=1)
    summary = (
        f"*{_usd(week.this_week)}* from {week.start:%m-%d} to {last:%m-%d} "
        "(UTC days, `env: preview`), "
        f"{_change(week.this_week, week.week_before)}"
    )
    lines = [
        f"`{e.env}` ({e.account_id}): {_usd(e.this_week)}, {_change(e.this_week, e.week_before)}"
        + (" :warning:" if e.env in rising else "")
        for e in week.envs
    ]
    if rising:
        summary += f"\nUp {RISE_PERCENT:g}% or more on the week before: {', '.join(rising)}"
    return Item(FARGATE, mark, summary, tuple(_not_read(week.failures) + lines))


# -- 2. KEDA scaling and idle time -----------------------------------------------------------

SCALING = "KEDA scaling and workflow-engine idle time"


def scaling_item(part: Part[ScalingHistory], tz: ZoneInfo) -> Item:
    history = part.value
    if history is None:
        return _unread(SCALING, part.failure)
    if history.minutes_known == 0:
        summary = (
            f"No samples of `{esc(history.deployment)}` this week "
            f"({history.minutes_sampled:,} minutes recorded, none with replicas and queues "
            "known): the numbers are unknown, not zero."
        )
        return Item(SCALING, UNREAD, summary)
    share = history.idle_replica_hours / history.replica_hours if history.replica_hours else 0
    partial = history.coverage < COVERAGE
    mark = LOOK if share > IDLE_SHARE or partial else OK
    summary = (
        f"*{history.replica_hours:,.1f}* replica-hours, *{history.idle_replica_hours:,.1f}* idle "
        f"({share:.0%}: replicas up, nothing active or waiting) = "
        f"*{_usd(history.idle_cost_usd)}* at ${history.replica_hour_usd:g} a replica-hour\n"
        f"{len(history.changes):,} scaling changes, at most "
        f"{history.max_replicas} replicas; KEDA paused {history.paused_minutes:,} min"
    )
    if partial:
        summary += (
            f"\nSampled {history.coverage:.0%} of the week ({history.minutes_known:,} of "
            f"{history.minutes_in_week:,} minutes): the hours count only those minutes"
        )
    changes = [
        f"{_when(c.at, tz)}  {c.replicas_before} → {c.replicas_after}"
        + (" (KEDA paused)" if c.keda_paused else "")
        for c in reversed(history.changes)  # newest first
    ]
    return Item(SCALING, mark, summary, tuple(changes))


# -- 3. AssumeRole audit ---------------------------------------------------------------------

ASSUME_ROLE = "Cross-account AssumeRole audit"


def assume_role_item(part: Part[AssumeRoleAudit], tz: ZoneInfo) -> Item:
    audit = part.value
    if audit is None:
        return _unread(ASSUME_ROLE, part.failure)
    flagged = [c for c in audit.callers if c.flagged]
    roles = ", ".join(f"`{env}` {esc(role.rsplit('/', 1)[-1])}" for env, role in audit.roles)
    unreadable = len(audit.failures) == 2 * len(audit.roles)
    mark = UNREAD if unreadable else LOOK if flagged or audit.failed or audit.failures else OK
    summary = f"*{audit.calls:,}* AssumeRole into {roles}, *{audit.failed:,}* failed"
    if audit.errors:
        summary += " (" + ", ".join(f"{esc(code)} {n}" for code, n in audit.errors) + ")"
    summary += f"; {len(audit.callers)} callers, *{len(flagged)} new* since the week before"
    if not audit.baseline_known:
        summary += "\nThe week before could not be read: nobody is flagged as new"
    if audit.capped:
        summary += f"\nCut at the newest records in: {', '.join(audit.capped)}"
    lines = _not_read(audit.failures) + [_caller_line(c, tz) for c in audit.callers]
    return Item(ASSUME_ROLE, mark, summary, tuple(lines))


def _caller_line(caller: Caller, tz: ZoneInfo) -> str:
    who = f"`{esc(caller.principal)}`"
    if caller.source_identity:
        who += f" as `{esc(caller.source_identity)}`"
    flags = []
    if caller.new_principal:
        flags.append("new caller")
    if caller.new_source_identity:
        flags.append("new source identity")
    flag = f":warning: *{' and '.join(flags)}* " if flags else ""
    failed = f", {caller.failed} failed" if caller.failed else ""
    envs = "/".join(caller.envs)
    return f"{flag}{who} → {envs}: {caller.calls}×{failed}, last {_when(caller.last, tz)}"


# -- 4. Preview TTL expiry failures ----------------------------------------------------------

TTL = "Preview TTL expiry failures"


def ttl_item(part: Part[TtlFailures], tz: ZoneInfo) -> Item:
    found = part.value
    if found is None:
        return _unread(TTL, part.failure)
    lines_part, outlived = found.lines.value, found.outlived
    errors = lines_part.errors if lines_part is not None else ()
    unreadable = lines_part is None and not found.overdue_envs
    mark = UNREAD if unreadable else LOOK if errors or outlived or found.failures else OK
    counted = (
        f"*{lines_part.lines:,}* `cleanupExpired()` error lines in `{esc(found.log_group)}`"
        + ("" if lines_part.complete else " (cut short: more were not read)")
        if lines_part is not None
        else "`cleanupExpired()` error lines unknown"
    )
    overdue = (
        f"*{len(outlived)}* {'preview' if len(outlived) == 1 else 'previews'} still present "
        "past the TTL"
        if found.overdue_envs
        else "overdue previews unknown"
    )
    if found.overdue_envs and found.overdue_unread:
        overdue += (
            f" in {', '.join(found.overdue_envs)} (not read: {', '.join(found.overdue_unread)})"
        )
    details = _not_read(found.failures)
    details += [
        f"`{esc(p.env)}` {esc(p.issue_key)}: expired {_when(p.expires_at, tz)}, still present"
        for p in outlived
        if p.expires_at is not None
    ]
    details += [
        f"`{esc(e.env or '?')}` {esc(e.issue_key or '?')}: {e.count}× "
        f"{esc(clip(' '.join(e.error.split()), 160))}"
        + (f" (last {_when(e.last, tz)})" if e.last else "")
        for e in errors
    ]
    return Item(TTL, mark, f"{counted}; {overdue}", tuple(details))
