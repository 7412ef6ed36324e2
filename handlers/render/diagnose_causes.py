"""A diagnosis's likely cause in words: each cause found, or the conclusion when none was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.render.diagnose_checks import check_name
from handlers.render.diagnose_words import caller, listing, one_line, role, times
from handlers.render.i18n import N_, _, money, number
from ops.diagnose import ENGINE, HUB_ENV
from ops.diagnose.causes import (
    AccessDenied,
    Cause,
    Conclusion,
    CostsCalm,
    CostSpike,
    EngineDown,
    EngineFailed,
    Inconclusive,
    KedaPaused,
    KedaUndercounts,
    NoBacklog,
    NoPods,
    NothingFound,
    OverBudgetToday,
    Overloaded,
    PodsFailing,
    PreviewHealthy,
    QueuePaused,
    RoleDenied,
    RunsFailing,
    RunsSpike,
)
from ops.diagnose.findings import (
    PodTrouble,
)

POD_TROUBLES = {
    PodTrouble.OOM_KILLED: N_("{env}: {pods} in {namespace} ran out of memory (OOMKilled)"),
    PodTrouble.CRASH_LOOP: N_("{env}: {pods} in {namespace} keeps crashing"),
    PodTrouble.IMAGE_PULL: N_("{env}: the image of {pods} cannot be pulled"),
    PodTrouble.SLOW_START: N_("Only a slow start in {env}: {pods} took over {seconds} s"),
}


def likely_cause(causes: tuple[Cause, ...], conclusion: Conclusion | None) -> str:
    """The causes, most likely first, or the conclusion when none was found."""
    if causes:
        return "; ".join(CAUSES[type(cause)](cause) for cause in causes)
    return CONCLUSIONS[type(conclusion)](conclusion) if conclusion else ""


def _no_pods(cause: NoPods) -> str:
    return _("{env}: {namespace} exists but has no pods", env=cause.env, namespace=cause.namespace)


def _pods_failing(cause: PodsFailing) -> str:
    return _(
        POD_TROUBLES[cause.trouble],
        env=cause.env,
        namespace=cause.namespace,
        pods=listing(cause.pods),
        seconds=number(cause.slow_seconds),
    )


def _engine_failed(cause: EngineFailed) -> str:
    message = one_line(cause.message, 120)
    return _("{engine} failed on {key}: {message}", engine=ENGINE, key=cause.key, message=message)


def _role_denied(cause: RoleDenied) -> str:
    return _(
        "{caller} may not assume {target} ({code} {count}× in 24 h)",
        caller=caller(cause.caller),
        target=role(cause.target),
        code=cause.code,
        count=number(cause.count),
    )


def _access_denied(cause: AccessDenied) -> str:
    account = cause.account or _("the hub's service account")
    return _(
        "{envs}: {account} may not create namespaces", envs=listing(cause.envs), account=account
    )


def _overloaded(cause: Overloaded) -> str:
    return _(
        "Load: {waiting} jobs waiting while {engine} is healthy: more work than replicas",
        waiting=number(cause.waiting),
        engine=ENGINE,
    )


def _queue_paused(cause: QueuePaused) -> str:
    return _(
        "{queue} is paused with {waiting} jobs waiting",
        queue=cause.queue,
        waiting=number(cause.waiting),
    )


def _runs_failing(cause: RunsFailing) -> str:
    words = {
        "engine": ENGINE,
        "percent": number(cause.percent, digits=1),
        "window": number(cause.window_minutes),
        "limit": number(cause.limit),
        "type": cause.mostly,
    }
    if cause.newest_error:
        return _(
            "{engine} runs are failing: {percent} % in {window} min (threshold {limit} %), "
            "mostly {type} ({error}); failed jobs retry and pile up",
            error=one_line(cause.newest_error, 80),
            **words,
        )
    return _(
        "{engine} runs are failing: {percent} % in {window} min (threshold {limit} %), "
        "mostly {type}; failed jobs retry and pile up",
        **words,
    )


def _engine_down(cause: EngineDown) -> str:
    if not cause.desired:
        return _("{engine} is scaled to 0 in {hub}: nothing takes jobs", engine=ENGINE, hub=HUB_ENV)
    return _(
        "{engine} has no ready replica in {hub} (0 of {desired})",
        engine=ENGINE,
        hub=HUB_ENV,
        desired=number(cause.desired),
    )


def _keda_paused(cause: KedaPaused) -> str:
    return _("KEDA autoscaling of {engine} is paused", engine=ENGINE)


def _keda_undercounts(cause: KedaUndercounts) -> str:
    missed = cause.uncounted
    return _(
        "KEDA counts only {listed} ({waiting} jobs), not the {prioritized} prioritized ones: "
        "it scales for fewer jobs than are waiting",
        listed=missed.listed,
        waiting=number(missed.waiting),
        prioritized=number(missed.prioritized),
    )


def _cost_spike(cause: CostSpike) -> str:
    words = {"model": cause.model, "env": cause.env, "cost": money(cause.recent_usd)}
    if cause.ratio is None:
        return _("{model} in {env}: {cost} in the last hour, none in the previous 7 days", **words)
    return _(
        "{model} in {env}: {cost} in the last hour, {ratio} its usual",
        ratio=times(cause.ratio),
        **words,
    )


def _runs_spike(cause: RunsSpike) -> str:
    words = {"type": cause.workflow_type, "runs": number(cause.recent_runs)}
    if not cause.usual_runs:
        return _("{type} ran {runs} times vs none usually", **words)
    usual = number(cause.usual_runs, digits=0)
    return _("{type} ran {runs} times vs {usual}/h usual", usual=usual, **words)


def _over_budget_today(cause: OverBudgetToday) -> str:
    words = {"total": money(cause.total_usd), "limit": money(cause.limit_usd)}
    if cause.spiked:
        return _("Today's AI cost {total} is over the {limit}/day threshold", **words)
    return _(
        "No spike in the last hour, but today's AI cost {total} is over the {limit}/day threshold",
        **words,
    )


CAUSES: dict[type[Cause], Callable[[Any], str]] = {
    NoPods: _no_pods,
    PodsFailing: _pods_failing,
    EngineFailed: _engine_failed,
    RoleDenied: _role_denied,
    AccessDenied: _access_denied,
    Overloaded: _overloaded,
    QueuePaused: _queue_paused,
    RunsFailing: _runs_failing,
    EngineDown: _engine_down,
    KedaPaused: _keda_paused,
    KedaUndercounts: _keda_undercounts,
    CostSpike: _cost_spike,
    RunsSpike: _runs_spike,
    OverBudgetToday: _over_budget_today,
}


def _preview_healthy(conclusion: PreviewHealthy) -> str:
    return _(
        "Nothing wrong with this preview: it is up in {envs}, its pods healthy.",
        envs=listing(conclusion.envs),
    )


def _nothing_found(conclusion: NothingFound) -> str:
    return _(
        "No namespace and no error found: nothing mentions {key}; the request may never have "
        "reached the hub.",
        key=conclusion.key,
    )


def _no_backlog(conclusion: NoBacklog) -> str:
    return _(
        "No backlog: {waiting} jobs waiting, within the threshold of {limit}.",
        waiting=number(conclusion.waiting),
        limit=number(conclusion.limit),
    )


def _costs_calm(conclusion: CostsCalm) -> str:
    return _("No spike: the last hour is within its usual range, and so is today.")


def _inconclusive(conclusion: Inconclusive) -> str:
    if conclusion.partial:
        return _("Inconclusive: nothing wrong in what answered, but not every source did.")
    if not conclusion.unknown:
        return _("Inconclusive: no check points at a cause.")
    checks = listing([check_name(check) for check in conclusion.unknown])
    return _("Inconclusive: could not check {checks}.", checks=checks)


CONCLUSIONS: dict[type[Conclusion], Callable[[Any], str]] = {
    PreviewHealthy: _preview_healthy,
    NothingFound: _nothing_found,
    NoBacklog: _no_backlog,
    CostsCalm: _costs_calm,
    Inconclusive: _inconclusive,
}
