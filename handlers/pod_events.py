"""`/rtb events`: a pod's events, as `kubectl describe pod` shows them (read-only)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.call_args import configured_env, namespace_or_hub
from handlers.cluster import GROUP
from handlers.context import CommandCall
from handlers.render.i18n import N_
from handlers.render.message import Message
from handlers.render.pod_alerts import render_pod_events
from handlers.spec import ENV, Arg, Command, Flag, kube_name
from ops.pod_events import pod_events


async def run_events(call: CommandCall) -> Message:
    env, ns = configured_env(call), namespace_or_hub(call)
    events = await pod_events(call.deps.backends, env, ns, call.values["pod"])
    return render_pod_events(events, ZoneInfo(call.deps.config.timezone))


COMMANDS = (
    Command(
        "events",
        N_("A pod's events (scheduling, image pulls, probes, back-offs), newest last."),
        run_events,
        args=(Arg("env", N_("int, stg or prd"), ENV), Arg("pod", N_("pod name"), kube_name)),
        flags=(Flag("namespace", N_("namespace (default: the hub's)"), kube_name, metavar="N"),),
        group=GROUP,
        examples=("/rtb events stg worker --namespace preview-proj-118",),  # a name
    ),
)
