"""`/rtb diagnose preview <KEY>`: why a preview environment was not created (§5.3)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from ops import cloudtrail, cluster
from ops.backends.container import Backends
from ops.cluster import AccessReview, LogLine, PodSummary
from ops.config import Config, EnvName
from ops.diagnose.common import (
    ENGINE,
    ENGINE_LOG_LINES,
    HUB_ENV,
    IMAGE_PULL,
    TRAIL_WINDOW,
    CheckState,
    Diagnosis,
    Notes,
    Obj,
    clock,
    envs_text,
    gather,
    issue_key,
    one_line,
    preview_namespace,
)
from ops.errors import Problem, UserError
from ops.fanout import Failed, Part
from ops.suggestions import Suggestion, suggest

ENGINE_LAST_HOUR = suggest("logs", HUB_ENV, ENGINE, since="1h")


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
    calls["workflow-engine log"] = _engine_lines(backends, key)
    calls["CloudTrail"] = cloudtrail.lookup(
        backends, envs, event="AssumeRole", since=TRAIL_WINDOW, errors_only=True
    )
    for env in envs:
        calls[f"kubernetes {env} access review"] = _may_create_namespaces(backends, env)
    parts = await gather(config, calls)

    notes = Notes()
    previews = _namespace_check(notes, namespace, envs, parts)
    for preview in previews:
        _pods_check(notes, namespace, preview, config.thresholds.pod_start_seconds)
    # the key's lines are where its preview is (its pods'), else in int (the hub's services)
    search = search_issue(key, previews[0].env if previews else HUB_ENV)
    _engine_check(notes, key, parts["workflow-engine log"], config.timezone, search)
    _trail_check(notes, key, parts["CloudTrail"], config, missing_everywhere=not previews)
    _access_check(notes, envs, parts, missing_everywhere=not previews)
    if not previews:
        notes.commands.append(ENGINE_LAST_HOUR)
    if previews:
        where = envs_text([p.env for p in previews])
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
        *(suggest("previews", p.env) for p in previews),
        search,
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
    notes: Notes, namespace: str, envs: Sequence[EnvName], parts: dict[str, Part[Any]]
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
        facts.append(f"Found in {envs_text(where)}")
    if missing:
        facts.append(f"{'not' if found else 'Not'} in {envs_text(missing, 'or')}")
    facts += [f"unknown in {f.backend.split()[1]} ({f.backend}: {f.reason})" for f in failed]
    state: CheckState = "ok" if found else "unknown" if failed else "fail"
    if any(p.terminating for p in found):
        state = "warn"
    notes.check(f"Namespace {namespace}", state, "; ".join(facts) + ".")
    return found


def _pods_check(notes: Notes, namespace: str, preview: _EnvPreview, slow_seconds: float) -> None:
    env, pods = preview.env, preview.pods
    name = f"Pods in {env}/{namespace}"
    if not pods:
        notes.check(name, "warn", "No pods: nothing deployed yet, or Fargate is still scheduling.")
        text = f"{env}: {namespace} exists but has no pods"
        notes.cause(5, text, suggest("pods", env, namespace))
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
        suggest("pods", env, namespace),
        suggest("logs", env, first.name, namespace=namespace),
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
    return envs_text([p.name for p in pods])


def _engine_check(
    notes: Notes, key: str, part: Part[_EngineLines], timezone: str, search: Suggestion
) -> None:
    """`search`: the command that shows the key's log lines (suggested when the pod log's
    tail does not name the key, and beside the pod log when it names an error)."""
    name = f"{ENGINE} log ({HUB_ENV}) about {key}"
    if part.value is None:
        notes.unknown(name, part.failure)
        return
    read, lines = part.value.read, part.value.mentions
    if not lines:
        notes.check(name, "warn", f"None of its last {read} lines (24 h) mention {key}.")
        notes.commands.append(search)
        return
    errors = [line for line in lines if line.level in ("error", "fatal")]
    warnings = [line for line in lines if line.level == "warn"]
    newest = (errors or warnings or list(lines))[-1]
    what = "error" if errors else "warning" if warnings else "line"
    finding = (
        f"{len(lines)} of its last {read} lines mention {key}, {len(errors)} errors; "
        f"newest {what} at {clock(newest.time, timezone)}: {one_line(newest.msg or newest.text)}"
    )
    state: CheckState = "fail" if errors else "warn" if warnings else "ok"
    notes.check(name, state, finding + ".")
    if errors:
        text = f"{ENGINE} failed on {key}: {one_line(newest.msg or newest.text, 120)}"
        notes.cause(3, text, search, ENGINE_LAST_HOUR)


def _trail_check(
    notes: Notes, key: str, part: Part[Any], config: Config, *, missing_everywhere: bool
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
        facts = [f"None in {envs_text(read)} ({report.read} read)"] if read else []
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
            f"{clock(events[0].time, config.timezone)} in {env}'s trail"
            + (f" (session names {key})" if about_key else "")
        )
        if about_key or missing_everywhere:
            notes.cause(
                1 if about_key else 4,
                f"{caller} may not assume {target} ({code} {len(events)}× in 24 h)",
                suggest("trail", env, errors=True),
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
    notes: Notes, envs: Sequence[EnvName], parts: dict[str, Part[Any]], *, missing_everywhere: bool
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
            f"{envs_text(denied)}: {short} may not create namespaces",
            *(suggest("can-i", env, "create", "namespaces") for env in denied),
        )


# == backlog: "BullMQ 잡이 쌓이는 경우" ============================================================
