"""Access reviews (`kubectl auth can-i --as`): may a user or service account do a verb on a
resource? A SubjectAccessReview POST, which the API server evaluates and does not store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ops.backends.container import Backends
from ops.config import EnvName
from ops.errors import Invalid, Problem
from ops.kube_objects import mapping
from ops.label_selectors import DNS_PREFIX

VERBS = (
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "impersonate",
    "*",
)
# Groups of the resources an operator asks about; anything else is taken as core ("") unless
# given as `resource.group` (as kubectl writes it: `scaledobjects.keda.sh`).
RESOURCE_GROUPS = {
    **dict.fromkeys(
        ("deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions"), "apps"
    ),
    **dict.fromkeys(("jobs", "cronjobs"), "batch"),
    "horizontalpodautoscalers": "autoscaling",
    **dict.fromkeys(("ingresses", "networkpolicies"), "networking.k8s.io"),
    **dict.fromkeys(
        ("roles", "rolebindings", "clusterroles", "clusterrolebindings"),
        "rbac.authorization.k8s.io",
    ),
    **dict.fromkeys(("scaledobjects", "scaledjobs", "triggerauthentications"), "keda.sh"),
    "poddisruptionbudgets": "policy",
    "leases": "coordination.k8s.io",
    "customresourcedefinitions": "apiextensions.k8s.io",
    "storageclasses": "storage.k8s.io",
    **dict.fromkeys(("subjectaccessreviews", "selfsubjectaccessreviews"), "authorization.k8s.io"),
}
CLUSTER_SCOPED = frozenset(
    {
        "namespaces",
        "nodes",
        "persistentvolumes",
        "clusterroles",
        "clusterrolebindings",
        "customresourcedefinitions",
        "storageclasses",
        "priorityclasses",
        "subjectaccessreviews",
        "selfsubjectaccessreviews",
    }
)
_RESOURCE = re.compile(
    rf"(?P<resource>\*|[a-z][a-z0-9]*)(?:\.(?P<group>{DNS_PREFIX}))?(?:/(?P<sub>\*|[a-z][a-z0-9]*))?"
)
_SERVICE_ACCOUNT = re.compile(
    r"system:serviceaccount:(?P<ns>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)"
    r":(?P<name>[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)"
)
SERVICE_ACCOUNT_FORM = "system:serviceaccount:<namespace>:<name>"  # the syntax, in any language
_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._:/+=-]{0,252}")


@dataclass(frozen=True)
class ResourceRef:
    resource: str
    group: str
    subresource: str | None

    @property
    def cluster_scoped(self) -> bool:
        return self.resource in CLUSTER_SCOPED

    def __str__(self) -> str:
        group = f".{self.group}" if self.group else ""
        return self.resource + group + (f"/{self.subresource}" if self.subresource else "")


@dataclass(frozen=True)
class Subject:
    user: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccessReview:
    env: EnvName
    subject: Subject
    verb: str
    resource: ResourceRef
    namespace: str | None  # None: cluster-wide
    allowed: bool
    denied: bool  # explicitly denied (not only "no rule allows it")
    reason: str | None
    evaluation_error: str | None


def check_verb(text: str) -> str:
    if text not in VERBS:
        raise Invalid(Problem.VALUE_ONE_OF, options=list(VERBS))
    return text


def parse_resource(text: str) -> ResourceRef:
    """`pods`, `pods/log`, `deployments/scale`, `scaledobjects.keda.sh`: lowercase plurals."""
    match = _RESOURCE.fullmatch(text)
    if match is None or len(text) > 253:
        raise Invalid(Problem.RESOURCE_SHAPE)
    resource = match["resource"]
    group = match["group"] or RESOURCE_GROUPS.get(resource, "")
    return ResourceRef(resource, group, match["sub"])


def parse_subject(text: str) -> Subject:
    """A service account gets its groups, as the API server would authenticate it."""
    account = _SERVICE_ACCOUNT.fullmatch(text)
    if account:
        return Subject(text, ("system:serviceaccounts", f"system:serviceaccounts:{account['ns']}"))
    if text.startswith("system:serviceaccount:") or not _USER.fullmatch(text):
        raise Invalid(Problem.SUBJECT_SHAPE, form=SERVICE_ACCOUNT_FORM)
    return Subject(text)


def review_namespace(resource: ResourceRef, requested: str | None, default: str) -> str | None:
    """Cluster-scoped resources are reviewed without a namespace, the rest in one."""
    return None if resource.cluster_scoped else (requested or default)


async def can_i(
    backends: Backends,
    env: EnvName,
    verb: str,
    resource: ResourceRef,
    subject: Subject,
    namespace: str | None,
) -> AccessReview:
    attributes: dict[str, str] = {"verb": check_verb(verb), "resource": resource.resource}
    attributes["group"] = resource.group
    if resource.subresource:
        attributes["subresource"] = resource.subresource
    if namespace:
        attributes["namespace"] = namespace
    spec: dict[str, object] = {"user": subject.user, "resourceAttributes": attributes}
    if subject.groups:
        spec["groups"] = list(subject.groups)
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}
    result = await backends.kube.call(env, "auth", "create_subject_access_review", body=body)
    status = mapping(mapping(result).get("status"))
    return AccessReview(
        env=env,
        subject=subject,
        verb=verb,
        resource=resource,
        namespace=namespace,
        allowed=bool(status.get("allowed")),
        denied=bool(status.get("denied")),
        reason=status.get("reason") or None,
        evaluation_error=status.get("evaluationError") or None,
    )
