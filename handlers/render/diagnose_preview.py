"""The preview playbook's checks in words: namespace, pods, workflow-engine's log lines,
failed AssumeRole calls and the namespace access review."""

from __future__ import annotations

from handlers.render.diagnose_words import caller, clock, listing, one_line, role
from handlers.render.failures import failure_line, failure_text
from handlers.render.i18n import N_, _, number
from ops.diagnose.findings import (
    AccessFacts,
    EngineLogFacts,
    NamespaceFacts,
    PodProblem,
    PodsFacts,
    PodTrouble,
    RoleFailures,
    TrailFacts,
)


def namespace(facts: NamespaceFacts, timezone: str) -> str:
    clauses = []
    if facts.found:
        where = [_("{env} (being deleted)", env=env) if gone else env for env, gone in facts.found]
        clauses.append(_("Found in {envs}", envs=listing(where)))
    if facts.missing:
        missing = listing(facts.missing, "or")
        clauses.append(
            _("not in {envs}", envs=missing) if facts.found else _("Not in {envs}", envs=missing)
        )
    clauses += [
        _("unknown in {env} ({failure})", env=_env_of(f.backend), failure=failure_line(f))
        for f in facts.failed
    ]
    return "; ".join(clauses) + "."


def _env_of(backend: str) -> str:
    """`kubernetes prd` → prd."""
    words = backend.split()
    return words[1] if len(words) > 1 else backend


def pods(facts: PodsFacts, timezone: str) -> str:
    if not facts.total:
        return _("No pods: nothing deployed yet, or Fargate is still scheduling.")
    counts = {"healthy": number(facts.healthy), "total": number(facts.total)}
    if not facts.problems:
        return _("{healthy} of {total} pods healthy.", **counts)
    problems = "; ".join(_pod_problem(p, facts.slow_seconds) for p in facts.problems)
    return _("{healthy} of {total} pods healthy: {problems}.", problems=problems, **counts)


def _pod_problem(problem: PodProblem, slow_seconds: float) -> str:
    pod, restarts = problem.pod, number(problem.restarts)
    if problem.trouble is PodTrouble.OOM_KILLED:
        return _(
            "{pod} OOMKilled ({restarts} restarts, {reason})",
            pod=pod,
            restarts=restarts,
            reason=problem.reason,
        )
    if problem.trouble is PodTrouble.CRASH_LOOP:
        return _("{pod} CrashLoopBackOff ({restarts} restarts)", pod=pod, restarts=restarts)
    if problem.trouble is PodTrouble.IMAGE_PULL:
        return f"{pod} {problem.reason}"
    if problem.trouble is PodTrouble.SLOW_START:
        return _(
            "{pod} took {seconds} s to become Ready (Fargate cold start over {limit} s)",
            pod=pod,
            seconds=number(problem.start_seconds, digits=0),
            limit=number(slow_seconds),
        )
    return _(
        "{pod} {reason}, {ready}/{containers} ready",
        pod=pod,
        reason=problem.reason,
        ready=problem.ready,
        containers=problem.containers,
    )


NEWEST = {
    "error": N_(
        "{mentions} of its last {read} lines mention {key}, {errors} errors; "
        "newest error at {time}: {message}."
    ),
    "warning": N_(
        "{mentions} of its last {read} lines mention {key}, {errors} errors; "
        "newest warning at {time}: {message}."
    ),
    "line": N_(
        "{mentions} of its last {read} lines mention {key}, {errors} errors; "
        "newest line at {time}: {message}."
    ),
}


def engine_log(facts: EngineLogFacts, timezone: str) -> str:
    read = number(facts.read)
    if not facts.mentions:
        return _("None of its last {read} lines (24 h) mention {key}.", read=read, key=facts.key)
    return _(
        NEWEST[facts.newest_level],
        mentions=number(facts.mentions),
        read=read,
        key=facts.key,
        errors=number(facts.errors),
        time=clock(facts.newest_at, timezone),
        message=one_line(facts.newest_message),
    )


def trail(facts: TrailFacts, timezone: str) -> str:
    gaps = [failure_line(gap) for gap in facts.gaps]
    if not facts.failures:
        clauses = []
        if facts.read_envs:
            envs, read = listing(facts.read_envs), number(facts.read)
            clauses.append(_("None in {envs} ({read} read)", envs=envs, read=read))
        for gap in gaps:  # the first clause starts the sentence
            if clauses:
                clauses.append(_("not read: {failure}", failure=gap))
            else:
                clauses.append(_("Not read: {failure}", failure=gap))
        return "; ".join(clauses) + "."
    total = sum(f.count for f in facts.failures)
    groups = "; ".join(_role_failures(f, timezone) for f in facts.failures)
    clauses = [_("{count} failed: {groups}", count=number(total), groups=groups)]
    clauses += [_("not read: {failure}", failure=gap) for gap in gaps]
    return "; ".join(clauses) + "."


def _role_failures(group: RoleFailures, timezone: str) -> str:
    words = {
        "caller": caller(group.caller),
        "target": role(group.target),
        "code": group.code,
        "count": number(group.count),
        "time": clock(group.newest_at, timezone),
        "env": group.trail_env,
    }
    if group.about_key:
        return _(
            "{caller} → {target}: {code} ×{count}, newest {time} in {env}'s trail "
            "(session names {key})",
            key=group.about_key,
            **words,
        )
    return _("{caller} → {target}: {code} ×{count}, newest {time} in {env}'s trail", **words)


def access(facts: AccessFacts, timezone: str) -> str:
    answers = []
    for access in facts.envs:
        if access.allowed is None:
            reason = failure_text(access.failure) if access.failure else "?"
            answers.append(_("{env} unknown ({reason})", env=access.env, reason=reason))
        elif access.allowed:
            answers.append(_("{env} yes", env=access.env))
        else:
            answers.append(_("{env} NO", env=access.env))
    return " · ".join(answers) + "."
