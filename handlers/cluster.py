"""Investigate, Kubernetes: pods, logs, rollout history/status, can-i, previews (all read-only)."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from handlers.call_args import configured_env, namespace_or_hub
from handlers.context import CommandCall
from handlers.render.cluster import (
    render_can_i,
    render_history,
    render_logs,
    render_pods,
    render_previews,
    render_rollout_status,
)
from handlers.render.i18n import N_
from handlers.render.message import Message
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, duration, kube_name
from ops import access_reviews, label_selectors, pod_logs, preview_hub, previews
from ops.config import ENV_NAMES
from ops.pods import list_pods
from ops.rollouts.history import rollout_history
from ops.rollouts.status import rollout_status

GROUP = "Investigate"
_NAMESPACE = Flag("namespace", N_("namespace (default: the hub's)"), kube_name, metavar="N")


def _zone(call: CommandCall) -> ZoneInfo:
    return ZoneInfo(call.deps.config.timezone)


async def run_pods(call: CommandCall) -> Message:
    """Phase, ready, restarts, age, start duration and last termination of each pod."""
    env = configured_env(call)
    pods = await list_pods(call.deps.backends, env, namespace_or_hub(call), call.values["selector"])
    return render_pods(pods, _zone(call))


async def run_logs(call: CommandCall) -> Message:
    """The newest pod of a deployment, or a pod by name; long output comes as a file."""
    env, values = configured_env(call), call.values
    logs = await pod_logs.pod_logs(
        call.deps.backends,
        env,
        namespace_or_hub(call),
        values["target"],
        tail=values["tail"],
        since=values["since"],
        container=values["container"],
        previous=bool(values["previous"]),
    )
    return render_logs(logs, _zone(call))


async def run_history(call: CommandCall) -> Message:
    env = configured_env(call)
    history = await rollout_history(
        call.deps.backends, env, namespace_or_hub(call), call.values["deployment"]
    )
    return render_history(history, _zone(call))


async def run_rollout_status(call: CommandCall) -> Message:
    env = configured_env(call)
    status = await rollout_status(
        call.deps.backends, env, namespace_or_hub(call), call.values["deployment"]
    )
    return render_rollout_status(status)


async def run_can_i(call: CommandCall) -> Message:
    env, values, config = configured_env(call), call.values, call.deps.config
    resource: access_reviews.ResourceRef = values["resource"]
    subject = values["as"] or access_reviews.parse_subject(config.hub.service_account)
    namespace = access_reviews.review_namespace(resource, values["namespace"], config.hub.namespace)
    review = await access_reviews.can_i(
        call.deps.backends, env, values["verb"], resource, subject, namespace
    )
    return render_can_i(review)


async def run_previews(call: CommandCall) -> Message:
    configured = call.deps.config.environments
    envs = (
        (configured_env(call),)
        if call.values["env"]
        else tuple(e for e in ENV_NAMES if e in configured)
    )
    report, listings = await asyncio.gather(
        previews.list_previews(call.deps.backends, envs),
        preview_hub.hub_listings(call.deps.backends, envs),
    )
    return render_previews(report, _zone(call), preview_hub.join_hub(report, listings))


COMMANDS = (
    Command(
        "pods",
        N_("Pods of a namespace: ready, restarts, age, start time, OOMKilled / CrashLoopBackOff."),
        run_pods,
        args=(
            Arg("env", N_("int, stg or prd"), ENV),
            Arg("namespace", N_("namespace (default: the hub's)"), kube_name, optional=True),
        ),
        flags=(
            Flag(
                "selector",
                N_("label selector, e.g. app=web,tier!=db"),
                label_selectors.check_label_selector,
                metavar="k=v",
            ),
        ),
        group=GROUP,
        examples=(
            "/rtb pods int",  # a name
            "/rtb pods stg preview-proj-118",  # a name
            "/rtb pods prd --selector app=web",  # a name
        ),
    ),
    Command(
        "logs",
        N_("Recent log lines of a deployment's newest pod or of a pod (long output as a file)."),
        run_logs,
        args=(
            Arg("env", N_("int, stg or prd"), ENV),
            Arg("target", N_("a deployment or a pod name"), kube_name),
        ),
        flags=(
            _NAMESPACE,
            Flag(
                "tail",
                N_("lines from the end, 1 to 5000 (default 100)"),
                bounded_int(1, 5000),
                default=100,
                metavar="N",
            ),
            Flag("since", N_("only lines newer than this, e.g. 30m, 2h"), duration, metavar="30m"),
            Flag("container", N_("a container of the pod (default: its first)"), kube_name),
            Flag(
                "previous",
                N_("the container's last terminated run (after a crash or OOMKill)"),
                is_switch=True,
            ),
        ),
        group=GROUP,
        examples=(
            "/rtb logs int workflow-engine --tail 200",  # a name
            "/rtb logs stg worker --namespace preview-proj-118 --previous",  # a name
            "/rtb logs prd webhook-listener --since 30m",  # a name
        ),
    ),
    Command(
        "history",
        N_("Rollout history of a deployment: revisions with image, time and change cause."),
        run_history,
        args=(
            Arg("env", N_("int, stg or prd"), ENV),
            Arg("deployment", N_("deployment name"), kube_name),
        ),
        flags=(_NAMESPACE,),
        group=GROUP,
        examples=("/rtb history int workflow-engine",),  # a name
    ),
    Command(
        "rollout-status",
        N_("Whether a deployment's rollout is complete, in progress or failed (one look)."),
        run_rollout_status,
        args=(
            Arg("env", N_("int, stg or prd"), ENV),
            Arg("deployment", N_("deployment name"), kube_name),
        ),
        flags=(_NAMESPACE,),
        group=GROUP,
        examples=("/rtb rollout-status int workflow-engine",),  # a name
    ),
    Command(
        "can-i",
        N_(
            "Ask the cluster whether a subject (default: the hub's service account) "
            "may do something."
        ),
        run_can_i,
        args=(
            Arg("env", N_("int, stg or prd"), ENV),
            Arg("verb", ", ".join(access_reviews.VERBS), access_reviews.check_verb),
            Arg(
                "resource",
                N_("lowercase plural, e.g. namespaces, pods/log"),
                access_reviews.parse_resource,
            ),
        ),
        flags=(
            _NAMESPACE,
            Flag(
                "as",
                N_("user or system:serviceaccount:<ns>:<name>"),
                access_reviews.parse_subject,
                metavar="SUBJECT",
            ),
        ),
        group=GROUP,
        examples=(
            "/rtb can-i prd create namespaces",  # a name
            "/rtb can-i int patch deployments "  # a name
            "--as system:serviceaccount:rtb-ai-hub:rtb-hub-sa",
        ),
    ),
    Command(
        "previews",
        N_("Preview environments in every env: issue, age, expiry, pod state, cleanup failures."),
        run_previews,
        args=(Arg("env", N_("int, stg or prd (default: all)"), ENV, optional=True),),
        group=GROUP,
        examples=("/rtb previews", "/rtb previews stg"),  # a name
    ),
)
