"""`/rtb diagnose`: the three runbook §5.3 playbooks, each as one answer.

A playbook asks every source it needs at once (`gather_parts`), turns what came back into
checks (what was looked at, what was found, ok / warn / fail / unknown), derives the likely
cause from the checks that failed, and names the next commands to run. A source that does not
answer makes its checks "unknown" with the reason; it never stops the others.

The findings and causes are plain sentences without Slack markup (the renderer adds the
marks and escapes them): a playbook's conclusion is the operation's result here, not a
presentation of numbers, so it is written where the numbers are understood.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ops import cloudtrail, cluster, costs, executions
from ops.backends.container import Backends
from ops.backends.db import Database
from ops.cluster import AccessReview, LogLine, PodSummary, RolloutStatus
from ops.config import Config, EnvName
from ops.errors import UserError
from ops.fanout import Failed, Part, gather_parts
from ops.queues import QueuesOverview, all_queue_counts, bull_queues

CheckState = Literal["ok", "warn", "fail", "unknown"]
Obj = dict[str, Any]

HUB_ENV: EnvName = "int"  # where the hub itself (workflow-engine, its Redis and DB) runs
ENGINE = "workflow-engine"
ENGINE_LOG_LINES = 1000
TRAIL_WINDOW = timedelta(hours=24)
RECENT = timedelta(hours=1)
BASELINE = timedelta(days=7)
SPIKE_RATIO = 3.0  # "a spike": at least this many times the usual rate …
MIN_SPIKE_USD = Decimal(5)  # … and at least this much money in the last hour
MIN_SPIKE_RUNS = 5  # … or this many runs
TODAY_WARN_SHARE = Decimal("0.8")  # AI cost today above 80 % of the threshold: a warning
MAX_CAUSES = 2
MAX_COMMANDS = 4
MAX_LINES_NAMED = 3
PART_MARGIN_SECONDS = 1.0
KEDA_GROUP, KEDA_VERSION, KEDA_PLURAL = "keda.sh", "v1alpha1", "scaledobjects"
KEDA_PAUSED = ("autoscaling.keda.sh/paused-replicas", "autoscaling.keda.sh/paused")
IMAGE_PULL = frozenset({"ImagePullBackOff", "ErrImagePull", "InvalidImageName"})

_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9]{0,19}-[1-9][0-9]{0,8}$")


@dataclass(frozen=True)
class Check:
    """One thing a playbook looked at, and what it found."""

    name: str
    state: CheckState
    finding: str


@dataclass(frozen=True)
class Diagnosis:
    title: str
    checks: tuple[Check, ...]
    likely_cause: str
    next_commands: tuple[str, ...]  # full `/rtb …` commands, most useful first
    checked_at: datetime


def issue_key(text: str) -> str:
    """A Jira issue key (PROJ-123; any case in, upper case out): a command-table parser."""
    key = text.strip().upper()
    if not _ISSUE_KEY.match(key):
        raise ValueError("must be a Jira issue key like PROJ-123")
    return key


def preview_namespace(key: str) -> str:
    """`PROJ-123` → `preview-proj-123` (namespace names are lowercase; the label keeps the key)."""
    return f"preview-{key.lower()}"


# -- collecting checks, causes and next steps -------------------------------------------------


@dataclass
class _Notes:
    """What a playbook found so far; causes are ranked (lower = more likely)."""

    checks: list[Check] = field(default_factory=list)
    causes: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # worth running whatever the cause

    def check(self, name: str, state: CheckState, finding: str) -> None:
        self.checks.append(Check(name, state, finding))

    def unknown(self, name: str, failure: Failed | None) -> None:
        reason = f"{failure.backend}: {failure.reason}" if failure else "no answer"
        self.check(name, "unknown", f"Could not check ({reason}).")

    def cause(self, rank: int, text: str, *commands: str) -> None:
        self.causes.append((rank, text, commands))

    def diagnosis(self, title: str, otherwise: str, *commands: str) -> Diagnosis:
        """`otherwise` (and `commands`) when no cause was found."""
        ranked = sorted(self.causes, key=lambda c: c[0])  # stable: equal ranks keep their order
        texts = [text for _, text, _ in ranked[:MAX_CAUSES]]
        steps = [c for _, _, cs in ranked for c in cs] + self.commands
        if not texts:
            texts, steps = [otherwise], [*commands, *steps]
        return Diagnosis(
            title=title,
            checks=tuple(self.checks),
            likely_cause="; ".join(texts),
            next_commands=tuple(dict.fromkeys(steps))[:MAX_COMMANDS],
            checked_at=datetime.now(UTC),
        )


async def _gather(config: Config, parts: dict[str, Awaitable[Any]]) -> dict[str, Part[Any]]:
    """Every backend call inside a part has its own timeout, and the CloudTrail part is itself
    a fan-out bounded by `fanout_seconds`: the margin lets such an inner bound fire first and
    name the account or the call that was slow."""
    return await gather_parts(parts, config.timeouts.fanout_seconds + PART_MARGIN_SECONDS)


def _envs(names: Sequence[str], last: str = "and") -> str:
    """int · "int and stg" · "int, stg and prd" (`last`: "or" after a negation)."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


