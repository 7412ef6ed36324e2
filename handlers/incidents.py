"""`/rtb incidents`, `/rtb incident <id> [export | resolve <note>]`: the incident record.

`export` answers with the post-mortem draft as a Markdown file (runbook §5.1 step 5): the
timeline and the CloudTrail write calls in the incident's env from an hour before it opened to
its end. The draft is rebuilt from the stored record each time, so an upload Slack refused loses
nothing: run it again. Each export is itself a timeline event (who drafted it, when).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.context import CommandCall
from handlers.incident_records import find_incident, record, resolve, store_of
from handlers.render.i18n import N_
from handlers.render.incident_replies import (
    render_postmortem_exported,
    render_resolved,
    takes_nothing_after,
    trail_not_configured,
)
from handlers.render.incident_timeline import (
    EXPORTED,
    MAX_NOTE,
    render_incident,
    render_incident_list,
)
from handlers.render.message import Message
from handlers.render.postmortem import (
    TrailWindow,
    postmortem_filename,
    render_postmortem,
    window_of,
)
from handlers.spec import Arg, Command, choice, text_arg
from ops import cloudtrail
from ops.config import EnvName
from ops.errors import BackendError, UserError
from ops.incidents import Incident

GROUP = "Incidents"
LISTED = 20
# stored with the event and shown as is in every language (the timeline has no "exported" kind)
TRAIL_MARGIN = timedelta(hours=1)  # a change just before the alarm is the usual suspect
USAGE = "/rtb incident <id> [export | resolve <note>]"  # a name: a command line


async def run_incidents(call: CommandCall) -> Message:
    """Open incidents first, then the newest resolved ones."""
    incidents = await store_of(call.deps).list_recent(LISTED)
    tz = ZoneInfo(call.deps.config.timezone)
    return render_incident_list(incidents, datetime.now(UTC), tz)


async def run_incident(call: CommandCall) -> Message:
    deps, values = call.deps, call.values
    what, note = values["what"], values["note"]
    if what != "resolve" and note:
        raise UserError(takes_nothing_after(what), usage=USAGE)
    incident = await find_incident(deps, values["id"], usage=USAGE)
    if what == "export":
        return await export(call, incident)
    if what == "resolve":
        answer = await resolve(deps, incident.id, call.user_id, note or "")
        return answer if answer.text else render_resolved(incident.id)
    events = await store_of(deps).events(incident.id)
    tz = ZoneInfo(deps.config.timezone)
    return render_incident(incident, events, datetime.now(UTC), tz)


async def export(call: CommandCall, incident: Incident) -> Message:
    deps = call.deps
    now = datetime.now(UTC)
    async with deps.tasks.slot():  # CloudTrail pages: heavy, takes its turn
        trail = await write_calls(call, incident, now)
    events = await store_of(deps).events(incident.id)
    markdown = render_postmortem(incident, events, trail, now, ZoneInfo(deps.config.timezone))
    event = await store_of(deps).add_event(incident.id, "note", call.user_id, dict(EXPORTED))
    await record(deps, incident, event)
    answer = render_postmortem_exported(incident.id, len(events))
    return replace(answer, files=((postmortem_filename(incident), markdown),))


async def write_calls(call: CommandCall, incident: Incident, now: datetime) -> TrailWindow:
    start, end = window_of(incident, now, TRAIL_MARGIN)
    env = incident.env
    if env not in ("int", "stg", "prd") or env not in call.deps.config.environments:
        return TrailWindow(start, end, (), False, unread=trail_not_configured())
    envname: EnvName = env
    try:
        found, complete = await cloudtrail.write_events(call.deps.backends, envname, start, end)
    except BackendError as exc:
        return TrailWindow(start, end, (), False, unread=f"{exc.backend}: {exc.reason}")
    return TrailWindow(start, end, tuple(found), complete)


COMMANDS = (
    Command(
        "incidents",
        N_("Incidents from CloudWatch alarms: the open ones, then the newest resolved."),
        run_incidents,
        group=GROUP,
        light=True,
        examples=("/rtb incidents",),  # a name
    ),
    Command(
        "incident",
        N_(
            "One incident and its timeline; `export` drafts its post-mortem (timeline + CloudTrail "
            "write calls); `resolve` closes it with a note (operators, leads)."
        ),
        run_incident,
        args=(
            Arg("id", N_("the incident's id, e.g. INC-0042"), text_arg(60)),
            Arg(
                "what",
                N_("show (default), export or resolve"),
                choice("show", "export", "resolve"),
                optional=True,
                default="show",
            ),
            Arg(
                "note",
                N_("for resolve: what happened"),
                text_arg(MAX_NOTE),
                optional=True,
                rest=True,
            ),
        ),
        group=GROUP,
        examples=(
            "/rtb incident INC-0042",  # a name
            "/rtb incident INC-0042 export",  # a name
            '/rtb incident INC-0042 resolve "rolled back; backlog drained"',  # a name
        ),
    ),
)
