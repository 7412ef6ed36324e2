"""One message per user error (`ops.problems.Problem`), in the reader's language.

Each takes the arguments already formatted by `handlers/render/errors.py` (numbers per locale,
lists joined, a cause worded) and places them in one whole sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from handlers.render.i18n import _
from ops.problems import Problem

Words = Callable[[dict[str, Any]], str]
WHAT = {  # the kinds of value `Problem.NOT_VALID` names
    "queue_name": lambda: _("queue name"),
    "issue_key": lambda: _("issue key"),
    "preview": lambda: _("preview (issue key)"),
    "namespace_name": lambda: _("namespace name"),
}


def _ticked(names: str) -> str:
    return ", ".join(f"`{name}`" for name in names.split(", ")) if names else ""


def _utc_minute(iso: str) -> str:
    return f"{datetime.fromisoformat(iso.replace('Z', '+00:00')):%Y-%m-%d %H:%M}"


def _unknown_queue(a: dict[str, Any]) -> str:
    known = _ticked(a["known"]) or _("none")
    if a["close"]:
        return _(
            "There is no queue `{queue}`. Did you mean {close}? Watched queues: {known}.",
            queue=a["queue"],
            close=_ticked(a["close"]),
            known=known,
        )
    return _("There is no queue `{queue}`. Watched queues: {known}.", queue=a["queue"], known=known)


def _not_valid(a: dict[str, Any]) -> str:
    what = WHAT[a["what"]]()
    return _(
        "`{value}` is not a valid {what}: it {why}.", value=a["value"], what=what, why=a["why"]
    )


def _containers(names: str) -> str:
    return _ticked(names) or _("none")


def _revisions(names: str) -> str:
    return names or _("none")


MESSAGES: dict[Problem, Words] = {
    # values a user typed
    Problem.QUEUE_NAME_SHAPE: lambda a: _(
        "must be a queue name: letters, digits and - _ . : (at most 100)"
    ),
    Problem.ISSUE_KEY_SHAPE: lambda a: _("must be a Jira issue key like PROJ-123"),
    Problem.NAMESPACE_REF_SHAPE: lambda a: _(
        "must be a Jira issue key like PROJ-123 (or a preview namespace name)"
    ),
    Problem.TTL_SHAPE: lambda a: _("must be a duration like 8h, 90m or 2d"),
    Problem.TTL_RANGE: lambda a: _("must be between 1h and 7d"),
    Problem.IMAGE_TAG_SHAPE: lambda a: _(
        "must be an image tag: letters, digits, '_', '.' and '-', at most 128 characters, "
        "not starting with '.' or '-'"
    ),
    Problem.EVENT_NAME_SHAPE: lambda a: _(
        "must be a CloudTrail event name: letters and digits, at most 128"
    ),
    Problem.TEXT_EMPTY: lambda a: _("must not be empty"),
    Problem.TEXT_TOO_LONG: lambda a: _("must be at most {most} characters", **a),
    Problem.TEXT_CONTROL: lambda a: _(
        "must not contain control characters (newlines, tabs, invisible marks)"
    ),
    Problem.LOG_LIMIT_RANGE: lambda a: _("limit must be between 1 and {most}", **a),
    Problem.MIN_DURATION_RANGE: lambda a: _("the minimum duration is out of range"),
    Problem.NOT_ONE_OF: lambda a: _("{what} must be one of {options}", **a),
    Problem.LOG_GROUP_COUNT: lambda a: _("a query reads 1 to {most} log groups", **a),
    Problem.NOT_VALID: _not_valid,
    Problem.SEARCH_REFUSED: lambda a: _("Cannot search for that: {why}.", **a),
    Problem.NOT_AN_ISSUE_KEY: lambda a: _("`{value}` is not a Jira issue key: it {why}.", **a),
    Problem.VALUE_ONE_OF: lambda a: _("must be one of: {options}", **a),
    Problem.LABEL_SELECTOR_SHAPE: lambda a: _(
        "expected key=value (or key!=value), comma-separated"
    ),
    Problem.LABEL_KEY_SHAPE: lambda a: _(
        "`{key}` is not a label key (letters, digits, - _ . and an optional dns-prefix/); "
        "expected key=value or key!=value, comma-separated",
        **a,
    ),
    Problem.LABEL_VALUE_SHAPE: lambda a: _(
        "`{value}` is not a label value (letters, digits, - _ .)", **a
    ),
    Problem.RESOURCE_SHAPE: lambda a: _(
        "must be a lowercase plural resource, e.g. pods, deployments/scale"
    ),
    Problem.SUBJECT_SHAPE: lambda a: _("must be a user name or {form}", **a),
    Problem.ENV_NOT_CONFIGURED: lambda a: _(
        "`{env}` is not configured here (known: {known}).", **a
    ),
    Problem.NO_CLUSTER: lambda a: _(
        "{env}: no Kubernetes cluster is configured (eks_cluster or kube_context)", **a
    ),
    # queues
    Problem.QUEUE_UNKNOWN: _unknown_queue,
    Problem.QUEUE_RETRY_LIMIT_LOW: lambda a: _(
        "The limit must be at least 1 (or leave it out to retry every failed job)."
    ),
    Problem.QUEUE_RETRY_LIMIT_RANGE: lambda a: _("The limit must be between 1 and {most}.", **a),
    Problem.QUEUE_ALREADY_PAUSED: lambda a: _(
        "`{queue}` is already paused. `{command}` resumes it.", **a
    ),
    Problem.QUEUE_NOT_PAUSED: lambda a: _(
        "`{queue}` is not paused: its workers are taking jobs.", **a
    ),
    Problem.QUEUE_NO_FAILED_JOBS: lambda a: _(
        "`{queue}` has no failed jobs: nothing to retry.", **a
    ),
    # Kubernetes objects, images
    Problem.NO_NAMESPACE: lambda a: _("{env}: there is no namespace `{namespace}`.", **a),
    Problem.NO_DEPLOYMENT: lambda a: _(
        "{env}: there is no deployment `{deployment}` in namespace `{namespace}`.", **a
    ),
    Problem.DEPLOYMENT_MISSING: lambda a: _(
        "No deployment `{deployment}` in `{namespace}` ({env}).", **a
    ),
    Problem.NO_DEPLOYMENT_OR_POD: lambda a: _(
        "No deployment or pod `{target}` in `{namespace}` ({env}).", **a
    ),
    Problem.DEPLOYMENT_WITHOUT_PODS: lambda a: _(
        "Deployment `{deployment}` in `{namespace}` ({env}) has no pods (scaled to 0?).", **a
    ),
    Problem.POD_NO_CONTAINER: lambda a: _(
        "Pod `{pod}` has no container `{container}` ({containers}).",
        pod=a["pod"],
        container=a["container"],
        containers=_containers(a["containers"]),
    ),
    Problem.NOT_RESTARTED: lambda a: _(
        "Container `{container}` of pod `{pod}` has not restarted: there is no previous run to "
        "read (drop `--previous` for its current log).",
        **a,
    ),
    Problem.RBAC_DENIED: lambda a: _(
        "Kubernetes denied {verb} {resource} in {namespace} (HTTP 403): "
        "the bot's role lacks that permission",
        **a,
    ),
    Problem.TAG_NOT_IN_REPOSITORY: lambda a: _(
        "tag `{tag}` is not in {repository} (newest: {newest}).",
        tag=a["tag"],
        repository=a["repository"],
        newest=a["newest"] or _("none"),
    ),
    # preview namespaces
    Problem.NOT_A_PREVIEW: lambda a: _(
        "{env}: `{namespace}` is not a preview namespace (it has no `{label}=true` label): "
        "it is core infrastructure, and {env} core infrastructure is never modified from the bot.",
        **a,
    ),
    Problem.NO_SUCH_PREVIEW: lambda a: _(
        "{env}: there is no preview namespace `{namespace}`. `{command}` lists them.", **a
    ),
    Problem.PREVIEW_TERMINATING: lambda a: _("{env}: `{namespace}` is already being deleted.", **a),
    Problem.PREVIEW_EXISTS: lambda a: _("{env}: `{namespace}` already exists.", **a),
    Problem.PREVIEW_EXISTS_UNTIL: lambda a: _(
        "{env}: `{namespace}` already exists (expires {expires} UTC).",
        env=a["env"],
        namespace=a["namespace"],
        expires=_utc_minute(a["expires"]),
    ),
    Problem.PREVIEW_GONE_MEANWHILE: lambda a: _(
        "{env}: `{namespace}` was deleted by someone else meanwhile.", **a
    ),
    Problem.PREVIEW_RECREATED: lambda a: _(
        "{env}: `{namespace}` was deleted and created again meanwhile; the bot did not delete "
        "the new one.",
        **a,
    ),
    Problem.PREVIEW_CHANGED_WHILE_DELETING: lambda a: _(
        "{env}: `{namespace}` changed while the bot deleted it (HTTP 409 Conflict from the "
        "cluster); nothing was deleted.",
        **a,
    ),
    Problem.PREVIEW_TTL_CHANGED: lambda a: _(
        "{env}: the TTL of `{namespace}` is no longer what this was asked for (it is now no "
        "expiry): someone changed it meanwhile; nothing was changed.",
        **a,
    ),
    Problem.PREVIEW_TTL_CHANGED_TO: lambda a: _(
        "{env}: the TTL of `{namespace}` is no longer what this was asked for (it is now "
        "{expires}): someone changed it meanwhile; nothing was changed.",
        **a,
    ),
    Problem.PREVIEW_FORBIDDEN: lambda a: _(
        "{env}: the bot's identity may not {verb} {resource} (HTTP 403 from the cluster). "
        "Its RBAC needs `{verb}` on `{resource}`.",
        **a,
    ),
    Problem.PREVIEW_FORBIDDEN_ROLE: lambda a: _(
        "{env}: the bot's role `{role}` may not {verb} {resource} (HTTP 403 from the cluster). "
        "Its RBAC needs `{verb}` on `{resource}`.",
        **a,
    ),
    Problem.PREVIEW_TTL_RANGE: lambda a: _("The TTL must be between 1h and 7d."),
    Problem.EXTENSION_NOT_LATER: lambda a: _("An extension must move the TTL later."),
    Problem.EXTENSION_TOO_FAR: lambda a: _(
        "{env}: extending by {step} would keep the preview more than 7 days from now; delete "
        "it and create it again instead.",
        **a,
    ),
    Problem.EXTENSION_UNREADABLE: lambda a: _("That extension's times are not readable."),
    Problem.NOTHING_EXPIRED: lambda a: _(
        "{env}: no preview namespace has expired; there is nothing to delete.", **a
    ),
    Problem.TOO_MANY_EXPIRED: lambda a: _(
        "{env}: {count} expired previews, at most {most} at once.", **a
    ),
    Problem.NONE_DELETED: lambda a: _(
        "no expired preview was deleted ({failures})", failures="; ".join(a["failures"])
    ),
    Problem.CLEANUP_REFUSED: lambda a: f"{a['namespace']}: {a['why']}",
    Problem.CLEANUP_BACKEND: lambda a: f"{a['namespace']}: {a['failure']}",
    Problem.CLEANUP_UNCLEAR: lambda a: _("no clear answer ({parts})", parts="; ".join(a["parts"])),
    Problem.CLEANUP_GONE: lambda a: _("already gone"),
    Problem.CLEANUP_CORE: lambda a: _("not a preview namespace (core infrastructure)"),
    Problem.CLEANUP_EXTENDED: lambda a: _("no longer expired (its TTL was extended)"),
    Problem.CLEANUP_TERMINATING: lambda a: _("already being deleted"),
    # deployments, KEDA, rollbacks
    Problem.NOT_AUTOSCALED: lambda a: _(
        "`{deployment}` in `{namespace}` ({env}) is not driven by a KEDA ScaledObject: there is "
        "no autoscaling to resume.",
        **a,
    ),
    Problem.AUTOSCALING_NOT_PAUSED: lambda a: _(
        "KEDA autoscaling of `{deployment}` in `{namespace}` ({env}) is not paused (ScaledObject "
        "`{scaled_object}`): nothing to resume.",
        **a,
    ),
    Problem.NO_LONGER_AUTOSCALED: lambda a: _(
        "`{deployment}` is no longer driven by a KEDA ScaledObject.", **a
    ),
    Problem.KEDA_UNKNOWABLE: lambda a: _(
        "Kubernetes denied {verb} {resource} in {namespace} (HTTP 403): the bot's role lacks "
        "that permission (needed to tell whether KEDA drives the deployment)",
        **a,
    ),
    Problem.NO_SUCH_CONTAINER: lambda a: _(
        "`{deployment}` has no container `{container}` (containers: {containers}).",
        deployment=a["deployment"],
        container=a["container"],
        containers=_containers(a["containers"]),
    ),
    Problem.SEVERAL_CONTAINERS: lambda a: _(
        "`{deployment}` has several containers ({containers}): choose one with --container.",
        deployment=a["deployment"],
        containers=_containers(a["containers"]),
    ),
    Problem.NO_SUCH_REVISION: lambda a: _(
        "`{deployment}` in `{namespace}` ({env}) has no revision {revision}; its revisions are: "
        "{revisions}.",
        **(a | {"revisions": _revisions(a["revisions"])}),
    ),
    Problem.NO_PREVIOUS_REVISION: lambda a: _(
        "`{deployment}` in `{namespace}` ({env}) has no previous revision to roll back to "
        "(revisions: {revisions}).",
        **(a | {"revisions": _revisions(a["revisions"])}),
    ),
    Problem.ALREADY_AT_REVISION: lambda a: _(
        "`{deployment}` in `{namespace}` ({env}) already runs the template of revision "
        "{revision}: nothing to roll back.",
        **a,
    ),
    Problem.EMERGENCY_PARAMS: lambda a: _(
        "an emergency rollback always covers the configured hub deployments"
    ),
    Problem.PARTS_REFUSED: lambda a: " ".join(a["parts"]),  # each part is its own sentence
    Problem.PARTS_FAILED: lambda a: "; ".join(a["parts"]),
    Problem.PART_REFUSED: lambda a: f"{a['deployment']}: {a['why']}",
    Problem.PART_FAILED_AT_BACKEND: lambda a: f"{a['deployment']}: {a['failure']}",
    Problem.PART_BACKEND_FAILED: lambda a: f"{a['deployment']}: {a['backend']}: {a['reason']}",
    Problem.PARTS_UNCLEAR: lambda a: _(
        "{backend}: no part is known to be applied, and some may have been: {parts}",
        backend=a["backend"],
        parts="; ".join(a["parts"]),
    ),
    Problem.PARTLY_APPLIED: lambda a: _(
        "{backend}: partly applied: {parts}", backend=a["backend"], parts="; ".join(a["parts"])
    ),
    Problem.PART_ROLLED_BACK: lambda a: _("{deployment}: rolled back to revision {revision}", **a),
    Problem.NO_CLEAR_ANSWER: lambda a: (
        _("{failure}; current state: revision {revision}, {replicas} ({images})", **a)
        if a["revision"]
        else _("{failure}; current state: {replicas} ({images})", **a)
    ),
    Problem.NO_CLEAR_ANSWER_UNREAD: lambda a: _(
        "{failure}; current state: unknown (it could not be read either)", **a
    ),
    # the gate
    Problem.FORM_EXPIRED: lambda a: _(
        "That form is no longer valid (expired, already sent, or not yours). Run the command again."
    ),
    Problem.CONFIRMATION_EXPIRED: lambda a: _(
        "That confirmation is no longer valid (expired, already answered, or not yours: only "
        "the person who asked can confirm it). Nothing was changed."
    ),
    Problem.OFFER_EXPIRED: lambda a: _("That button has expired. Run the command again."),
    Problem.REASON_REQUIRED: lambda a: _(
        "A reason is required: what is this change for (e.g. an incident id)?"
    ),
    Problem.REASON_TOO_LONG: lambda a: _(
        "The reason is too long (at most {most} characters).", **a
    ),
    Problem.NOTE_TOO_LONG: lambda a: _("The note is too long (at most {most} characters).", **a),
    Problem.REASON_UNSTORABLE: lambda a: _(
        "The reason contains {character}, which cannot be stored. Write it without it.", **a
    ),
    Problem.NOTE_UNSTORABLE: lambda a: _(
        "The note contains {character}, which cannot be stored. Write it without it.", **a
    ),
    Problem.NOT_AUDITED: lambda a: _("not run: the audit log stopped answering"),
    Problem.POLICY_NOW_OTHER_ACTION: lambda a: _(
        "the policy no longer allows this change: it is now a {action}", **a
    ),
    Problem.DIGEST_MISMATCH: lambda a: _("the stored parameters do not match their digest"),
    Problem.POLICY_NO_LONGER_ALLOWS: lambda a: _("the policy no longer allows this change"),
    Problem.UNEXPECTED: lambda a: _("unexpected error (see the bot's log)"),
}