def _clock(moment: datetime | None, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M") if moment else "?"


def _usd(amount: Decimal | float) -> str:
    return f"${amount:,.2f}"


def _times(ratio: float) -> str:
    return f"{ratio:.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# == preview: "Preview 환경이 생성되지 않는 경우" ================================================


@dataclass(frozen=True)
class _EnvPreview:
    env: EnvName
    found: bool
    terminating: bool
    pods: tuple[PodSummary, ...]


@dataclass(frozen=True)
class _EngineLines:
    read: int  # lines read from the end of the log
    mentions: tuple[LogLine, ...]  # of which name the issue key, oldest first


async def diagnose_preview(backends: Backends, key: str) -> Diagnosis:
    """Why a preview was not created: namespace and pods in each env, workflow-engine's log
    lines about the issue, failed AssumeRole calls, and whether the hub may create namespaces."""
    try:
        key = issue_key(key)
    except ValueError as exc:
        raise UserError(f"`{key[:40]}` is not a Jira issue key: it {exc}.") from None
    config = backends.config
    envs = tuple(config.environments)
    namespace = preview_namespace(key)
    calls: dict[str, Awaitable[Any]] = {
        f"kubernetes {env} namespaces": _env_preview(backends, env, namespace) for env in envs
    }
    calls["workflow-engine log"] = _engine_lines(backends, key)
    calls["CloudTrail"] = cloudtrail.lookup(
        backends, envs, event="AssumeRole", since=TRAIL_WINDOW, errors_only=True
    )
    for env in envs:
        calls[f"kubernetes {env} access review"] = _may_create_namespaces(backends, env)
    parts = await _gather(config, calls)

    notes = _Notes()
    previews = _namespace_check(notes, namespace, envs, parts)
    for preview in previews:
        _pods_check(notes, namespace, preview, config.thresholds.pod_start_seconds)
    _engine_check(notes, key, parts["workflow-engine log"], config.timezone)
    _trail_check(notes, key, parts["CloudTrail"], config, missing_everywhere=not previews)
    _access_check(notes, envs, parts, missing_everywhere=not previews)
    if not previews:
        notes.commands.append(f"/rtb logs {HUB_ENV} {ENGINE} --since 1h")
    if previews:
        where = _envs([p.env for p in previews])
        otherwise = f"Nothing wrong with this preview: it is up in {where}, its pods healthy."
    elif any(c.state == "unknown" for c in notes.checks):
        otherwise = "Inconclusive: nothing wrong in what answered, but not every source did."
    else:
        otherwise = (
            f"No namespace and no error found: nothing mentions {key}; the request may never "
            "have reached the hub."
        )
    return notes.diagnosis(
        f"preview {key}",
        otherwise,
        *(f"/rtb previews {p.env}" for p in previews),
        f"/rtb search webhook-listener {key} --since 24h",
    )


async def _env_preview(backends: Backends, env: EnvName, namespace: str) -> _EnvPreview:
    answer = await backends.kube.call(
        env, "core", "list_namespace", field_selector=f"metadata.name={namespace}"
    )
    items: list[Obj] = answer.get("items") or []
    if not items:
        return _EnvPreview(env, False, False, ())
    meta, status = items[0].get("metadata") or {}, items[0].get("status") or {}
    terminating = bool(meta.get("deletionTimestamp")) or status.get("phase") == "Terminating"
    pods = await cluster.list_pods(backends, env, namespace)
    return _EnvPreview(env, True, terminating, pods.pods)


async def _engine_lines(backends: Backends, key: str) -> _EngineLines:
    logs = await cluster.pod_logs(
        backends,
        HUB_ENV,
        backends.config.hub.namespace,
        ENGINE,
        tail=ENGINE_LOG_LINES,
        since=TRAIL_WINDOW,
    )
    return _EngineLines(len(logs.lines), tuple(line for line in logs.lines if mentions(line, key)))


def mentions(line: LogLine, key: str) -> bool:
    """The line is about `key`: its issueKey field, or the key as a word (PROJ-30 ≠ PROJ-300)."""
    if line.issue_key is not None:
        return line.issue_key.upper() == key
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(key)}(?![0-9])", line.text, re.I) is not None


async def _may_create_namespaces(backends: Backends, env: EnvName) -> AccessReview:
    subject = cluster.parse_subject(backends.config.hub.service_account)
    resource = cluster.parse_resource("namespaces")
    return await cluster.can_i(backends, env, "create", resource, subject, None)


