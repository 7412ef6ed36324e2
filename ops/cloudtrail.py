"""CloudTrail lookups: who assumed which role, and which calls failed (runbook §5.3, §6.2).

`lookup_events` can filter on one attribute (here the event name) and a time range only, so
errors are picked out of the returned records; at most MAX_EVENTS records are read per account
(newest first), and the report says when that cap cut the window short.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import Invalid, Problem
from ops.fanout import Failed, gather_parts, split_parts

MAX_EVENTS = 200
PAGE_SIZE = 50  # the API's maximum
_EVENT_NAME = re.compile(r"^[A-Za-z0-9]{1,128}$")
_NO_TIME = datetime.min.replace(tzinfo=UTC)


def event_name(text: str) -> str:
    """A CloudTrail event name (AssumeRole, UpdateDeployment …): letters and digits only."""
    if not _EVENT_NAME.match(text):
        raise Invalid(Problem.EVENT_NAME_SHAPE)
    return text


@dataclass(frozen=True)
class TrailEvent:
    env: EnvName
    time: datetime
    name: str
    source: str  # eventSource, e.g. sts.amazonaws.com
    error_code: str  # "" when the call succeeded
    error_message: str
    source_ip: str
    principal: str  # userIdentity.arn: who called
    source_identity: str  # the Slack user behind a bot session (SourceIdentity)
    target_role: str  # AssumeRole: the role asked for (requestParameters.roleArn)
    session_name: str  # AssumeRole: requestParameters.roleSessionName
    resources: tuple[str, ...] = ()  # what the call acted on (LookupEvents' ResourceName)

    @property
    def failed(self) -> bool:
        return bool(self.error_code)


@dataclass(frozen=True)
class TrailReport:
    envs: tuple[EnvName, ...]
    event: str
    since: timedelta
    errors_only: bool
    checked_at: datetime
    events: tuple[TrailEvent, ...]  # failed first, then the rest; each newest first
    read: int  # records read, in all accounts
    failed: int  # of which failed
    capped: tuple[EnvName, ...]  # accounts where MAX_EVENTS cut the window short
    failures: tuple[Failed, ...]  # accounts that did not answer


async def lookup(
    backends: Backends,
    envs: Sequence[EnvName],
    *,
    event: str,
    since: timedelta,
    errors_only: bool = False,
    now: datetime | None = None,
) -> TrailReport:
    end = now or datetime.now(UTC)
    event = event_name(event)
    parts = await gather_parts(
        {
            f"AWS {env} cloudtrail": env_events(backends, env, event, end - since, end)
            for env in envs
        },
        backends.config.timeouts.fanout_seconds,
    )
    answered, failures = split_parts(envs, parts)
    events = [event for _, (found, _) in answered for event in found]
    capped = [env for env, (_, complete) in answered if not complete]
    failed = [e for e in events if e.failed]
    shown = failed if errors_only else events
    return TrailReport(
        envs=tuple(envs),
        event=event,
        since=since,
        errors_only=errors_only,
        checked_at=end,
        events=tuple(errors_first(shown)),
        read=len(events),
        failed=len(failed),
        capped=tuple(capped),
        failures=tuple(failures),
    )


def errors_first(events: Sequence[TrailEvent]) -> list[TrailEvent]:
    newest_first = sorted(events, key=lambda e: e.time, reverse=True)
    return sorted(newest_first, key=lambda e: not e.failed)


async def env_events(
    backends: Backends,
    env: EnvName,
    event: str,
    start: datetime,
    end: datetime,
    *,
    cap: int = MAX_EVENTS,
    attribute: str = "EventName",
) -> tuple[list[TrailEvent], bool]:
    """(events, complete): at most `cap` of one account (newest first), page by page, whose
    `attribute` (EventName by default; ReadOnly for the write calls) is `event`."""
    name, timeout = f"AWS {env} cloudtrail", backends.config.timeouts.backend_seconds
    client = await backends.blocking.run(name, timeout, backends.aws.client, env, "cloudtrail")
    args: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": attribute, "AttributeValue": event}],
        "StartTime": start,
        "EndTime": end,
    }
    events: list[TrailEvent] = []
    token: str | None = None
    while len(events) < cap:
        size = min(PAGE_SIZE, cap - len(events))
        page_args = {**args, "MaxResults": size, **({"NextToken": token} if token else {})}
        page = await backends.blocking.run(name, timeout, client.lookup_events, **page_args)
        events.extend(parse_event(env, raw) for raw in page.get("Events", []))
        token = page.get("NextToken")
        if not token:
            return events, True
    return events, False


async def write_events(
    backends: Backends, env: EnvName, start: datetime, end: datetime, *, cap: int = MAX_EVENTS
) -> tuple[list[TrailEvent], bool]:
    """The calls that changed something in `env`'s account in the window (a post-mortem's
    change history, runbook §5.1 step 5), newest first, at most `cap`."""
    return await env_events(backends, env, "false", start, end, cap=cap, attribute="ReadOnly")


def parse_event(env: EnvName, raw: dict[str, Any]) -> TrailEvent:
    """One LookupEvents entry; the details come from its CloudTrailEvent JSON."""
    record = _record(raw.get("CloudTrailEvent"))
    identity = _dict(record.get("userIdentity"))
    context = _dict(identity.get("sessionContext"))
    request = _dict(record.get("requestParameters"))
    moment = raw.get("EventTime")
    return TrailEvent(
        env=env,
        time=moment.astimezone(UTC) if isinstance(moment, datetime) else _NO_TIME,
        name=str(raw.get("EventName") or record.get("eventName") or "?"),
        source=str(raw.get("EventSource") or record.get("eventSource") or ""),
        error_code=str(record.get("errorCode") or ""),
        error_message=str(record.get("errorMessage") or ""),
        source_ip=str(record.get("sourceIPAddress") or ""),
        principal=str(
            identity.get("arn") or _account_principal(identity) or raw.get("Username") or ""
        ),
        source_identity=str(context.get("sourceIdentity") or request.get("sourceIdentity") or ""),
        target_role=str(request.get("roleArn") or ""),
        session_name=str(request.get("roleSessionName") or ""),
        resources=_resource_names(raw.get("Resources")),
    )


def _resource_names(listed: Any) -> tuple[str, ...]:
    entries = listed if isinstance(listed, list) else []
    names = (str(_dict(entry).get("ResourceName") or "") for entry in entries)
    return tuple(name for name in names if name)


def _account_principal(identity: dict[str, Any]) -> str:
    """A caller from another account, as the role's own account records it: no ARN, only
    `{"type": "AWSAccount", "accountId": …, "principalId": "AROA…:session"}`."""
    principal = str(identity.get("principalId") or "")
    account = str(identity.get("accountId") or "")
    return f"{account}:{principal}" if account and principal else principal


def _record(text: Any) -> dict[str, Any]:
    try:
        return _dict(json.loads(text)) if isinstance(text, str) else {}
    except ValueError:
        return {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
