"""Investigate on an alarm of `/rtb alarms`: the alarm's playbook reads, the ones an incident
card's Investigate runs (handlers.incident_playbooks), run as if the clicker had typed them.

The button's value (`<env>|<alarm name>`) is only a name: the env must be one this bot has, and
the alarm is read again from CloudWatch when clicked (its metric and dimensions choose the
playbook, as the notification's do for a card). One that left ALARM meanwhile is said to have
and investigated anyway (reads change nothing); one that no longer exists is said to be gone.

Where the answers go: the same place as the typed commands' answers, the click's response_url
(one message saying what runs, then each read's answer). A thread is not possible under a
slash-command answer: the bot never learns an ephemeral answer's ts, and it may not even be a
member of the channel the command was typed in (a DM, a private channel). A playbook is at most
two reads, so the three posts stay within the response_url's five uses.
"""

from __future__ import annotations

from dataclasses import replace

from slack_bolt.async_app import AsyncApp

from handlers.context import Deps
from handlers.incident_playbooks import AlarmSubject, Playbook, playbook_for
from handlers.listeners import Incoming, ack_then, action_pattern
from handlers.render.answer_buttons import (
    ALARM_INVESTIGATE_ACTION,
    render_alarm_gone,
    render_investigation,
    render_not_this_button,
)
from handlers.render.message import Message
from handlers.slash import Typed, answer, run_slash
from handlers.table import TABLE
from ops import alarms
from ops.alarms import Alarm
from ops.config import EnvName

MAX_ALARM_NAME = 255  # CloudWatch's limit


def subject_of(alarm: Alarm) -> AlarmSubject:
    namespace, metric = alarm.metric_parts
    return AlarmSubject(alarm.name, alarm.env, metric, namespace, dict(alarm.dimensions))


def playbook_of(deps: Deps, alarm: Alarm) -> Playbook:
    return playbook_for(subject_of(alarm), deps.config.hub.queues)


def alarm_of(deps: Deps, value: str) -> tuple[EnvName, str] | None:
    """(env, alarm name) from a click's value, or None when it is not one this bot writes."""
    env, _, name = value.partition("|")
    if env not in deps.config.environments or not 0 < len(name) <= MAX_ALARM_NAME:
        return None
    if not name.isprintable():
        return None
    return env, name


async def investigate(incoming: Incoming) -> None:
    deps = incoming.deps
    reads: list[str] = []

    async def start() -> Message:
        named = alarm_of(deps, incoming.value(2000))  # Slack: a value is at most 2000
        if named is None:
            return render_not_this_button()
        alarm = await alarms.find_alarm(deps.backends, *named)
        if alarm is None:
            return render_alarm_gone(*named)
        reads.extend(playbook_of(deps, alarm).reads)
        return render_investigation(alarm, reads)

    await incoming.reply.privately(await answer(deps, start, incoming.correlation_id))
    for line in reads:  # each read's answer arrives as the typed command's would
        typed = replace(Typed.of(incoming, line), trigger_id="")
        await run_slash(deps, typed, TABLE, incoming.reply)


def register(app: AsyncApp) -> None:
    listener = ack_then(investigate, name=lambda _: "alarm investigate")
    app.action(action_pattern(ALARM_INVESTIGATE_ACTION))(listener)