def _namespace_check(
    notes: _Notes, namespace: str, envs: Sequence[EnvName], parts: dict[str, Part[Any]]
) -> list[_EnvPreview]:
    found: list[_EnvPreview] = []
    missing: list[str] = []
    failed: list[Failed] = []
    for env in envs:
        part: Part[_EnvPreview] = parts[f"kubernetes {env} namespaces"]
        if part.value is None:
            failed.append(part.failure or Failed(f"kubernetes {env}", "no answer"))
        elif part.value.found:
            found.append(part.value)
        else:
            missing.append(env)
    facts = []
    if found:
        where = [p.env + (" (being deleted)" if p.terminating else "") for p in found]
        facts.append(f"Found in {_envs(where)}")
    if missing:
        facts.append(f"{'not' if found else 'Not'} in {_envs(missing, 'or')}")
    facts += [f"unknown in {f.backend.split()[1]} ({f.backend}: {f.reason})" for f in failed]
    state: CheckState = "ok" if found else "unknown" if failed else "fail"
    if any(p.terminating for p in found):
        state = "warn"
    notes.check(f"Namespace {namespace}", state, "; ".join(facts) + ".")
    return found


def _pods_check(notes: _Notes, namespace: str, preview: _EnvPreview, slow_seconds: float) -> None:
    env, pods = preview.env, preview.pods
    name = f"Pods in {env}/{namespace}"
    if not pods:
        notes.check(name, "warn", "No pods: nothing deployed yet, or Fargate is still scheduling.")
        notes.cause(5, f"{env}: {namespace} exists but has no pods", f"/rtb pods {env} {namespace}")
        return
    oom = [p for p in pods if p.oom_killed]
    crashing = [p for p in pods if p.crash_looping and not p.oom_killed]
    pulling = [p for p in pods if p.waiting_reason in IMAGE_PULL]
    slow = [p for p in pods if p.slow_start]
    troubled = {p.name for p in (*oom, *crashing, *pulling, *slow)}
    facts = [
        f"{p.name} OOMKilled ({p.restarts} restarts, {p.waiting_reason or p.phase})" for p in oom
    ]
    facts += [f"{p.name} CrashLoopBackOff ({p.restarts} restarts)" for p in crashing]
    facts += [f"{p.name} {p.waiting_reason}" for p in pulling]
    facts += [
        f"{p.name} took {p.start_seconds or 0:.0f} s to become Ready "
        f"(Fargate cold start over {slow_seconds:g} s)"
        for p in slow
    ]
    facts += [
        f"{p.name} {p.waiting_reason or p.phase}, {p.ready}/{p.containers} ready"
        for p in pods
        if not p.healthy and p.name not in troubled
    ]
    ready = sum(1 for p in pods if p.healthy)
    finding = f"{ready} of {len(pods)} pods healthy" + (": " + "; ".join(facts) if facts else "")
    broken = oom or crashing or pulling
    state: CheckState = "fail" if broken else "warn" if facts else "ok"
    notes.check(name, state, finding + ".")
    if not (oom or crashing or pulling or slow):
        return
    first = (oom or crashing or pulling or slow)[0]
    commands = (
        f"/rtb pods {env} {namespace}",
        f"/rtb logs {env} {first.name} --namespace {namespace}",
    )
    if oom:
        notes.cause(
            0, f"{env}: {_names(oom)} in {namespace} ran out of memory (OOMKilled)", *commands
        )
    elif crashing:
        notes.cause(0, f"{env}: {_names(crashing)} in {namespace} keeps crashing", *commands)
    elif pulling:
        notes.cause(0, f"{env}: the image of {_names(pulling)} cannot be pulled", *commands)
    else:
        notes.cause(
            6, f"Only a slow start in {env}: {_names(slow)} took over {slow_seconds:g} s", *commands
        )


def _names(pods: Sequence[PodSummary]) -> str:
    return _envs([p.name for p in pods])


def _engine_check(notes: _Notes, key: str, part: Part[_EngineLines], timezone: str) -> None:
    name = f"{ENGINE} log ({HUB_ENV}) about {key}"
    if part.value is None:
        notes.unknown(name, part.failure)
        return
    read, lines = part.value.read, part.value.mentions
    if not lines:
        notes.check(name, "warn", f"None of its last {read} lines (24 h) mention {key}.")
        notes.commands.append(f"/rtb search {ENGINE} {key} --since 24h")
        return
    errors = [line for line in lines if line.level in ("error", "fatal")]
    warnings = [line for line in lines if line.level == "warn"]
    newest = (errors or warnings or list(lines))[-1]
    what = "error" if errors else "warning" if warnings else "line"
    finding = (
        f"{len(lines)} of its last {read} lines mention {key}, {len(errors)} errors; "
        f"newest {what} at {_clock(newest.time, timezone)}: {_one_line(newest.msg or newest.text)}"
    )
    state: CheckState = "fail" if errors else "warn" if warnings else "ok"
    notes.check(name, state, finding + ".")
    if errors:
        text = f"{ENGINE} failed on {key}: {_one_line(newest.msg or newest.text, 120)}"
        notes.cause(3, text, f"/rtb logs {HUB_ENV} {ENGINE} --since 1h")


