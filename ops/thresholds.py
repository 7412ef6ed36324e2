"""The §3.1 thresholds watched: readings from `/rtb status`, hysteresis, and its memory.

One pass reads the five indicators exactly as `/rtb status` does (`ops.status.status`) and moves
each indicator's state one step (`step`, pure):

- Not alerting: an evaluation over the threshold adds to the streak; `consecutive` in a row
  raise the alert (the runbook's alarm wants 2 periods, so does the default). One under resets.
- Alerting: an evaluation under the threshold adds to the streak; `consecutive` in a row
  recover (a reply in the alert's thread). Over again resets the streak, says nothing (no
  repeat while it stays over), except one reminder once `reminder_after` has passed since the
  alert or the last reminder.
- Unknown (the source did not answer, or a partial count that is not over): nothing moves. A
  Redis blip neither recovers an open alert nor breaks a run of overs; the evaluator only
  speaks about what it read.

The state lives in `rtb_bot.threshold_states` (migration 0012), so a pass in any replica takes
over from the last one. A pass writes a row back only if no pass scheduled later wrote it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from ops.backends.db import Database
from ops.config import IndicatorName
from ops.status import Indicator, StatusReport

EventKind = Literal["alert", "recovery", "reminder"]


@dataclass(frozen=True)
class Reading:
    """One indicator as one pass read it, with what an on-call engineer looks at next."""

    key: IndicatorName
    threshold: float
    value: float | None
    over: bool | None  # None: unknown (not read, or partial and not over)
    breakdown: tuple[tuple[str, float], ...] = ()  # per queue / per env, biggest first
    total: float | None = None  # waiting jobs: every queue together (judged per queue)


@dataclass(frozen=True)
class ThresholdState:
    key: IndicatorName
    alerting: bool = False
    streak: int = 0
    alert_key: str | None = None
    opened_at: datetime | None = None
    reminded_at: datetime | None = None
    last_value: float | None = None


@dataclass(frozen=True)
class ThresholdEvent:
    kind: EventKind
    reading: Reading
    alert_key: str  # the alert's outbox key (a recovery or reminder replies in its thread)
    opened_at: datetime
    at: datetime
    consecutive: int


@dataclass(frozen=True)
class Hysteresis:
    consecutive: int
    reminder_after: timedelta


def readings(report: StatusReport) -> tuple[Reading, ...]:
    return tuple(_reading(indicator, report) for indicator in report.indicators)


def _reading(indicator: Indicator, report: StatusReport) -> Reading:
    over = {"red": True, "green": False}.get(indicator.state)
    breakdown: tuple[tuple[str, float], ...] = ()
    total = None
    if indicator.key == "waiting_jobs" and report.queues is not None:
        busy = sorted(report.queues.queues, key=lambda q: -q.pending)
        breakdown = tuple((q.name, float(q.pending)) for q in busy)
        total = float(report.queues.pending)
    elif indicator.key == "active_previews":
        breakdown = tuple((env, float(count)) for env, count in report.previews.per_env)
    return Reading(indicator.key, indicator.threshold, indicator.value, over, breakdown, total)


def alert_key(indicator: IndicatorName, opened_at: datetime) -> str:
    return f"threshold:{indicator}:{opened_at.isoformat()}"


def step(
    state: ThresholdState, reading: Reading, rules: Hysteresis, at: datetime
) -> tuple[ThresholdState, ThresholdEvent | None]:
    """The state after one evaluation, and what to post (if anything). Pure."""
    if reading.over is None:
        return state, None
    state = replace(state, last_value=reading.value)
    if state.alerting:
        return _while_alerting(state, reading, rules, at)
    if not reading.over:
        return replace(state, streak=0), None
    streak = state.streak + 1
    if streak < rules.consecutive:
        return replace(state, streak=streak), None
    key = alert_key(reading.key, at)
    opened = ThresholdState(reading.key, True, 0, key, at, at, reading.value)
    return opened, ThresholdEvent("alert", reading, key, at, at, rules.consecutive)


def _while_alerting(
    state: ThresholdState, reading: Reading, rules: Hysteresis, at: datetime
) -> tuple[ThresholdState, ThresholdEvent | None]:
    key, opened_at = state.alert_key, state.opened_at
    assert key is not None and opened_at is not None  # an open alert has both
    if reading.over:
        if at - (state.reminded_at or opened_at) < rules.reminder_after:
            return replace(state, streak=0), None
        reminder = ThresholdEvent("reminder", reading, key, opened_at, at, rules.consecutive)
        return replace(state, streak=0, reminded_at=at), reminder
    streak = state.streak + 1
    if streak < rules.consecutive:
        return replace(state, streak=streak), None
    recovery = ThresholdEvent("recovery", reading, key, opened_at, at, rules.consecutive)
    return ThresholdState(reading.key, last_value=reading.value), recovery


@dataclass(frozen=True)
class SavedStates:
    states: dict[IndicatorName, ThresholdState]
    newest: datetime | None  # the scheduled time of the newest pass that saved (None: none)


class ThresholdStates:
    """`rtb_bot.threshold_states`, read whole and written whole by one pass: one round trip
    each (bench/thresholds.py: with the bot's PostgreSQL 500 ms away, a row a statement cost
    seconds a pass)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self) -> SavedStates:
        rows = await self.db.fetch(
            "SELECT indicator, alerting, streak, alert_key, opened_at, reminded_at, last_value,"
            " evaluated_for FROM rtb_bot.threshold_states"
        )
        newest = max((row["evaluated_for"] for row in rows), default=None)
        return SavedStates({row["indicator"]: _state(row) for row in rows}, newest)

    async def save(
        self, states: Mapping[IndicatorName, ThresholdState], evaluated_for: datetime, by: str
    ) -> int:
        """Write the pass's states in one statement; a row a later pass already wrote is left
        alone. Returns how many rows were written."""
        if not states:
            return 0
        rows = [(*_row(state), evaluated_for, by) for state in states.values()]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
        params = [value for row in rows for value in row]
        return await self.db.execute(_UPSERT.format(values=values), params)


_UPSERT = (
    "INSERT INTO rtb_bot.threshold_states (indicator, alerting, streak, alert_key, opened_at,"
    " reminded_at, last_value, evaluated_for, evaluated_by) VALUES {values}"
    " ON CONFLICT (indicator) DO UPDATE SET alerting = EXCLUDED.alerting,"
    " streak = EXCLUDED.streak, alert_key = EXCLUDED.alert_key, opened_at = EXCLUDED.opened_at,"
    " reminded_at = EXCLUDED.reminded_at, last_value = EXCLUDED.last_value,"
    " evaluated_for = EXCLUDED.evaluated_for, evaluated_by = EXCLUDED.evaluated_by"
    " WHERE rtb_bot.threshold_states.evaluated_for < EXCLUDED.evaluated_for"
)


def _row(state: ThresholdState) -> tuple[Any, ...]:
    return (
        state.key,
        state.alerting,
        state.streak,
        state.alert_key,
        state.opened_at,
        state.reminded_at,
        state.last_value,
    )


def _state(row: dict[str, Any]) -> ThresholdState:
    return ThresholdState(
        key=row["indicator"],
        alerting=row["alerting"],
        streak=row["streak"],
        alert_key=row["alert_key"],
        opened_at=row["opened_at"],
        reminded_at=row["reminded_at"],
        last_value=row["last_value"],
    )
