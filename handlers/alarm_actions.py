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

import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers.context import Deps
from handlers.incident_playbooks import AlarmSubject, Playbook, playbook_for
from handlers.listeners import ack_then, action_pattern
from handlers.render.answer_buttons import (
    ALARM_INVESTIGATE_ACTION,
    render_alarm_gone,
    render_investigation,
    render_not_this_button,
)
from handlers.render.message import Message
from handlers.replies import reply_privately
from handlers.slash import answer, run_slash
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


def alarm_of(deps: Deps, body: dict[str, Any]) -> tuple[EnvName, str] | None:
    """(env, alarm name) from a click, or None when the value is not one this bot writes."""
    value = str(((body.get("actions") or [{}])[0]).get("value", ""))
    env, _, name = value.partition("|")
    if env not in deps.config.environments or not 0 < len(name) <= MAX_ALARM_NAME:
        return None
    if not name.isprintable():
        return None
    return env, name


async def investigate(
    deps: Deps, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
) -> None:
    user = str((body.get("user") or {}).get("id", ""))
    channel = str((body.get("channel") or {}).get("id", ""))
    reads: list[str] = []

    async def start() -> Message:
        named = alarm_of(deps, body)
        if named is None:
            return render_not_this_button()
        alarm = await alarms.find_alarm(deps.backends, *named)
        if alarm is None:
            return render_alarm_gone(*named)
        reads.extend(playbook_of(deps, alarm).reads)
        return render_investigation(alarm, reads)

    await reply_privately(
        respond, client, channel, user, await answer(deps, start, uuid.uuid4().hex[:12])
    )
    for line in reads:  # each read's answer arrives as the typed command's would
        as_typed = {"text": line, "user_id": user, "channel_id": channel, "trigger_id": ""}
        await run_slash(deps, as_typed, TABLE, respond, client)


def register(app: AsyncApp) -> None:
    listener = ack_then(investigate, name=lambda _: "alarm investigate")
    app.action(action_pattern(ALARM_INVESTIGATE_ACTION))(listener)
