"""`/rtb diagnose preview <KEY>`: why a preview environment was not created (§5.3)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ops import access_reviews, cloudtrail, pod_logs
from ops.access_reviews import AccessReview
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.diagnose.causes import (
    AccessDenied,
    Conclusion,
    EngineFailed,
    Inconclusive,
    NoPods,
    NothingFound,
    PodsFailing,
    PreviewHealthy,
    RoleDenied,
)
from ops.diagnose.common import (
    ENGINE,
    ENGINE_LOG_LINES,
    HUB_ENV,
    IMAGE_PULL,
    TRAIL_WINDOW,
    Diagnosis,
    Notes,
    Obj,
    gather,
    issue_key,
    preview_namespace,
)
from ops.diagnose.findings import (
    AccessFacts,
    CheckKind,
    CheckState,
    EngineLogFacts,
    EnvAccess,
    NamespaceFacts,
    PodProblem,
    PodsFacts,
    PodTrouble,
    RoleFailures,
    RoleRef,
    Subject,
    TrailFacts,
)
from ops.errors import Details, Problem, Symptom, UserError
from ops.fanout import Failed, Part
from ops.pino import LogLine
from ops.pods import PodSummary, list_pods
from ops.suggestions import Suggestion, suggest

ENGINE_LAST_HOUR = suggest("logs", HUB_ENV, ENGINE, since="1h")
# the parts' names: a part that does not answer is named by them in its check's finding
ENGINE_LOG = "workflow-engine log"  # a name
ACCESS_REVIEW = "kubernetes {env} access review"  # a name


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
        raise UserError(Problem.NOT_AN_ISSUE_KEY, value=key[:40], why=exc) from None
    config = backends.config
    envs = tuple(config.environments)
    namespace = preview_namespace(key)
    calls: dict[str, Awaitable[Any]] = {
        f"kubernetes {env} namespaces": _env_preview(backends, env, namespace) for env in envs
    }
    calls[ENGINE_LOG] = _engine_lines(backends, key)
    calls["CloudTrail"] = cloudtrail.lookup(
        backends, envs, event="AssumeRole", since=TRAIL_WINDOW, errors_only=True
    )
    for env in envs:
        calls[ACCESS_REVIEW.format(env=env)] = _may_create_namespaces(backends, env)
    parts = await gather(config, calls)

    notes = Notes()
    previews = _namespace_check(notes, namespace, envs, parts)
    for preview in previews:
        _pods_check(notes, namespace, preview, config.thresholds.pod_start_seconds)
    # the key's lines are where its preview is (its pods'), else in int (the hub's services)
    search = search_issue(key, previews[0].env if previews else HUB_ENV)
    _engine_check(notes, key, parts[ENGINE_LOG], search)
    _trail_check(notes, key, parts["CloudTrail"], config, missing_everywhere=not previews)
    _access_check(notes, envs, parts, missing_everywhere=not previews)
    if not previews:
        notes.commands.append(ENGINE_LAST_HOUR)
    otherwise: Conclusion
    if previews:
        otherwise = PreviewHealthy(tuple(p.env for p in previews))
    elif any(c.state == "unknown" for c in notes.checks):
        otherwise = Inconclusive(partial=True)
    else:
        otherwise = NothingFound(key)
    return notes.diagnosis(
        "preview",
        otherwise,
        *(suggest("previews", p.env) for p in previews),
        search,
        key=key,
    )


def search_issue(key: str, env: EnvName) -> Suggestion:
    """Every log line of `env` whose issueKey is `key` (the key is a Pino field, rarely in the
    message: searching it as text of one group is how a playbook sent people to a dead end)."""
    if env == HUB_ENV:
        return suggest("search", "all", issue=key, since="24h")
    return suggest("search", "all", issue=key, env=env, since="24h")


async def _env_preview(backends: Backends, env: EnvName, namespace: str) -> _EnvPreview:
    answer = await backends.kube.call(
        env, "core", "list_namespace", field_selector=f"metadata.name={namespace}"
    )
    items: list[Obj] = answer.get("items") or []
    if not items:
        return _EnvPreview(env, False, False, ())
    meta, status = items[0].get("metadata") or {}, items[0].get("status") or {}
    terminating = bool(meta.get("deletionTimestamp")) or status.get("phase") == "Terminating"
    pods = await list_pods(backends, env, namespace)
    return _EnvPreview(env, True, terminating, pods.pods)


async def _engine_lines(backends: Backends, key: str) -> _EngineLines:
    logs = await pod_logs.pod_logs(
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
    subject = access_reviews.parse_subject(backends.config.hub.service_account)
    resource = access_reviews.parse_resource("namespaces")
    return await access_reviews.can_i(backends, env, "create", resource, subject, None)


def _namespace_check(
    notes: Notes, namespace: str, envs: Sequence[EnvName], parts: dict[str, Part[Any]]
) -> list[_EnvPreview]:
    found: list[_EnvPreview] = []
    missing: list[str] = []
    failed: list[Failed] = []
    for env in envs:
        part: Part[_EnvPreview] = parts[f"kubernetes {env} namespaces"]
        if part.value is None:
            failed.append(part.failure or _no_answer(env))
        elif part.value.found:
            found.append(part.value)
        else:
            missing.append(env)
    state: CheckState = "ok" if found else "unknown" if failed else "fail"
    if any(p.terminating for p in found):
        state = "warn"
    facts = NamespaceFacts(
        tuple((p.env, p.terminating) for p in found), tuple(missing), tuple(failed)
    )
    notes.check(CheckKind.NAMESPACE, state, facts, Subject(namespace=namespace))
    return found


def _no_answer(env: EnvName) -> Failed:
    reason = "no answer"  # internal: the log's; a reader is told the details
    return Failed(f"kubernetes {env}", reason, Details(Symptom.NO_ANSWER))


def _pods_check(notes: Notes, namespace: str, preview: _EnvPreview, slow_seconds: float) -> None:
    env, pods = preview.env, preview.pods
    about = Subject(env=env, namespace=namespace)
    if not pods:
        notes.check(CheckKind.PODS, "warn", PodsFacts(0, 0, (), slow_seconds), about)
        notes.cause(5, NoPods(env, namespace), suggest("pods", env, namespace))
        return
    oom = [p for p in pods if p.oom_killed]
    crashing = [p for p in pods if p.crash_looping and not p.oom_killed]
    pulling = [p for p in pods if p.waiting_reason in IMAGE_PULL]
    slow = [p for p in pods if p.slow_start]
    troubled = {p.name for p in (*oom, *crashing, *pulling, *slow)}
    unhealthy = [p for p in pods if not p.healthy and p.name not in troubled]
    problems = [
        *(_problem(PodTrouble.OOM_KILLED, p) for p in oom),
        *(_problem(PodTrouble.CRASH_LOOP, p) for p in crashing),
        *(_problem(PodTrouble.IMAGE_PULL, p) for p in pulling),
        *(_problem(PodTrouble.SLOW_START, p) for p in slow),
        *(_problem(PodTrouble.UNHEALTHY, p) for p in unhealthy),
    ]
    healthy = sum(1 for p in pods if p.healthy)
    broken = oom or crashing or pulling
    state: CheckState = "fail" if broken else "warn" if problems else "ok"
    facts = PodsFacts(healthy, len(pods), tuple(problems), slow_seconds)
    notes.check(CheckKind.PODS, state, facts, about)
    worst = next(
        (
            (trouble, group)
            for trouble, group in (
                (PodTrouble.OOM_KILLED, oom),
                (PodTrouble.CRASH_LOOP, crashing),
                (PodTrouble.IMAGE_PULL, pulling),
                (PodTrouble.SLOW_START, slow),
            )
            if group
        ),
        None,
    )
    if worst is None:
        return
    trouble, group = worst
    names = tuple(p.name for p in group)
    notes.cause(
        6 if trouble is PodTrouble.SLOW_START else 0,
        PodsFailing(trouble, env, namespace, names, slow_seconds),
        suggest("pods", env, namespace),
        suggest("logs", env, group[0].name, namespace=namespace),
    )


def _problem(trouble: PodTrouble, pod: PodSummary) -> PodProblem:
    return PodProblem(
        trouble,
        pod.name,
        restarts=pod.restarts,
        reason=pod.waiting_reason or pod.phase,
        start_seconds=pod.start_seconds or 0.0,
        ready=pod.ready,
        containers=pod.containers,
    )


def _engine_check(notes: Notes, key: str, part: Part[_EngineLines], search: Suggestion) -> None:
    """`search`: the command that shows the key's log lines (suggested when the pod log's
    tail does not name the key, and beside the pod log when it names an error)."""
    about = Subject(key=key)
    if part.value is None:
        notes.unknown(CheckKind.ENGINE_LOG, part.failure, about)
        return
    read, lines = part.value.read, part.value.mentions
    if not lines:
        facts = EngineLogFacts(key, read, 0, 0, "line", None, "")
        notes.check(CheckKind.ENGINE_LOG, "warn", facts, about)
        notes.commands.append(search)
        return
    errors = [line for line in lines if line.level in ("error", "fatal")]
    warnings = [line for line in lines if line.level == "warn"]
    newest = (errors or warnings or list(lines))[-1]
    level: Literal["error", "warning", "line"] = (
        "error" if errors else "warning" if warnings else "line"
    )
    message = newest.msg or newest.text
    facts = EngineLogFacts(key, read, len(lines), len(errors), level, newest.time, message)
    state: CheckState = "fail" if errors else "warn" if warnings else "ok"
    notes.check(CheckKind.ENGINE_LOG, state, facts, about)
    if errors:
        notes.cause(3, EngineFailed(key, message), search, ENGINE_LAST_HOUR)


def _trail_check(
    notes: Notes, key: str, part: Part[Any], config: Config, *, missing_everywhere: bool
) -> None:
    """Failed AssumeRole calls; a cause when about this preview (its session name says so)
    or, with the preview nowhere, any of them."""
    report: cloudtrail.TrailReport | None = part.value
    if report is None:
        notes.unknown(CheckKind.ASSUME_ROLE, part.failure)
        return
    failed = [event for event in report.events if event.failed]
    unread = {f.backend for f in report.failures}
    read = tuple(env for env in report.envs if f"AWS {env} cloudtrail" not in unread)  # a name
    groups: dict[tuple[str, RoleRef, str, EnvName], list[cloudtrail.TrailEvent]] = {}
    for event in failed:
        caller, target = _role_name(event.principal), _role_target(event.target_role, config)
        groups.setdefault((caller, target, event.error_code, event.env), []).append(event)
    failures = []
    for (caller, target, code, env), events in groups.items():
        about_key = any(key.lower() in e.session_name.lower() for e in events)
        failures.append(
            RoleFailures(
                caller, target, code, len(events), events[0].time, env, key if about_key else ""
            )
        )
        if about_key or missing_everywhere:
            notes.cause(
                1 if about_key else 4,
                RoleDenied(caller, target, code, len(events)),
                suggest("trail", env, errors=True),
            )
    state: CheckState = "fail" if failed else "unknown" if report.failures else "ok"
    facts = TrailFacts(read, report.read, tuple(failures), tuple(report.failures))
    notes.check(CheckKind.ASSUME_ROLE, state, facts)


def _role_name(arn: str) -> str:
    """`arn:aws:sts::1:assumed-role/rtb-hub-sa/session` → rtb-hub-sa; a user ARN → its name;
    "" when CloudTrail names no caller."""
    if not arn:
        return ""
    path = arn.split(":", 5)[-1].split("/")
    return path[1] if path[0] == "assumed-role" and len(path) > 1 else path[-1]


def _role_target(role_arn: str, config: Config) -> RoleRef:
    """`arn:aws:iam::333…:role/rtb-hub-deployer` → prd's rtb-hub-deployer; an ARN of another
    account stays the ARN; an empty one is an unknown role."""
    fields = role_arn.split(":")
    if len(fields) < 6:
        return RoleRef(arn=role_arn)
    envs = [env for env, e in config.environments.items() if e.account_id == fields[4]]
    role = fields[5].rsplit("/", 1)[-1]
    return RoleRef(role=role, env=envs[0]) if envs else RoleRef(arn=role_arn)


def _access_check(
    notes: Notes, envs: Sequence[EnvName], parts: dict[str, Part[Any]], *, missing_everywhere: bool
) -> None:
    reviews: list[AccessReview] = []
    answers = []
    for env in envs:
        part = parts[ACCESS_REVIEW.format(env=env)]
        if part.value is None:
            assert part.failure is not None
            answers.append(EnvAccess(env, None, part.failure))
        else:
            reviews.append(part.value)
            answers.append(EnvAccess(env, part.value.allowed))
    short = reviews[0].subject.user.rsplit(":", 1)[-1] if reviews else ""
    denied = tuple(r.env for r in reviews if not r.allowed)
    state: CheckState = "fail" if denied else "ok" if len(reviews) == len(envs) else "unknown"
    notes.check(
        CheckKind.NAMESPACE_ACCESS, state, AccessFacts(tuple(answers)), Subject(account=short)
    )
    if denied and missing_everywhere:
        notes.cause(
            1,
            AccessDenied(denied, short),
            *(suggest("can-i", env, "create", "namespaces") for env in denied),
        )