def _trail_check(
    notes: _Notes, key: str, part: Part[Any], config: Config, *, missing_everywhere: bool
) -> None:
    """Failed AssumeRole calls; a cause when about this preview (its session name says so)
    or, with the preview nowhere, any of them."""
    name = "Failed AssumeRole calls (CloudTrail, 24 h)"
    report: cloudtrail.TrailReport | None = part.value
    if report is None:
        notes.unknown(name, part.failure)
        return
    failed = [event for event in report.events if event.failed]
    gaps = [f"{f.backend}: {f.reason}" for f in report.failures]
    unread = {f.backend for f in report.failures}
    read = [env for env in report.envs if f"AWS {env} cloudtrail" not in unread]
    if not failed:
        state: CheckState = "unknown" if gaps else "ok"
        facts = [f"None in {_envs(read)} ({report.read} read)"] if read else []
        facts += [f"not read: {gap}" for gap in gaps]
        finding = "; ".join(facts)
        notes.check(name, state, finding[0].upper() + finding[1:] + ".")
        return
    groups: dict[tuple[str, str, str, EnvName], list[cloudtrail.TrailEvent]] = {}
    for event in failed:
        caller, target = _role_name(event.principal), _role_target(event.target_role, config)
        groups.setdefault((caller, target, event.error_code, event.env), []).append(event)
    facts = []
    for (caller, target, code, env), events in groups.items():
        about_key = any(key.lower() in e.session_name.lower() for e in events)
        facts.append(
            f"{caller} → {target}: {code} ×{len(events)}, newest "
            f"{_clock(events[0].time, config.timezone)} in {env}'s trail"
            + (f" (session names {key})" if about_key else "")
        )
        if about_key or missing_everywhere:
            notes.cause(
                1 if about_key else 4,
                f"{caller} may not assume {target} ({code} {len(events)}× in 24 h)",
                f"/rtb trail {env} --errors",
            )
    finding = f"{len(failed)} failed: " + "; ".join(facts)
    notes.check(name, "fail", finding + "".join(f"; not read: {g}" for g in gaps) + ".")


def _role_name(arn: str) -> str:
    """`arn:aws:sts::1:assumed-role/rtb-hub-sa/session` → rtb-hub-sa; a user ARN → its name."""
    if not arn:
        return "an unknown caller"
    path = arn.split(":", 5)[-1].split("/")
    return path[1] if path[0] == "assumed-role" and len(path) > 1 else path[-1]


def _role_target(role_arn: str, config: Config) -> str:
    """`arn:aws:iam::333…:role/rtb-hub-deployer` → "prd's rtb-hub-deployer"."""
    fields = role_arn.split(":")
    if len(fields) < 6:
        return role_arn or "an unknown role"
    envs = [env for env, e in config.environments.items() if e.account_id == fields[4]]
    role = fields[5].rsplit("/", 1)[-1]
    return f"{envs[0]}'s {role}" if envs else role_arn


def _access_check(
    notes: _Notes, envs: Sequence[EnvName], parts: dict[str, Part[Any]], *, missing_everywhere: bool
) -> None:
    reviews: list[AccessReview] = []
    facts = []
    for env in envs:
        part = parts[f"kubernetes {env} access review"]
        if part.value is None:
            assert part.failure is not None
            facts.append(f"{env} unknown ({part.failure.reason})")
        else:
            reviews.append(part.value)
            facts.append(f"{env} {'yes' if part.value.allowed else 'NO'}")
    subject = reviews[0].subject.user if reviews else "the hub's service account"
    short = subject.rsplit(":", 1)[-1]
    denied = [r.env for r in reviews if not r.allowed]
    state: CheckState = "fail" if denied else "ok" if len(reviews) == len(envs) else "unknown"
    notes.check(f"{short} may create namespaces", state, " · ".join(facts) + ".")
    if denied and missing_everywhere:
        notes.cause(
            1,
            f"{_envs(denied)}: {short} may not create namespaces",
            *(f"/rtb can-i {env} create namespaces" for env in denied),
        )


# == backlog: "BullMQ 잡이 쌓이는 경우" ============================================================


