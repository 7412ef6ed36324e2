"""Cross-account AssumeRole audit (runbook §6.2): CloudTrail in each env whose role the bot
assumes (stg, prd: `rtb-hub-deployer`), this week against the week before.

The role's own account records every AssumeRole into it, the caller's too (a caller from
another account appears as its account and role id). Who assumed it, how often, failures by
error code, and each caller or SourceIdentity that did not appear the week before — flagged.
A caller is its role, not its session (`assumed-role/rtb-hub-sa/botocore-session-1712…` is
`rtb-hub-sa` every time). Each (env, week) reads at most MAX_EVENTS records, newest first;
the report names the ones the cap cut short, since a cut week before would flag callers that
were there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from ops.backends.container import Backends
from ops.cloudtrail import TrailEvent, env_events
from ops.config import EnvName
from ops.errors import Details, Symptom
from ops.fanout import Failed, Part, gather_parts
from ops.weekly.window import Week, inner_seconds

NO_ANSWER = Details(Symptom.NO_ANSWER)
# Which of the two weeks a read covers (the renderer words it: "prd this week")
WeekRead = Literal["current", "previous"]

MAX_EVENTS = 1000  # per env and week: 20 pages at CloudTrail's 2 lookups a second
EVENT = "AssumeRole"
_SESSION_ARN = re.compile(r"^(arn:aws:sts::\d{12}:assumed-role/[^/]+)/.+$")
_ROLE_ID_SESSION = re.compile(r"^(\d{12}:AROA[A-Z0-9]+):.+$")


@dataclass(frozen=True)
class Caller:
    principal: str  # the caller's role (or user) ARN, or `<account>:<role id>`
    source_identity: str  # "" when the call carried none
    envs: tuple[EnvName, ...]
    calls: int
    failed: int
    last: datetime
    new_principal: bool  # not seen the week before
    new_source_identity: bool  # a SourceIdentity not seen the week before

    @property
    def flagged(self) -> bool:
        return self.new_principal or self.new_source_identity


@dataclass(frozen=True)
class AssumeRoleAudit:
    week: Week
    roles: tuple[tuple[EnvName, str], ...]  # (env, role ARN) audited
    callers: tuple[Caller, ...]  # flagged first, then most calls
    calls: int
    failed: int
    errors: tuple[tuple[str, int], ...]  # (error code, count), most first
    capped: tuple[tuple[EnvName, WeekRead], ...]  # the reads MAX_EVENTS cut short
    failures: tuple[Failed, ...]  # (env, week) reads that did not answer
    baseline_known: bool  # the week before was read in every env (else nothing is flagged)


def caller_of(event: TrailEvent) -> str:
    """The caller without its session name."""
    for shape in (_SESSION_ARN, _ROLE_ID_SESSION):
        match = shape.match(event.principal)
        if match:
            return match[1]
    return event.principal


async def assume_role_audit(backends: Backends, week: Week) -> AssumeRoleAudit:
    roles = audited_roles(backends)
    weeks: dict[WeekRead, Week] = {"current": week, "previous": week.previous}
    zone = ZoneInfo(backends.config.timezone)
    keys = [(env, which) for env, _ in roles for which in weeks]
    parts = await gather_parts(
        {
            _part_name(env, weeks[which], zone): _role_events(backends, env, role, weeks[which])
            for (env, role) in roles
            for which in weeks
        },
        inner_seconds(backends.config),
    )
    return audit_from(week, roles, dict(zip(keys, parts.values(), strict=True)))


def _part_name(env: EnvName, week: Week, zone: ZoneInfo) -> str:
    """What a read that did not answer is called: the env and the week's first day, the same
    in every language ("AWS prd cloudtrail (2026-02-16)")."""
    return f"AWS {env} cloudtrail ({week.start.astimezone(zone):%Y-%m-%d})"


def audited_roles(backends: Backends) -> tuple[tuple[EnvName, str], ...]:
    """Every env reached through a role (stg, prd): the role the bot itself assumes there."""
    return tuple(
        (env, settings.role_arn)
        for env, settings in backends.config.environments.items()
        if settings.role_arn is not None and env != "int"
    )


async def _role_events(
    backends: Backends, env: EnvName, role: str, week: Week
) -> tuple[list[TrailEvent], bool]:
    events, complete = await env_events(backends, env, EVENT, week.start, week.end, cap=MAX_EVENTS)
    return [e for e in events if e.target_role == role], complete


def audit_from(
    week: Week,
    roles: Sequence[tuple[EnvName, str]],
    parts: dict[tuple[EnvName, WeekRead], Part[tuple[list[TrailEvent], bool]]],
) -> AssumeRoleAudit:
    """Pure: the audit from each (env, this week | the week before) read."""
    current: list[TrailEvent] = []
    before: list[TrailEvent] = []
    capped: list[tuple[EnvName, WeekRead]] = []
    failures: list[Failed] = []
    for (env, which), part in parts.items():
        if part.failure is not None or part.value is None:
            failures.append(part.failure or Failed(env, "no answer", NO_ANSWER))  # internal
            continue
        events, complete = part.value
        (current if which == "current" else before).extend(events)
        if not complete:
            capped.append((env, which))
    baseline_known = all(p.ok for (_, which), p in parts.items() if which == "previous")
    callers = _callers(current, before, baseline_known)
    errors = Counter(e.error_code for e in current if e.failed)
    return AssumeRoleAudit(
        week=week,
        roles=tuple(roles),
        callers=callers,
        calls=len(current),
        failed=sum(1 for e in current if e.failed),
        errors=tuple(sorted(errors.items(), key=lambda item: (-item[1], item[0]))),
        capped=tuple(capped),
        failures=tuple(failures),
        baseline_known=baseline_known,
    )


def _callers(
    current: Sequence[TrailEvent], before: Sequence[TrailEvent], baseline_known: bool
) -> tuple[Caller, ...]:
    known_principals = {caller_of(e) for e in before}
    known_identities = {e.source_identity for e in before if e.source_identity}
    groups: dict[tuple[str, str], list[TrailEvent]] = {}
    for event in current:
        groups.setdefault((caller_of(event), event.source_identity), []).append(event)
    callers = [
        Caller(
            principal=principal,
            source_identity=identity,
            envs=tuple(sorted({e.env for e in events})),
            calls=len(events),
            failed=sum(1 for e in events if e.failed),
            last=max(e.time for e in events),
            new_principal=baseline_known and principal not in known_principals,
            new_source_identity=baseline_known
            and bool(identity)
            and identity not in known_identities,
        )
        for (principal, identity), events in groups.items()
    ]
    callers.sort(key=lambda c: (c.principal, c.source_identity))
    callers.sort(key=lambda c: (not c.flagged, -c.calls))
    return tuple(callers)
