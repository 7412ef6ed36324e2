"""CloudWatch alarms that need a look (ALARM, INSUFFICIENT_DATA), in every env's account at once."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import Problem, UserError
from ops.fanout import Failed, gather_parts, split_parts
from ops.waiting_metric import planned_alarm_names

STATES = ("ALARM", "INSUFFICIENT_DATA")
ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]
PAGE_SIZE = 100
MAX_PAGES = 5  # per state and account: 500 alarms is far beyond a sane account
RUNBOOK_ALARMS = "AWS int cloudwatch (runbook alarms)"  # a name


@dataclass(frozen=True)
class Alarm:
    env: EnvName
    name: str
    state: str  # ALARM | INSUFFICIENT_DATA
    reason: str
    since: datetime | None  # when it entered this state (StateUpdatedTimestamp)
    description: str
    metric: str  # "Namespace/MetricName", "composite", or "" for metric-math alarms
    dimensions: tuple[tuple[str, str], ...] = ()  # the metric's (name, value) pairs

    @property
    def metric_parts(self) -> tuple[str, str]:
        """(namespace, metric name); namespaces may hold a slash (`AWS/SQS`), names do not."""
        if self.metric in ("", "composite"):
            return "", ""
        namespace, _, name = self.metric.rpartition("/")
        return namespace, name


@dataclass(frozen=True)
class AlarmReport:
    envs: tuple[EnvName, ...]
    checked_at: datetime
    alarms: tuple[Alarm, ...]  # ALARM first, then INSUFFICIENT_DATA; newest change first
    failures: tuple[Failed, ...]  # accounts that did not answer
    truncated: tuple[EnvName, ...] = ()  # accounts with more alarms than were read
    missing: tuple[str, ...] = ()  # runbook alarms (`rtb-bot alarms plan`) not defined in int


def configured_envs(backends: Backends, env: EnvName | None) -> tuple[EnvName, ...]:
    """The env asked for, or every configured env; an unconfigured env is the user's mistake."""
    environments = backends.config.environments
    if env is None:
        return tuple(environments)
    if env not in environments:
        raise UserError(Problem.ENV_NOT_CONFIGURED, env=env, known=tuple(environments))
    return (env,)


async def active_alarms(
    backends: Backends, envs: Sequence[EnvName], *, now: datetime | None = None
) -> AlarmReport:
    """Alarms that need a look; with int among `envs`, also the runbook alarms missing there."""
    calls: dict[str, Awaitable[Any]] = {
        f"AWS {env} cloudwatch": _env_alarms(backends, env) for env in envs
    }
    if "int" in envs:
        calls[RUNBOOK_ALARMS] = missing_runbook_alarms(backends)
    parts = await gather_parts(calls, backends.config.timeouts.fanout_seconds)
    planned = parts.pop(RUNBOOK_ALARMS, None)
    answered, failures = split_parts(envs, parts)
    if planned is not None and planned.failure is not None:
        failures.append(planned.failure)
    found = [alarm for _, (alarms, _) in answered for alarm in alarms]
    truncated = [env for env, (_, complete) in answered if not complete]
    return AlarmReport(
        envs=tuple(envs),
        checked_at=now or datetime.now(UTC),
        alarms=tuple(sorted_alarms(found)),
        failures=tuple(failures),
        truncated=tuple(truncated),
        missing=tuple(planned.value or ()) if planned is not None else (),
    )


async def missing_runbook_alarms(backends: Backends) -> list[str]:
    """The runbook's alarms for the configured queues (`ops.waiting_metric.planned_alarms`)
    that the int account does not define, in the plan's order."""
    names = list(planned_alarm_names(backends.config))
    if not names:
        return []
    timeout = backends.config.timeouts.backend_seconds
    client = await backends.blocking.run(
        RUNBOOK_ALARMS, timeout, backends.aws.client, "int", "cloudwatch"
    )
    page = await backends.blocking.run(
        RUNBOOK_ALARMS, timeout, client.describe_alarms, AlarmNames=names, MaxRecords=PAGE_SIZE
    )
    found = {str(raw.get("AlarmName")) for raw in page.get("MetricAlarms", [])}
    return [name for name in names if name not in found]


async def find_alarm(backends: Backends, env: EnvName, name: str) -> Alarm | None:
    """One alarm as CloudWatch has it now (any state), or None when `env` has no such alarm."""
    source, timeout = f"AWS {env} cloudwatch", backends.config.timeouts.backend_seconds
    client = await backends.blocking.run(source, timeout, backends.aws.client, env, "cloudwatch")
    page = await backends.blocking.run(
        source, timeout, client.describe_alarms, AlarmNames=[name], AlarmTypes=ALARM_TYPES
    )
    return next(iter(parse_alarms(env, page)), None)


def sorted_alarms(alarms: Iterable[Alarm]) -> list[Alarm]:
    """ALARM before INSUFFICIENT_DATA; within a state the newest state change first."""
    oldest = datetime.min.replace(tzinfo=UTC)
    by_time = sorted(alarms, key=lambda a: a.since or oldest, reverse=True)
    return sorted(by_time, key=lambda a: STATES.index(a.state) if a.state in STATES else 99)


async def _env_alarms(backends: Backends, env: EnvName) -> tuple[list[Alarm], bool]:
    """(alarms, complete) of one account: every state in STATES, page by page."""
    name, timeout = f"AWS {env} cloudwatch", backends.config.timeouts.backend_seconds
    client = await backends.blocking.run(name, timeout, backends.aws.client, env, "cloudwatch")
    alarms: list[Alarm] = []
    complete = True
    for state in STATES:
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = await backends.blocking.run(
                name, timeout, client.describe_alarms, **_page_args(state, token)
            )
            alarms.extend(parse_alarms(env, page))
            token = page.get("NextToken")
            if not token:
                break
        complete = complete and not token
    return alarms, complete


def _page_args(state: str, token: str | None) -> dict[str, Any]:
    args: dict[str, Any] = {
        "StateValue": state,
        "AlarmTypes": ALARM_TYPES,
        "MaxRecords": PAGE_SIZE,
    }
    if token:
        args["NextToken"] = token
    return args


def parse_alarms(env: EnvName, page: dict[str, Any]) -> list[Alarm]:
    """Metric and composite alarms of one DescribeAlarms answer."""
    alarms = [_alarm(env, raw, _metric(raw)) for raw in page.get("MetricAlarms", [])]
    alarms += [_alarm(env, raw, "composite") for raw in page.get("CompositeAlarms", [])]
    return alarms


def _alarm(env: EnvName, raw: dict[str, Any], metric: str) -> Alarm:
    since = raw.get("StateUpdatedTimestamp")
    return Alarm(
        env=env,
        name=str(raw.get("AlarmName", "?")),
        state=str(raw.get("StateValue", "?")),
        reason=str(raw.get("StateReason", "")),
        since=since.astimezone(UTC) if isinstance(since, datetime) else None,
        description=str(raw.get("AlarmDescription") or ""),
        metric=metric,
        dimensions=tuple(
            (str(d.get("Name", "")), str(d.get("Value", ""))) for d in raw.get("Dimensions") or ()
        ),
    )


def _metric(raw: dict[str, Any]) -> str:
    if raw.get("MetricName"):
        return f"{raw.get('Namespace', '')}/{raw['MetricName']}"
    return ""