@dataclass(frozen=True)
class _HubRuns:
    rate: executions.ErrorRate
    failed: executions.ExecutionsReport  # failed runs of the last hour


@dataclass(frozen=True)
class ScaledObject:
    name: str
    min_replicas: int | None
    max_replicas: int | None
    paused: bool
    ready: bool | None  # its Ready condition; None when not reported
    active: bool | None
    redis_lists: tuple[str, ...]  # lists its redis triggers count (bull:<queue>:wait)


async def diagnose_backlog(backends: Backends) -> Diagnosis:
    """Why BullMQ jobs pile up: counts and paused queues, failed runs and the error rate,
    workflow-engine's replicas and its KEDA ScaledObject (read only)."""
    config = backends.config
    parts = await _gather(
        config,
        {
            "Redis": all_queue_counts(bull_queues(backends), config.hub.queues),
            "PostgreSQL (hub)": _hub_runs(backends.hub_db, config),
            f"kubernetes {HUB_ENV} deployment": cluster.rollout_status(
                backends, HUB_ENV, config.hub.namespace, ENGINE
            ),
            f"kubernetes {HUB_ENV} KEDA": _scaled_object(backends),
        },
    )
    notes = _Notes()
    queues: Part[QueuesOverview] = parts["Redis"]
    _queue_checks(notes, queues, config)
    _runs_checks(notes, parts["PostgreSQL (hub)"], config)
    overview = queues.value
    backlog = overview.pending if overview is not None else None
    engine = parts[f"kubernetes {HUB_ENV} deployment"]
    engine_ok = _engine_replicas_check(notes, engine, backlog)
    _keda_check(notes, parts[f"kubernetes {HUB_ENV} KEDA"], overview, config)
    if overview and backlog is not None and backlog > config.thresholds.waiting_jobs and engine_ok:
        busiest = max(overview.queues, key=lambda q: q.pending).name
        notes.cause(
            5,
            f"Load: {backlog:,} jobs waiting while {ENGINE} is healthy: more work than replicas",
            f"/rtb scale {HUB_ENV} {ENGINE} 3",
            f"/rtb queue {busiest}",
        )
    notes.commands.append("/rtb executions --status failed --since 1h")
    limit = config.thresholds.waiting_jobs
    if backlog is not None and backlog <= limit:
        otherwise = f"No backlog: {backlog:,} jobs waiting, within the threshold of {limit:,}."
    else:
        otherwise = _inconclusive(notes)
    return notes.diagnosis("BullMQ backlog", otherwise, "/rtb queues")


def _inconclusive(notes: _Notes) -> str:
    unknown = [c.name for c in notes.checks if c.state == "unknown"]
    if not unknown:
        return "Inconclusive: no check points at a cause."
    return f"Inconclusive: could not check {_envs(unknown)}."


async def _hub_runs(db: Database, config: Config) -> _HubRuns:
    window = timedelta(minutes=config.hub.error_rate_window_minutes)
    rate, failed = await asyncio.gather(
        executions.error_rate(db, window),
        executions.executions_report(db, RECENT, status="failed", failure_limit=1),
    )
    return _HubRuns(rate, failed)


async def _scaled_object(backends: Backends) -> ScaledObject | None:
    """The KEDA ScaledObject whose target is workflow-engine, or None."""
    answer = await backends.kube.call(
        HUB_ENV,
        "custom",
        "list_namespaced_custom_object",
        namespace=backends.config.hub.namespace,
        group=KEDA_GROUP,
        version=KEDA_VERSION,
        plural=KEDA_PLURAL,
    )
    for item in answer.get("items") or []:
        target = ((item.get("spec") or {}).get("scaleTargetRef") or {}).get("name")
        if target == ENGINE:
            return scaled_object(item)
    return None


def scaled_object(item: Obj) -> ScaledObject:
    meta, spec = item.get("metadata") or {}, item.get("spec") or {}
    conditions = {
        c.get("type"): c.get("status") for c in (item.get("status") or {}).get("conditions") or []
    }
    annotations = meta.get("annotations") or {}
    lists = tuple(
        str((t.get("metadata") or {}).get("listName"))
        for t in spec.get("triggers") or []
        if t.get("type") == "redis" and (t.get("metadata") or {}).get("listName")
    )
    return ScaledObject(
        name=str(meta.get("name", "?")),
        min_replicas=spec.get("minReplicaCount"),
        max_replicas=spec.get("maxReplicaCount"),
        paused=any(k in annotations for k in KEDA_PAUSED),
        ready=_condition(conditions.get("Ready")),
        active=_condition(conditions.get("Active")),
        redis_lists=lists,
    )


def _condition(status: object) -> bool | None:
    return None if status is None else status == "True"


