"""Hysteresis of the §3.1 evaluator, step by step (pure: ops.thresholds.step)."""

from datetime import UTC, datetime, timedelta

from ops.thresholds import Hysteresis, Reading, ThresholdState, alert_key, step

T0 = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
RULES = Hysteresis(consecutive=2, reminder_after=timedelta(hours=24))


def waiting(value: float | None, over: bool | None = None) -> Reading:
    judged = over if value is None else value > 50
    return Reading("waiting_jobs", 50, value, judged, (("jira-queue", value or 0),), value)


def run(values, rules=RULES, state=None, start=T0, every=timedelta(minutes=1)):
    """Each value one evaluation a minute apart; returns the final state and the events."""
    state = state or ThresholdState("waiting_jobs")
    events = []
    for n, value in enumerate(values):
        reading = value if isinstance(value, Reading) else waiting(value)
        state, event = step(state, reading, rules, start + n * every)
        if event is not None:
            events.append(event)
    return state, events


def test_one_evaluation_over_is_not_an_alert():
    state, events = run([80])
    assert events == [] and (state.alerting, state.streak) == (False, 1)


def test_the_second_evaluation_in_a_row_over_alerts_once():
    state, events = run([80, 81])
    assert [e.kind for e in events] == ["alert"]
    alert = events[0]
    assert alert.reading.value == 81 and alert.at == T0 + timedelta(minutes=1)
    assert alert.alert_key == alert_key("waiting_jobs", alert.at) == state.alert_key
    assert state.alerting and state.opened_at == alert.at


def test_an_evaluation_under_in_between_starts_the_count_again():
    _, events = run([80, 10, 80])
    assert events == []


def test_no_repeat_while_it_stays_over():
    _, events = run([80, 81, 90, 95, 120, 70])
    assert [e.kind for e in events] == ["alert"]


def test_n_evaluations_under_recover_in_the_alerts_thread():
    state, events = run([80, 81, 40, 30])
    assert [e.kind for e in events] == ["alert", "recovery"]
    alert, recovery = events
    assert recovery.alert_key == alert.alert_key and recovery.opened_at == alert.at
    assert recovery.reading.value == 30
    assert state == ThresholdState("waiting_jobs", last_value=30)


def test_one_evaluation_under_is_no_recovery():
    state, events = run([80, 81, 40, 90, 40])
    assert [e.kind for e in events] == ["alert"] and state.alerting


def test_unknown_readings_neither_count_nor_break_a_run():
    unknown = waiting(None, None)
    _, events = run([80, unknown, 81])
    assert [e.kind for e in events] == ["alert"]
    state, events = run([80, 81, unknown, unknown, unknown])
    assert [e.kind for e in events] == ["alert"] and state.alerting


def test_a_reminder_a_day_after_the_alert_and_a_day_after_that():
    hourly = timedelta(hours=1)
    state, events = run([80] * 50, every=hourly)  # alert at hour 1, then 49 hours over
    assert [e.kind for e in events] == ["alert", "reminder", "reminder"]
    alert, first, second = events
    assert first.at - alert.at == timedelta(hours=24) and first.alert_key == alert.alert_key
    assert second.at - first.at == timedelta(hours=24)
    assert state.reminded_at == second.at


def test_consecutive_one_alerts_and_recovers_at_once():
    rules = Hysteresis(consecutive=1, reminder_after=timedelta(hours=24))
    _, events = run([80, 10], rules=rules)
    assert [e.kind for e in events] == ["alert", "recovery"]
