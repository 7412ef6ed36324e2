"""What a user error is, as a code with named arguments: no words (they are in
`handlers/render/errors.py`, one message per code, in every language).

One enum for `ops/` and `approvals/` together, grouped by domain: the codes are stored (a
request's result, an audit event), so one place keeps them unique, and the renderer and its test
(every code rendered in every language, every argument used) read one list. A member declares
the arguments it takes; `UserError` refuses others (a programmer's error, caught by any test that
reaches the raise). An argument is a text unless its name says otherwise: `name:int` a number,
`name:list` a list of texts, `name:error` a nested `UserError`/`Invalid` (the cause),
`name:errors` a list of them, `name:step` a next step (`ops.suggestions.Suggestion`),
`name:when` an ISO 8601 UTC time, `name:char` a character's code point (one the database cannot
store, named for a person by the renderer), `name:action` a policy action (`hub.scale`).
"""

from __future__ import annotations

from enum import Enum


class Problem(Enum):
    def __init__(self, code: str, params: str = "") -> None:
        """`params`: the arguments' names, comma-separated, each with its `:kind` if not text."""
        self.code = code
        self.kinds: dict[str, str] = {}
        for part in filter(None, params.split(",")):
            name, _, kind = part.partition(":")
            self.kinds[name] = kind or "text"

    @classmethod
    def by_code(cls, code: str) -> Problem:
        return next(member for member in cls if member.code == code)

    # -- names and values a user typed (raised as `Invalid`, a ValueError) ---------------------
    QUEUE_NAME_SHAPE = ("value.queue_name",)
    ISSUE_KEY_SHAPE = ("value.issue_key",)
    NAMESPACE_REF_SHAPE = ("value.namespace_ref",)
    TTL_SHAPE = ("value.ttl",)
    TTL_RANGE = ("value.ttl_range",)
    IMAGE_TAG_SHAPE = ("value.image_tag",)
    EVENT_NAME_SHAPE = ("value.event_name",)
    TEXT_EMPTY = ("value.empty",)
    TEXT_TOO_LONG = ("value.too_long", "most:int")
    TEXT_CONTROL = ("value.control_characters",)
    LOG_LIMIT_RANGE = ("value.log_limit", "most:int")
    MIN_DURATION_RANGE = ("value.min_duration",)
    NOT_ONE_OF = ("value.not_one_of", "what,options:list")
    LOG_GROUP_COUNT = ("value.log_groups", "most:int")
    # `what`: queue_name, issue_key, preview, namespace_name (worded by the renderer)
    NOT_VALID = ("value.not_valid", "value,what,why:error")
    SEARCH_REFUSED = ("logs.search_refused", "why:error")
    NOT_AN_ISSUE_KEY = ("value.not_an_issue_key", "value,why:error")
    VALUE_ONE_OF = ("value.one_of", "options:list")
    LABEL_SELECTOR_SHAPE = ("value.label_selector",)
    LABEL_KEY_SHAPE = ("value.label_key", "key")
    LABEL_VALUE_SHAPE = ("value.label_value", "value")
    RESOURCE_SHAPE = ("value.resource",)
    SUBJECT_SHAPE = ("value.subject", "form")  # `form`: a service account's, as kubectl has it
    ENV_NOT_CONFIGURED = ("config.env_not_configured", "env,known:list")
    NO_CLUSTER = ("config.no_cluster", "env")

    # -- queues ------------------------------------------------------------------------------
    QUEUE_UNKNOWN = ("queue.unknown", "queue,close:list,known:list")
    QUEUE_RETRY_LIMIT_LOW = ("queue.retry_limit_low",)
    QUEUE_RETRY_LIMIT_RANGE = ("queue.retry_limit_range", "most:int")
    QUEUE_ALREADY_PAUSED = ("queue.already_paused", "queue,command:step")
    QUEUE_NOT_PAUSED = ("queue.not_paused", "queue")
    QUEUE_NO_FAILED_JOBS = ("queue.no_failed_jobs", "queue")

    # -- Kubernetes objects -------------------------------------------------------------------
    NO_NAMESPACE = ("kube.no_namespace", "env,namespace")
    NO_DEPLOYMENT = ("kube.no_deployment", "env,namespace,deployment")
    DEPLOYMENT_MISSING = ("kube.deployment_missing", "env,namespace,deployment")
    NO_DEPLOYMENT_OR_POD = ("kube.no_deployment_or_pod", "env,namespace,target")
    DEPLOYMENT_WITHOUT_PODS = ("kube.deployment_without_pods", "env,namespace,deployment")
    # `containers`: the pod's (or deployment's) container names, to choose from
    POD_NO_CONTAINER = ("kube.pod_no_container", "pod,container,containers:list")
    NOT_RESTARTED = ("kube.not_restarted", "pod,container")
    RBAC_DENIED = ("kube.rbac_denied", "verb,resource,namespace")
    TAG_NOT_IN_REPOSITORY = ("ecr.tag_missing", "tag,repository,newest:list")

    # -- preview namespaces ------------------------------------------------------------------
    NOT_A_PREVIEW = ("preview.not_a_preview", "env,namespace,label")
    NO_SUCH_PREVIEW = ("preview.missing", "env,namespace,command:step")
    PREVIEW_TERMINATING = ("preview.terminating", "env,namespace")
    PREVIEW_EXISTS = ("preview.exists", "env,namespace")
    PREVIEW_EXISTS_UNTIL = ("preview.exists_until", "env,namespace,expires:when")
    PREVIEW_GONE_MEANWHILE = ("preview.gone_meanwhile", "env,namespace")
    PREVIEW_RECREATED = ("preview.recreated", "env,namespace")
    PREVIEW_CHANGED_WHILE_DELETING = ("preview.changed_while_deleting", "env,namespace")
    PREVIEW_TTL_CHANGED = ("preview.ttl_changed", "env,namespace")
    PREVIEW_TTL_CHANGED_TO = ("preview.ttl_changed_to", "env,namespace,expires:when")
    PREVIEW_FORBIDDEN = ("preview.forbidden", "env,verb,resource")
    PREVIEW_FORBIDDEN_ROLE = ("preview.forbidden_role", "env,role,verb,resource")
    PREVIEW_TTL_RANGE = ("preview.ttl_range",)
    EXTENSION_NOT_LATER = ("preview.extension_not_later",)
    EXTENSION_TOO_FAR = ("preview.extension_too_far", "env,step")
    EXTENSION_UNREADABLE = ("preview.extension_unreadable",)
    NOTHING_EXPIRED = ("preview.nothing_expired", "env")
    TOO_MANY_EXPIRED = ("preview.too_many_expired", "env,count:int,most:int")
    NONE_DELETED = ("preview.none_deleted", "failures:errors")
    # one namespace of a cleanup: why it was not deleted (`why` a UserError, or the backend's
    # `failure`, a `BackendError`: text in rows stored before failures were data)
    CLEANUP_REFUSED = ("preview.cleanup_refused", "namespace,why:error")
    CLEANUP_BACKEND = ("preview.cleanup_backend", "namespace,failure:failure")
    # a cleanup that deleted nothing for sure: every namespace tried got no clear answer
    CLEANUP_UNCLEAR = ("preview.cleanup_unclear", "parts:errors")
    CLEANUP_GONE = ("preview.cleanup_gone",)
    CLEANUP_CORE = ("preview.cleanup_core",)
    CLEANUP_EXTENDED = ("preview.cleanup_extended",)
    CLEANUP_TERMINATING = ("preview.cleanup_terminating",)

    # -- deployments, KEDA, rollbacks --------------------------------------------------------
    NOT_AUTOSCALED = ("workload.not_autoscaled", "env,namespace,deployment")
    AUTOSCALING_NOT_PAUSED = (
        "workload.autoscaling_not_paused",
        "env,namespace,deployment,scaled_object",
    )
    NO_LONGER_AUTOSCALED = ("workload.no_longer_autoscaled", "deployment")
    # not allowed to list ScaledObjects: whether KEDA drives the deployment is not known
    KEDA_UNKNOWABLE = ("workload.keda_unknowable", "verb,resource,namespace")
    NO_SUCH_CONTAINER = ("workload.no_such_container", "deployment,container,containers:list")
    SEVERAL_CONTAINERS = ("workload.several_containers", "deployment,containers:list")
    # `revision`: a revision number as the annotation says it; `revisions`: those it has
    NO_SUCH_REVISION = (
        "rollout.no_such_revision",
        "env,namespace,deployment,revision,revisions:list",
    )
    NO_PREVIOUS_REVISION = (
        "rollout.no_previous_revision",
        "env,namespace,deployment,revisions:list",
    )
    ALREADY_AT_REVISION = ("rollout.already_at_revision", "env,namespace,deployment,revision")
    EMERGENCY_PARAMS = ("rollout.emergency_params",)
    # an emergency rollback's parts: all refused before anything ran, or all failed running
    PARTS_REFUSED = ("rollout.parts_refused", "parts:errors")
    PARTS_FAILED = ("rollout.parts_failed", "parts:errors")
    PART_REFUSED = ("rollout.part_refused", "deployment,why:error")
    PART_FAILED_AT_BACKEND = ("rollout.part_failed_at_backend", "deployment,failure:failure")
    PART_BACKEND_FAILED = ("rollout.part_backend_failed", "deployment,backend,reason")  # old rows
    # no part applied for sure, and some got no clear answer (they may have been applied)
    PARTS_UNCLEAR = ("rollout.parts_unclear", "backend,parts:errors")
    # some parts applied, then one failed (`parts`: each part's outcome, in order)
    PARTLY_APPLIED = ("rollout.partly_applied", "backend,parts:errors")
    PART_ROLLED_BACK = ("rollout.part_rolled_back", "deployment,revision")
    # a write that got no clear answer (`failure`), told with the Deployment as read again now
    # (`revision` "" when it has none; `images` "container=image, …" or the one image)
    NO_CLEAR_ANSWER = (
        "change.no_clear_answer",
        "failure:failure,revision,replicas:replicas,images",
    )
    NO_CLEAR_ANSWER_UNREAD = ("change.no_clear_answer_unread", "failure:failure")

    # -- the gate -----------------------------------------------------------------------------
    FORM_EXPIRED = ("gate.form_expired",)
    CONFIRMATION_EXPIRED = ("gate.confirmation_expired",)
    OFFER_EXPIRED = ("gate.offer_expired",)
    REASON_REQUIRED = ("gate.reason_required",)
    REASON_TOO_LONG = ("gate.reason_too_long", "most:int")
    NOTE_TOO_LONG = ("gate.note_too_long", "most:int")
    REASON_UNSTORABLE = ("gate.reason_unstorable", "character:char")
    NOTE_UNSTORABLE = ("gate.note_unstorable", "character:char")
    NOT_AUDITED = ("gate.not_audited",)
    # an approved request, right before it runs (`action`: the policy action it is now)
    POLICY_NOW_OTHER_ACTION = ("gate.now_other_action", "action:action")
    DIGEST_MISMATCH = ("gate.digest_mismatch",)
    POLICY_NO_LONGER_ALLOWS = ("gate.no_longer_allowed",)
    UNEXPECTED = ("gate.unexpected",)  # a bug: the details are in the bot's log
