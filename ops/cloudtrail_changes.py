"""`/rtb trail <env> --changes`: what was changed through the deployer role (runbook §5.1 step 5).

The bot reaches stg and prd as `rtb-hub-deployer` (AssumeRole with SourceIdentity = the Slack
user who asked, ops.backends.aws), and the hub does too for its previews (without one). A
post-mortem asks which of those sessions changed something in the window: CloudTrail's write
calls (LookupEvents `ReadOnly=false`, `cloudtrail.write_events`) whose caller is a session of
the env's deployer role. CloudTrail holds AWS API calls only: a Kubernetes change made with the
deployer's EKS token is in the cluster's audit log, and every change the bot made is also in
`/rtb audit`.

LookupEvents filters on one attribute only, so the write calls of every caller are read and the
deployer's picked out: at most `cloudtrail.MAX_EVENTS` per account, newest first. When that cap
is reached before the window's start, the report says how far back the account was really read
(the real window), never a window it did not read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ops.backends.container import Backends
from ops.cloudtrail import TrailEvent, write_events
from ops.config import Config, EnvName
from ops.fanout import Failed, gather_parts, split_parts

DEFAULT_DEPLOYER = "rtb-hub-deployer"  # an env reached with the bot's own credentials (int)
_ASSUMED_ROLE = re.compile(r"^arn:aws[a-z-]*:sts::\d{12}:assumed-role/([^/]+)/(.+)$")
_APPROVED_BY = re.compile(r"\.by\.([A-Za-z0-9]+)$")  # ops.backends.aws.Actor.session_name


@dataclass(frozen=True)
class DeployerWrite:
    """One write call made by a deployer session."""

    event: TrailEvent
    session: str  # the role session's name: rtb-bot.U0123 (the bot), rtb-hub.preview-… (hub)

    @property
    def approver(self) -> str:
        """The lead who approved the change ("" when none): the bot names them in the session
        of an approved change (`rtb-bot.<requester>.by.<approver>`)."""
        match = _APPROVED_BY.search(self.session) if self.session.startswith("rtb-bot.") else None
        return match[1] if match else ""


@dataclass(frozen=True)
class ReadBack:
    """An account whose newest write calls filled the cap before the window's start."""

    env: EnvName
    oldest: datetime  # the oldest call read: the account was read back to here only


@dataclass(frozen=True)
class ChangesReport:
    envs: tuple[EnvName, ...]
    start: datetime  # the window asked for
    end: datetime
    errors_only: bool
    changes: tuple[DeployerWrite, ...]  # newest first (failed only when errors_only)
    found: int  # deployer write calls found, failed or not
    read: int  # write calls read in all accounts, whoever made them
    capped: tuple[ReadBack, ...]
    failures: tuple[Failed, ...]  # accounts that did not answer


def deployer_role(config: Config, env: EnvName) -> str:
    """The name of the role the bot assumes in `env` (its role_arn's last part)."""
    role_arn = config.environments[env].role_arn
    return role_arn.rsplit("/", 1)[-1] if role_arn else DEFAULT_DEPLOYER


def deployer_session(event: TrailEvent, role: str) -> str | None:
    """The session name when `event`'s caller is a session of `role`, else None."""
    match = _ASSUMED_ROLE.match(event.principal)
    return match[2] if match and match[1] == role else None


async def deployer_changes(
    backends: Backends,
    envs: Sequence[EnvName],
    *,
    since: timedelta,
    errors_only: bool = False,
    now: datetime | None = None,
) -> ChangesReport:
    """Every env's write calls in the window at once; the deployer's, newest first."""
    end = now or datetime.now(UTC)
    start = end - since
    parts = await gather_parts(
        {f"AWS {env} cloudtrail": write_events(backends, env, start, end) for env in envs},
        backends.config.timeouts.fanout_seconds,
    )
    answered, failures = split_parts(envs, parts)
    found: list[DeployerWrite] = []
    capped: list[ReadBack] = []
    read = 0
    for env, (events, complete) in answered:
        found += _deployer_writes(events, deployer_role(backends.config, env))
        read += len(events)
        if not complete and events:
            capped.append(ReadBack(env, min(e.time for e in events)))
    found.sort(key=lambda w: w.event.time, reverse=True)
    shown = [w for w in found if w.event.failed] if errors_only else found
    return ChangesReport(
        envs=tuple(envs),
        start=start,
        end=end,
        errors_only=errors_only,
        changes=tuple(shown),
        found=len(found),
        read=read,
        capped=tuple(capped),
        failures=tuple(failures),
    )


def _deployer_writes(events: Sequence[TrailEvent], role: str) -> list[DeployerWrite]:
    writes = []
    for event in events:
        session = deployer_session(event, role)
        if session is not None:
            writes.append(DeployerWrite(event, session))
    return writes