def _queue_checks(notes: _Notes, part: Part[QueuesOverview], config: Config) -> None:
    if part.value is None:
        notes.unknown("BullMQ waiting jobs", part.failure)
        notes.unknown("Paused queues", part.failure)
        return
    overview, limit = part.value, config.thresholds.waiting_jobs
    busy = sorted(overview.queues, key=lambda q: -q.pending)
    shown = [
        f"{q.name} {q.pending:,}" + (f" ({q.prioritized:,} prioritized)" if q.prioritized else "")
        for q in busy[:6]
    ]
    finding = f"{overview.pending:,} waiting (threshold {limit:,}): " + " · ".join(
        shown or ["no queues"]
    )
    notes.check("BullMQ waiting jobs", "fail" if overview.pending > limit else "ok", finding + ".")
    paused = [q for q in overview.queues if q.paused]
    if not paused:
        notes.check("Paused queues", "ok", "None paused.")
        return
    stuck = [q for q in paused if q.pending]
    facts = [f"{q.name} paused with {q.pending:,} waiting" for q in paused]
    notes.check("Paused queues", "fail" if stuck else "warn", "; ".join(facts) + ".")
    for q in stuck:
        notes.cause(
            0, f"{q.name} is paused with {q.pending:,} jobs waiting", f"/rtb queue resume {q.name}"
        )


def _runs_checks(notes: _Notes, part: Part[_HubRuns], config: Config) -> None:
    if part.value is None:
        notes.unknown(f"{ENGINE} error rate", part.failure)
        notes.unknown("Failed runs, last hour", part.failure)
        return
    rate, failed = part.value.rate, part.value.failed
    limit = config.thresholds.error_rate_percent
    window = config.hub.error_rate_window_minutes
    finding = (
        f"{rate.percent:.1f} % ({rate.failed:,} of {rate.finished:,} runs that finished in "
        f"{window} min; threshold {limit:g} %)."
    )
    spiking = rate.percent > limit
    notes.check(f"{ENGINE} error rate", "fail" if spiking else "ok", finding)
    by_type = [g for g in failed.groups if g.status == "failed"]
    total = sum(g.runs for g in by_type)
    if not total:
        notes.check("Failed runs, last hour", "ok", "None failed in the last hour.")
        return
    types = " · ".join(f"{g.workflow_type} {g.runs:,}" for g in by_type[:MAX_LINES_NAMED])
    newest = failed.failures[0].error if failed.failures else ""
    finding = f"{total:,} failed: {types}" + (f"; newest: {_one_line(newest)}" if newest else "")
    notes.check("Failed runs, last hour", "warn", finding + ".")
    if spiking:
        mostly = f", mostly {by_type[0].workflow_type}" + (
            f" ({_one_line(newest, 80)})" if newest else ""
        )
        notes.cause(
            2,
            f"{ENGINE} runs are failing: {rate.percent:.1f} % in {window} min (threshold "
            f"{limit:g} %){mostly}; failed jobs retry and pile up",
            "/rtb executions --status failed --since 1h",
        )


def _engine_replicas_check(notes: _Notes, part: Part[RolloutStatus], backlog: int | None) -> bool:
    """The check; True when workflow-engine runs as it should. At 0 replicas with nothing
    waiting it is idle (KEDA scales it up when jobs arrive), not down."""
    name = f"{ENGINE} in {HUB_ENV}"
    if part.value is None:
        notes.unknown(name, part.failure)
        return False
    status = part.value
    finding = (
        f"{status.ready} of {status.desired} replicas ready ({status.available} available), "
        f"rollout {status.state}."
    )
    scale = f"/rtb scale {HUB_ENV} {ENGINE} 3"
    if status.desired == 0 and backlog == 0:
        notes.check(name, "ok", f"Scaled to 0 while idle: {finding}")
        return True
    if status.desired == 0:
        notes.check(name, "fail", f"Scaled to 0: {finding}")
        notes.cause(1, f"{ENGINE} is scaled to 0 in {HUB_ENV}: nothing takes jobs", scale)
        return False
    if status.ready == 0:
        notes.check(name, "fail", f"No ready replica: {finding}")
        notes.cause(
            1,
            f"{ENGINE} has no ready replica in {HUB_ENV} (0 of {status.desired})",
            f"/rtb rollout-status {HUB_ENV} {ENGINE}",
            f"/rtb logs {HUB_ENV} {ENGINE} --since 30m",
        )
        return False
    healthy = status.ready >= status.desired and status.state == "complete"
    notes.check(name, "ok" if healthy else "warn", finding)
    return True


