"""Buttons where the next step is obvious, on command answers (as Botkube offers them):
`/rtb queue X` → Pause (Resume when paused) and Retry failed; an OOMKilled pod in `/rtb pods` or
`/rtb previews` → Logs (previous); an alarm in ALARM in `/rtb alarms` → Investigate.

A command button's value is the `/rtb` command line it runs (without `/rtb`): when clicked it
is parsed through the command table as if the clicker had typed it (handlers.command_buttons),
so the button needs nothing else and can do nothing a typed line could not. The Investigate
button's value is `<env>|<alarm name>`: the alarm is read again when clicked
(handlers.alarm_actions). Values stay far below Slack's 2,000 characters: queue names are at
most 100, Kubernetes names 253, alarm names 255.

Several buttons of one kind in one message get `.1`, `.2`, … after their action id (Slack wants
action ids unique in a message); the handlers take the base id with or without it.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from handlers.render.command_lines import logs_command
from handlers.render.i18n import _
from handlers.render.i18n import number as grouped
from handlers.render.message import Message, button, buttons, clip, context, escape, section
from ops.alarms import Alarm
from ops.pods import PodList, PodSummary
from ops.previews import Preview
from ops.queues import QueueCounts

QUEUE_PAUSE_ACTION = "answer.queue_pause"
QUEUE_RESUME_ACTION = "answer.queue_resume"
QUEUE_RETRY_ACTION = "answer.queue_retry_failed"
POD_LOGS_ACTION = "answer.pod_logs_previous"
ALARM_INVESTIGATE_ACTION = "answer.alarm_investigate"
MAX_POD_BUTTONS = 5  # the loudest pods; more OOMKilled pods than this is a different incident
LABEL_CHARS = 75  # Slack's limit for a button's text


def numbered(action: str, number: int) -> str:
    return f"{action}.{number}"


# -- /rtb queue -------------------------------------------------------------------------------


def queue_buttons(q: QueueCounts) -> ActionsBlock:
    """Pause a running queue or Resume a paused one; Retry failed when some failed."""
    if q.paused or q.paused_list:
        line = f"queue resume {q.name}"  # internal: the command line the click runs
        toggle = button(_("Resume"), QUEUE_RESUME_ACTION, line, "primary")
    else:
        line = f"queue pause {q.name}"  # internal: the command line the click runs
        toggle = button(_("Pause"), QUEUE_PAUSE_ACTION, line, "danger")
    items = [toggle]
    if q.failed:
        # all of them at the click, not this many
        label = _("Retry all failed ({count} now)", count=grouped(q.failed))
        line = f"queue retry-failed {q.name}"  # internal: the command line the click runs
        items.append(button(label, QUEUE_RETRY_ACTION, line))
    return buttons(*items)


# -- /rtb pods, /rtb previews ----------------------------------------------------------------

KilledPod = tuple[str, str, PodSummary]  # env, namespace, pod


def oom_log_buttons(pods: PodList) -> list[Block]:
    """Logs (previous) of each OOMKilled pod's killed container: what it wrote before it died."""
    return killed_pod_buttons([(pods.env, pods.namespace, p) for p in pods.pods], pods.env)


def preview_oom_log_buttons(previews: Sequence[Preview]) -> list[Block]:
    """The same for the previews' OOMKilled pods (`/rtb previews` names them)."""
    killed = [(p.env, p.namespace, pod) for p in previews for pod in p.pods]
    return killed_pod_buttons(killed, "<env>")


def killed_pod_buttons(pods: Sequence[KilledPod], env_hint: str) -> list[Block]:
    killed = [(e, ns, p) for e, ns, p in pods if p.oom_killed and p.last_termination is not None]
    items: list[ButtonElement] = []
    for number, (env, namespace, pod) in enumerate(killed[:MAX_POD_BUTTONS], start=1):
        assert pod.last_termination is not None
        line = logs_command(env, namespace, pod.name, pod.last_termination.container)
        label = clip(_("Logs (previous): {pod}", pod=pod.name), LABEL_CHARS)
        items.append(button(label, numbered(POD_LOGS_ACTION, number), line))
    if not items:
        return []
    blocks: list[Block] = [buttons(*items)]
    if len(killed) > MAX_POD_BUTTONS:
        more = len(killed) - MAX_POD_BUTTONS
        hint = _(
            "{more} more OOMKilled: `/rtb logs {env} <pod> --previous`", more=more, env=env_hint
        )
        blocks.append(context(hint))
    return blocks


# -- /rtb alarms ------------------------------------------------------------------------------


def investigate_value(alarm: Alarm) -> str:
    return f"{alarm.env}|{alarm.name}"


def alarm_section(text: str, alarm: Alarm, number: int) -> SectionBlock:
    """The alarm's section; one in ALARM carries an Investigate button."""
    block = section(text)
    if alarm.state == "ALARM":
        action = numbered(ALARM_INVESTIGATE_ACTION, number)
        block.accessory = button(_("Investigate"), action, investigate_value(alarm))
    return block


def render_investigation(alarm: Alarm, reads: Sequence[str]) -> Message:
    """The first answer to Investigate: what runs (each read's answer follows, as if typed);
    an alarm that left ALARM since the list was shown is said to have, and investigated anyway
    (it may flap back, and the reads change nothing)."""
    lines = ", ".join(f"`/rtb {line}`" for line in reads)
    name = f"`{escape(alarm.name)}` ({alarm.env})"
    if alarm.state == "ALARM":
        text = _(
            ":mag: Investigating {alarm}: running {lines}. The answers follow here.",
            alarm=name,
            lines=lines,
        )
    else:
        text = _(
            ":mag: {alarm} is {state} now, no longer in ALARM; running its playbook anyway: "
            "{lines}. The answers follow here.",
            alarm=name,
            state=alarm.state,
            lines=lines,
        )
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_alarm_gone(env: str, name: str) -> Message:
    text = _(
        "There is no alarm `{name}` in {env} any more (deleted or renamed): nothing to "
        "investigate. `/rtb alarms` shows the current ones.",
        name=escape(clip(name, 120)),
        env=env,
    )
    return Message(text=text, blocks=(section(text),), ephemeral=True)


# -- clicks the handlers refuse ----------------------------------------------------------------


def render_not_this_button() -> Message:
    """A value that is not the command its button stands for (forged, or from an old bot)."""
    text = _("That button does not run what it is for: nothing was run. Type the command instead.")
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_click_in_flight(line: str) -> Message:
    text = _(
        "`/rtb {line}` is already running from a click a moment ago: this click ran nothing. "
        "Its answer goes to whoever clicked first.",
        line=escape(clip(line, 200)),
    )
    return Message(text=text, blocks=(section(text),), ephemeral=True)
