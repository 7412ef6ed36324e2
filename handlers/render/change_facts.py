"""A change's facts in the reader's words (approvals/facts.py): the states a card, a
confirmation, a result and a drift show, and why a change asks to be confirmed.

`said_text(said)` words a fact; a text (what older stored rows hold) is shown as written. Names,
numbers of revisions and images stay as they are in every language; counts are grouped per
locale. A change of several deployments is one fact per deployment, joined by `; `.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from approvals import facts as f
from approvals.workload_mutations import describe_images, short_image
from handlers.render.i18n import _, ngettext, number
from handlers.render.stored_errors import stored_text
from ops.timestamps import parse_time


def said_text(said: f.Said) -> str:
    """One fact (or an older row's text) as a few words: `3 replicas (app=repo:v1)`."""
    if isinstance(said, str):
        return said
    return _WORDS[type(said)](said)


def worded_kinds() -> frozenset[type[f.Fact]]:
    """Every fact kind this module words (a test checks it is every kind there is)."""
    return frozenset(_WORDS)


# -- queues --------------------------------------------------------------------------------


def _queue_state(fact: Any) -> str:
    words = [_("paused") if fact.paused else _("running")]
    if fact.waiting is not None:
        words.append(_("{count} waiting", count=number(fact.waiting)))
    if fact.failed is not None:
        words.append(_("{count} failed", count=number(fact.failed)))
    return ", ".join(words)


def _failed_retried(fact: Any) -> str:
    left = number(max(fact.failed - fact.retried, 0))
    if fact.retried == fact.failed:
        text = _("all retried, {left} failed", left=left)
    else:
        text = _("the {count} newest retried, {left} failed", count=number(fact.retried), left=left)
    if fact.paused:
        text += " " + _("(the queue is paused: they wait until it is resumed)")
    return text


# -- deployments, KEDA, rollouts --------------------------------------------------------------


def replicas(count: int | None) -> str:
    if count is None:
        return _("? replicas")
    return ngettext("{n} replica", "{n} replicas", count)


def _replicas_now(fact: Any) -> str:
    text = replicas(fact.count)
    if fact.images:
        images = ", ".join(f"{c}={i}" for c, i in sorted(fact.images.items()))
        text = _("{replicas} ({images})", replicas=text, images=images)
    if fact.scaled_object is None:
        return text
    if fact.keda_paused_at is not None:
        paused_at = number(fact.keda_paused_at)
        return _("{state} (KEDA paused at {count})", state=text, count=paused_at)
    return _(
        "{state} (autoscaled by KEDA ScaledObject `{name}`)", state=text, name=fact.scaled_object
    )


def _scaled_to(fact: Any) -> str:
    if fact.scaled_object is None:
        return replicas(fact.count)
    return _(
        "{replicas} (KEDA ScaledObject `{name}` paused at {count})",
        replicas=replicas(fact.count),
        name=fact.scaled_object,
        count=number(fact.count),
    )


def _revision(fact: Any) -> str:
    number_ = "?" if fact.number is None else str(fact.number)
    images = describe_images(fact.images) if fact.images else "?"
    if fact.deployment is None:
        return _("revision {number} ({images})", number=number_, images=images)
    return _(
        "{deployment} revision {number} ({images})",
        deployment=fact.deployment,
        number=number_,
        images=images,
    )


def _image_at(fact: Any) -> str:
    return _(
        "revision {number}: {container}={image}",
        number="?" if fact.revision is None else str(fact.revision),
        container=fact.container,
        image=short_image(fact.image),
    )


def _emergency(fact: Any) -> str:
    return _("An emergency rollback rolls {deployments} back at once.", deployments=_and(fact))


def _and(fact: Any) -> str:
    names: Sequence[str] = [f"`{name}`" for name in fact.deployments]
    if len(names) < 2:
        return "".join(names)
    return _("{names} and {last}", names=", ".join(names[:-1]), last=names[-1])


# -- preview namespaces ----------------------------------------------------------------------


def _preview_exists(fact: Any) -> str:
    if fact.exists:
        return _("{namespace} exists", namespace=fact.namespace)
    return _("{namespace} does not exist", namespace=fact.namespace)


def _preview_to_create(fact: Any) -> str:
    return _(
        "{namespace} ({key}, expires {ttl} after creation)",
        namespace=fact.namespace,
        key=fact.issue_key,
        ttl=ttl_text(fact.ttl_seconds),
    )


def ttl_text(seconds: int) -> str:
    """`3d`, `8h`, `90m`: the largest whole unit (the way the TTL was typed)."""
    hours, rest = divmod(seconds, 3600)
    if rest:
        return _("{count}m", count=seconds // 60)
    if hours % 24 == 0:
        return _("{count}d", count=hours // 24)
    return _("{count}h", count=hours)


def _preview_state(fact: Any) -> str:
    moment = parse_time(fact.expires_at)
    at = moment.strftime("%Y-%m-%d %H:%M") if moment else ""
    expiry = _("expires {at} UTC", at=at) if moment else _("no expiry")
    key = fact.issue_key or "?"
    return _("{namespace} ({key}, {expiry})", namespace=fact.namespace, key=key, expiry=expiry)


def _expired(fact: Any) -> str:
    if not fact.namespaces:
        return _("none expired")
    return _(
        "{count} expired: {names}",
        count=number(len(fact.namespaces)),
        names=", ".join(fact.namespaces),
    )


def _cleaned_up(fact: Any) -> str:
    if fact.by_hub:
        return _("removed by the hub's cleanupExpired() (its records follow)")
    return _("deleted directly (the hub's records are not updated)")


_WORDS: dict[type[f.Fact], Callable[[Any], str]] = {
    f.QueueState: _queue_state,
    f.QueueRunning: lambda _fact: _("running"),
    f.QueuePausedKeeping: lambda fact: _(
        "paused ({count} waiting stay queued)", count=number(fact.waiting)
    ),
    f.QueuePaused: lambda fact: _("paused ({count} waiting)", count=number(fact.waiting)),
    f.QueueResumed: lambda _fact: _("running (workers take jobs again)"),
    f.FailedJobs: lambda fact: _("{count} failed", count=number(fact.failed)),
    f.FailedRetried: _failed_retried,
    f.Replicas: _replicas_now,
    f.ScaledTo: _scaled_to,
    f.KedaPaused: lambda fact: _("KEDA paused at {count}", count=number(fact.paused_at)),
    f.KedaResumed: lambda fact: _(
        "autoscaled by KEDA ScaledObject `{name}` again", name=fact.scaled_object
    ),
    f.ScaleToZero: lambda fact: _(
        "Scaling to 0 stops `{deployment}`: it serves nothing until it is scaled up again.",
        deployment=fact.deployment,
    ),
    f.AboveMaxReplicas: lambda fact: _(
        "{replicas} replicas is more than the configured maximum of {most} (hub.max_replicas).",
        replicas=number(fact.replicas),
        most=number(fact.most),
    ),
    f.Revision: _revision,
    f.ImageAt: _image_at,
    f.ContainerImage: lambda fact: f"{fact.container}: {short_image(fact.image)}",
    f.PartState: lambda fact: f"{fact.deployment}: {said_text(fact.state)}",
    f.PartRefused: lambda fact: f"{fact.deployment}: {stored_text(fact.refusal)}",
    f.PartUnchanged: lambda fact: _("{deployment}: unchanged", deployment=fact.deployment),
    f.Parts: lambda fact: "; ".join(said_text(part) for part in fact.parts),
    f.EmergencyRollbackAtOnce: _emergency,
    f.PreviewExists: _preview_exists,
    f.NoPreview: lambda _fact: _("no preview namespace"),
    f.PreviewToCreate: _preview_to_create,
    f.PreviewState: _preview_state,
    f.PreviewDeleted: lambda _fact: _("deleted, with everything in it"),
    f.ExpiredPreviews: _expired,
    f.CleanedUp: _cleaned_up,
}