def _keda_check(
    notes: _Notes, part: Part[ScaledObject | None], queues: QueuesOverview | None, config: Config
) -> None:
    name = "KEDA ScaledObject"
    if part.failure is not None:
        notes.unknown(name, part.failure)
        return
    scaled = part.value
    if scaled is None:
        notes.check(name, "warn", f"None targets {ENGINE}: it is not autoscaled.")
        return
    facts = [f"{scaled.name}: {scaled.min_replicas}–{scaled.max_replicas} replicas"]
    facts += [f"Ready {_yes(scaled.ready)}", f"Active {_yes(scaled.active)}"]
    state: CheckState = "ok" if scaled.ready is not False else "fail"
    if scaled.paused:
        facts.append("autoscaling paused")
        state = "warn" if state == "ok" else state
        notes.cause(
            3, f"KEDA autoscaling of {ENGINE} is paused", f"/rtb scale {HUB_ENV} {ENGINE} 3"
        )
    missed = _uncounted(scaled, queues, config.hub.queue_prefix)
    if missed:
        listed, wait, prioritized = missed
        facts.append(
            f"its redis trigger counts only {listed} ({wait:,}), not {prioritized:,} prioritized"
        )
        state = "warn" if state == "ok" else state
        notes.cause(
            4,
            f"KEDA counts only {listed} ({wait:,} jobs), not the {prioritized:,} prioritized "
            "ones: it scales for fewer jobs than are waiting",
            f"/rtb scale {HUB_ENV} {ENGINE} 3",
        )
    notes.check(name, state, ", ".join(facts) + ".")


def _yes(value: bool | None) -> str:
    return "?" if value is None else "yes" if value else "NO"


def _uncounted(
    scaled: ScaledObject, queues: QueuesOverview | None, prefix: str
) -> tuple[str, int, int] | None:
    """A redis trigger on `<prefix>:<queue>:wait` misses BullMQ 6's prioritized zset."""
    if queues is None:
        return None
    by_name = {q.name: q for q in queues.queues}
    for listed in scaled.redis_lists:
        head, _, tail = listed.rpartition(":")
        queue = by_name.get(head.removeprefix(f"{prefix}:"))
        if tail == "wait" and queue is not None and queue.prioritized:
            return listed, queue.waiting, queue.prioritized
    return None


# == costs: "AI 비용 이상 증가" ====================================================================

