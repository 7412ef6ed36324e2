"""A diagnose check in words: its name (what was looked at) and its finding (what was found).

One function per kind of facts (the preview playbook's in `diagnose_preview.py`); each joins
its clauses with "; " or " · " as the English always did, every clause a whole msgid so
Korean orders its words its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.render import diagnose_preview as preview
from handlers.render.diagnose_words import clock, one_line, times
from handlers.render.failures import failure_line
from handlers.render.i18n import N_, _, money, ngettext, number
from ops.diagnose import ENGINE, HUB_ENV
from ops.diagnose.findings import (
    AccessFacts,
    Check,
    CheckKind,
    CostByModelFacts,
    CostHourFacts,
    CostRate,
    CostTodayFacts,
    EngineLogFacts,
    ErrorRateFacts,
    Facts,
    FailedRunsFacts,
    KedaFacts,
    NamespaceFacts,
    PausedFacts,
    PodsFacts,
    ReplicaFacts,
    ReplicaVerdict,
    RunsByTypeFacts,
    TrailFacts,
    Unanswered,
    WaitingFacts,
)
from ops.executions import TypeRate

NAMES: dict[CheckKind, str] = {
    CheckKind.NAMESPACE: N_("Namespace {namespace}"),
    CheckKind.PODS: N_("Pods in {env}/{namespace}"),
    CheckKind.ENGINE_LOG: N_("{engine} log ({hub}) about {key}"),
    CheckKind.ASSUME_ROLE: N_("Failed AssumeRole calls (CloudTrail, 24 h)"),
    CheckKind.NAMESPACE_ACCESS: N_("{account} may create namespaces"),
    CheckKind.WAITING_JOBS: N_("BullMQ waiting jobs"),
    CheckKind.PAUSED_QUEUES: N_("Paused queues"),
    CheckKind.ERROR_RATE: N_("{engine} error rate"),
    CheckKind.FAILED_RUNS: N_("Failed runs, last hour"),
    CheckKind.ENGINE_REPLICAS: N_("{engine} in {hub}"),
    CheckKind.KEDA: N_("KEDA ScaledObject"),
    CheckKind.COST_HOUR: N_("AI cost, last hour"),
    CheckKind.COST_BY_MODEL: N_("AI cost by model and env"),
    CheckKind.RUNS_BY_TYPE: N_("Workflow runs by type, last hour"),
    CheckKind.COST_TODAY: N_("AI cost today"),
}
ROLLOUT_STATES = {
    "complete": N_("rollout complete"),
    "progressing": N_("rollout progressing"),
    "failed": N_("rollout failed"),
    "paused": N_("rollout paused"),
    "unobserved": N_("rollout unobserved"),
}
REPLICA_VERDICTS = {
    ReplicaVerdict.IDLE: N_("Scaled to 0 while idle: {replicas}"),
    ReplicaVerdict.SCALED_TO_ZERO: N_("Scaled to 0: {replicas}"),
    ReplicaVerdict.NO_READY: N_("No ready replica: {replicas}"),
}


def check_name(check: Check) -> str:
    about = check.about
    account = about.account or _("the hub's service account")
    return _(
        NAMES[check.kind],
        engine=ENGINE,
        hub=HUB_ENV,
        env=about.env,
        namespace=about.namespace,
        key=about.key,
        account=account,
    )


def finding(check: Check, timezone: str) -> str:
    """The finding, ending with a full stop."""
    return FINDINGS[type(check.facts)](check.facts, timezone)


def _unanswered(facts: Unanswered, timezone: str) -> str:
    if facts.failure is None:
        return _("Could not check (no answer).")
    return _("Could not check ({failure}).", failure=failure_line(facts.failure))


def _waiting(facts: WaitingFacts, timezone: str) -> str:
    queues = [
        _(
            "{queue} {pending} ({prioritized} prioritized)",
            queue=q.name,
            pending=number(q.pending),
            prioritized=number(q.prioritized),
        )
        if q.prioritized
        else f"{q.name} {number(q.pending)}"
        for q in facts.busiest
    ]
    return _(
        "{pending} waiting (threshold {limit}): {queues}.",
        pending=number(facts.pending),
        limit=number(facts.limit),
        queues=" · ".join(queues) or _("no queues"),
    )


def _paused(facts: PausedFacts, timezone: str) -> str:
    if not facts.queues:
        return _("None paused.")
    return (
        "; ".join(
            _("{queue} paused with {pending} waiting", queue=q.name, pending=number(q.pending))
            for q in facts.queues
        )
        + "."
    )


def _error_rate(facts: ErrorRateFacts, timezone: str) -> str:
    return _(
        "{percent} % ({failed} of {finished} runs that finished in {window} min; threshold "
        "{limit} %).",
        percent=number(facts.percent, digits=1),
        failed=number(facts.failed),
        finished=number(facts.finished),
        window=number(facts.window_minutes),
        limit=number(facts.limit),
    )


def _failed_runs(facts: FailedRunsFacts, timezone: str) -> str:
    if not facts.total:
        return _("None failed in the last hour.")
    types = " · ".join(f"{name} {number(runs)}" for name, runs in facts.by_type)
    total = number(facts.total)
    if facts.newest_error:
        error = one_line(facts.newest_error)
        return _("{total} failed: {types}; newest: {error}.", total=total, types=types, error=error)
    return _("{total} failed: {types}.", total=total, types=types)


def _replicas(facts: ReplicaFacts, timezone: str) -> str:
    replicas = _(
        "{ready} of {desired} replicas ready ({available} available), {rollout}.",
        ready=number(facts.ready),
        desired=number(facts.desired),
        available=number(facts.available),
        rollout=_(ROLLOUT_STATES.get(facts.rollout, facts.rollout)),
    )
    verdict = REPLICA_VERDICTS.get(facts.verdict)  # a running one needs no preamble
    return _(verdict, replicas=replicas) if verdict else replicas


def _keda(facts: KedaFacts, timezone: str) -> str:
    if not facts.name:
        return _("None targets {engine}: it is not autoscaled.", engine=ENGINE)
    clauses = [
        _(
            "{name}: {min}–{max} replicas, Ready {ready}, Active {active}",
            name=facts.name,
            min=_count(facts.min_replicas),
            max=_count(facts.max_replicas),
            ready=_yes(facts.ready),
            active=_yes(facts.active),
        )
    ]
    if facts.paused:
        clauses.append(_("autoscaling paused"))
    if facts.uncounted:
        missed = facts.uncounted
        clauses.append(
            _(
                "its redis trigger counts only {listed} ({waiting}), not {prioritized} prioritized",
                listed=missed.listed,
                waiting=number(missed.waiting),
                prioritized=number(missed.prioritized),
            )
        )
    return ", ".join(clauses) + "."


def _count(value: int | None) -> str:
    """A replica bound KEDA did not set is shown as "?"."""
    return "?" if value is None else number(value)


def _yes(value: bool | None) -> str:
    return "?" if value is None else _("yes") if value else _("NO")


def _cost_hour(facts: CostHourFacts, timezone: str) -> str:
    words = {
        "recent": money(facts.recent_usd),
        "calls": number(facts.calls),
        "usual": money(facts.usual_usd),
    }
    if facts.ratio is None:
        return _("{recent} in {calls} calls ({usual}/h, 7-day average).", **words)
    return _(
        "{recent} in {calls} calls, {ratio} the usual ({usual}/h, 7-day average).",
        ratio=times(facts.ratio),
        **words,
    )


def _cost_by_model(facts: CostByModelFacts, timezone: str) -> str:
    if not facts.rates:
        return _("No AI calls in the last hour.")
    return " · ".join(_model_cost(rate) for rate in facts.rates) + "."


def _model_cost(rate: CostRate) -> str:
    words = {
        "model": rate.model,
        "env": rate.env,
        "cost": money(rate.recent_usd),
        "calls": ngettext("{n} call", "{n} calls", rate.recent_calls),
    }
    if rate.ratio is None:
        return _("{model} {env} {cost} ({calls}, none in the previous 7 days)", **words)
    return _("{model} {env} {cost} ({calls}, {ratio} its usual)", ratio=times(rate.ratio), **words)


def _runs_by_type(facts: RunsByTypeFacts, timezone: str) -> str:
    if not facts.rates:
        return _("No runs in the last hour.")
    return " · ".join(_type_runs(rate) for rate in facts.rates) + "."


def _type_runs(rate: TypeRate) -> str:
    words = {
        "type": rate.workflow_type,
        "runs": number(rate.recent_runs),
        "usual": number(rate.usual_runs, digits=1),
    }
    if rate.ratio is None:
        return _("{type} {runs} vs {usual}/h usual (new)", **words)
    return _("{type} {runs} vs {usual}/h usual ({ratio})", ratio=times(rate.ratio), **words)


def _cost_today(facts: CostTodayFacts, timezone: str) -> str:
    return _(
        "{total} since {since} ({timezone}), {calls} calls; threshold {limit}/day.",
        total=money(facts.total_usd),
        since=clock(facts.since, facts.timezone),
        timezone=facts.timezone,
        calls=number(facts.calls),
        limit=money(facts.limit_usd),
    )


FINDINGS: dict[type[Facts], Callable[[Any, str], str]] = {
    Unanswered: _unanswered,
    NamespaceFacts: preview.namespace,
    PodsFacts: preview.pods,
    EngineLogFacts: preview.engine_log,
    TrailFacts: preview.trail,
    AccessFacts: preview.access,
    WaitingFacts: _waiting,
    PausedFacts: _paused,
    ErrorRateFacts: _error_rate,
    FailedRunsFacts: _failed_runs,
    ReplicaFacts: _replicas,
    KedaFacts: _keda,
    CostHourFacts: _cost_hour,
    CostByModelFacts: _cost_by_model,
    RunsByTypeFacts: _runs_by_type,
    CostTodayFacts: _cost_today,
}