# The runbook's ai_costs query (last hour by model and env) with the usual rate beside it.
_COST_RATES_SQL = """
SELECT model, env,
       coalesce(sum(total_cost_usd) FILTER (WHERE created_at > now() - %(recent)s::interval), 0)
           AS recent_usd,
       count(*) FILTER (WHERE created_at > now() - %(recent)s::interval) AS recent_calls,
       coalesce(sum(total_cost_usd) FILTER (WHERE created_at <= now() - %(recent)s::interval), 0)
           AS earlier_usd
FROM ai_costs
WHERE created_at > now() - %(recent)s::interval - %(baseline)s::interval
GROUP BY model, env
ORDER BY recent_usd DESC, earlier_usd DESC, model, env
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class CostRate:
    model: str
    env: str
    recent_usd: Decimal
    recent_calls: int
    usual_usd: Decimal  # per recent window, averaged over the baseline before it

    @property
    def ratio(self) -> float | None:
        return float(self.recent_usd / self.usual_usd) if self.usual_usd else None

    @property
    def spike(self) -> bool:
        big = self.recent_usd >= MIN_SPIKE_USD
        return big and (self.ratio is None or self.ratio >= SPIKE_RATIO)


async def cost_rates(
    db: Database, recent: timedelta = RECENT, baseline: timedelta = BASELINE
) -> tuple[CostRate, ...]:
    """AI cost per (model, env) within `recent`, most expensive first, with the usual rate."""
    rows = await db.fetch(
        _COST_RATES_SQL, {"recent": recent, "baseline": baseline, "limit": costs.MAX_LINES}
    )
    share = Decimal(recent.total_seconds()) / Decimal(baseline.total_seconds())
    return tuple(
        CostRate(
            model=row["model"],
            env=row["env"],
            recent_usd=Decimal(row["recent_usd"]),
            recent_calls=int(row["recent_calls"]),
            usual_usd=Decimal(row["earlier_usd"]) * share,
        )
        for row in rows
    )


async def diagnose_costs(backends: Backends) -> Diagnosis:
    """Why AI cost went up: the last hour by model and env and workflow runs by type, each
    against its 7-day hourly average, and today against the daily threshold."""
    config, db = backends.config, backends.hub_db
    parts = await _gather(
        config,
        {
            "ai_costs": cost_rates(db),
            "workflow_executions": executions.type_rates(db, RECENT, BASELINE),
            "ai_costs today": costs.ai_cost_today(db, config.timezone),
        },
    )
    notes = _Notes()
    spiked = _cost_rate_checks(notes, parts["ai_costs"])
    for runs in _runs_rate_check(notes, parts["workflow_executions"])[:1]:
        usual = f"{runs.usual_runs:.0f}/h usual" if runs.usual_runs else "none usually"
        notes.cause(
            1 if spiked else 3,
            f"{runs.workflow_type} ran {runs.recent_runs:,} times vs {usual}",
            f"/rtb executions --type {runs.workflow_type} --since 1h",
        )
    _today_check(notes, parts["ai_costs today"], config, spiked=spiked)
    notes.commands.append("/rtb costs --since 7d --by env")
    calm = "No spike: the last hour is within its usual range, and so is today."
    unknown = any(c.state == "unknown" for c in notes.checks)
    return notes.diagnosis("AI cost", _inconclusive(notes) if unknown else calm)


def _cost_rate_checks(notes: _Notes, part: Part[tuple[CostRate, ...]]) -> bool:
    """The checks; True when some model and env costs far more than usual."""
    if part.value is None:
        notes.unknown("AI cost, last hour", part.failure)
        notes.unknown("AI cost by model and env", part.failure)
        return False
    rates = part.value
    recent = sum((r.recent_usd for r in rates), Decimal(0))
    usual = sum((r.usual_usd for r in rates), Decimal(0))
    calls = sum(r.recent_calls for r in rates)
    overall = recent >= MIN_SPIKE_USD and (not usual or recent / usual >= Decimal(SPIKE_RATIO))
    ratio = f", {_times(float(recent / usual))} the usual" if usual else ""
    notes.check(
        "AI cost, last hour",
        "fail" if overall else "ok",
        f"{_usd(recent)} in {calls:,} calls{ratio} ({_usd(usual)}/h, 7-day average).",
    )
    active = [r for r in rates if r.recent_calls]
    lines = [_rate_text(r) for r in active[:MAX_LINES_NAMED]]
    spikes = [r for r in rates if r.spike]
    notes.check(
        "AI cost by model and env",
        "fail" if spikes else "ok",
        (" · ".join(lines) or "No AI calls in the last hour") + ".",
    )
    for rank, rate in enumerate(spikes[:MAX_CAUSES]):  # the biggest first, then the runs
        text = f"{rate.model} in {rate.env}: {_rate_text(rate, short=True)}"
        notes.cause(2 * rank, text, "/rtb costs --since 1h")
    return bool(spikes)


def _rate_text(rate: CostRate, *, short: bool = False) -> str:
    ratio = rate.ratio
    usual = "none in the previous 7 days" if ratio is None else f"{_times(ratio)} its usual"
    if short:
        return f"{_usd(rate.recent_usd)} in the last hour, {usual}"
    calls = f"{rate.recent_calls:,} call" + ("" if rate.recent_calls == 1 else "s")
    return f"{rate.model} {rate.env} {_usd(rate.recent_usd)} ({calls}, {usual})"


def _runs_rate_check(notes: _Notes, part: Part[executions.TypeRates]) -> list[executions.TypeRate]:
    """The check; returns the workflow types running far more often than usual."""
    name = "Workflow runs by type, last hour"
    if part.value is None:
        notes.unknown(name, part.failure)
        return []
    rates = [r for r in part.value.rates if r.recent_runs]
    spiking = [
        r
        for r in rates
        if r.recent_runs >= MIN_SPIKE_RUNS and (r.ratio is None or r.ratio >= SPIKE_RATIO)
    ]
    facts = [
        f"{r.workflow_type} {r.recent_runs:,} vs {r.usual_runs:.1f}/h usual"
        + (f" ({_times(r.ratio)})" if r.ratio is not None else " (new)")
        for r in rates[:MAX_LINES_NAMED]
    ]
    finding = " · ".join(facts) or "No runs in the last hour"
    notes.check(name, "warn" if spiking else "ok", finding + ".")
    return spiking


def _today_check(
    notes: _Notes, part: Part[costs.DailyCost], config: Config, *, spiked: bool
) -> None:
    name = "AI cost today"
    if part.value is None:
        notes.unknown(name, part.failure)
        return
    today, limit = part.value, Decimal(str(config.thresholds.ai_cost_daily_usd))
    state: CheckState = (
        "fail"
        if today.total_usd > limit
        else "warn"
        if today.total_usd >= limit * TODAY_WARN_SHARE
        else "ok"
    )
    since = _clock(today.since, config.timezone)
    finding = (
        f"{_usd(today.total_usd)} since {since} ({config.timezone}), {today.calls:,} calls; "
        f"threshold {_usd(limit)}/day."
    )
    notes.check(name, state, finding)
    if state == "fail":
        over = f"today's AI cost {_usd(today.total_usd)} is over the {_usd(limit)}/day threshold"
        text = over[0].upper() + over[1:] if spiked else f"No spike in the last hour, but {over}"
        notes.cause(4, text, "/rtb costs --since 24h --by model")
