"""Recover: rollback, set image (a tag, or a modal to pick one), the §7 emergency rollback,
and handing a deployment back to KEDA. Each builds a MutationSpec for the gate
(handlers.mutations.submit_mutation); the rollout is followed once it started."""

from __future__ import annotations

import asyncio
import json
from zoneinfo import ZoneInfo

import structlog

from approvals.emergency_rollback import EmergencyRollback
from approvals.rollout_mutations import RollbackDeployment, SetImage
from approvals.workload_mutations import ResumeAutoscaling
from handlers.call_args import configured_env, namespace_or_hub
from handlers.context import CommandCall
from handlers.forms import form_opened_if
from handlers.mutations import REASON, namespace_name, submit_mutation
from handlers.render.i18n import N_, _
from handlers.render.image_picker import (
    no_tag_to_offer,
    render_picker_not_opened,
    render_picker_opened,
    tags_too_slow,
)
from handlers.render.message import Message
from handlers.render.rollouts import ImageChoices, render_set_image_modal
from handlers.spec import ENV, Arg, Command, Flag, bounded_int, kube_name
from ops import images
from ops.config import EnvName
from ops.errors import BackendError, UserError
from ops.rollouts import set_image as rollout_images
from ops.rollouts.history import read_revisions

GROUP = "Change"
PICKER_SECONDS = 2.0  # the form shows "loading" meanwhile: an on-call engineer waits no longer
PICKER_TITLE = N_("Set image")
PICKER_TAGS = 10
log = structlog.get_logger(__name__)


async def run_rollback(call: CommandCall) -> Message:
    spec = RollbackDeployment.build(
        call.deps.config,
        configured_env(call, default="int"),
        namespace_or_hub(call),
        call.values["deployment"],
        call.values["to-revision"],
    )
    return await submit_mutation(call, spec)


async def run_set_image(call: CommandCall) -> Message:
    if call.values["tag"] is None:
        return await open_image_picker(call)
    spec = SetImage.build(
        call.deps.config,
        configured_env(call, default="int"),
        namespace_or_hub(call),
        call.values["deployment"],
        call.values["tag"],
        call.values["container"],
    )
    return await submit_mutation(call, spec)


async def run_emergency_rollback(call: CommandCall) -> Message:
    return await submit_mutation(
        call, EmergencyRollback.build(call.deps.config, configured_env(call, default="int"))
    )


async def run_autoscale_resume(call: CommandCall) -> Message:
    spec = ResumeAutoscaling.build(
        call.deps.config,
        configured_env(call, default="int"),
        namespace_or_hub(call),
        call.values["deployment"],
    )
    return await submit_mutation(call, spec)


# -- the set-image modal ---------------------------------------------------------------------


async def open_image_picker(call: CommandCall) -> Message:
    """A modal offering previous revisions' tags and the last pushed ones. It opens at once
    with a loading view (the trigger id lasts 3 s; handlers.forms); listing the tags takes a
    heavy command's turn and at most `PICKER_SECONDS`, then fills it."""
    env, namespace, deployment = (
        configured_env(call, default="int"),
        namespace_or_hub(call),
        call.values["deployment"],
    )
    async with form_opened_if(True, call.client, call.trigger_id, _(PICKER_TITLE)) as form:
        async with call.deps.tasks.slot():
            choices = await _image_choices_in_time(call, env, namespace, deployment)
        if not choices.revisions and not choices.pushed:
            raise UserError(no_tag_to_offer(env, deployment))
        metadata = json.dumps(
            {
                "env": env,
                "namespace": namespace,
                "deployment": deployment,
                "container": call.values["container"],
                "channel": call.channel_id,
            }
        )
        zone = ZoneInfo(call.deps.config.timezone)
        if not await form.show(render_set_image_modal(choices, metadata, zone)):
            return render_picker_not_opened(env, deployment)
    return render_picker_opened()


async def _image_choices_in_time(
    call: CommandCall, env: EnvName, namespace: str, deployment: str
) -> ImageChoices:
    try:
        return await asyncio.wait_for(
            _image_choices(call, env, namespace, deployment), PICKER_SECONDS
        )
    except TimeoutError:
        raise UserError(tags_too_slow(env, deployment, PICKER_SECONDS)) from None


async def _image_choices(
    call: CommandCall, env: EnvName, namespace: str, deployment: str
) -> ImageChoices:
    config, backends = call.deps.config, call.deps.backends
    found, pushed = await asyncio.gather(
        read_revisions(backends, env, namespace, deployment),
        images.recent_tags(backends, PICKER_TAGS),
        return_exceptions=True,
    )
    if isinstance(found, BaseException):
        raise found  # no deployment: nothing to set an image of
    if isinstance(pushed, BackendError):  # ECR is down: previous revisions still help
        log.warning("could not list the pushed tags", reason=pushed.reason)
        pushed = []
    elif isinstance(pushed, BaseException):
        raise pushed
    container = rollout_images.pick_container(found.images, deployment, call.values["container"])
    previous: dict[str, int] = {}
    for revision in found.revisions:
        tag = images.tag_of(config, revision.images.get(container, ""))
        if tag and revision.number != found.current and tag not in previous:
            previous[tag] = revision.number
    return ImageChoices(
        env=env,
        namespace=namespace,
        deployment=deployment,
        container=container,
        current_tag=images.tag_of(config, found.images.get(container, "")),
        revisions=tuple((number, tag) for tag, number in previous.items()),
        pushed=tuple(pushed),
    )


_NAMESPACE = Flag(
    "namespace", N_("the namespace (default: the hub's)"), namespace_name, metavar="N"
)
_DEPLOYMENT = Arg("deployment", N_("the deployment's name"), kube_name)

COMMANDS = (
    Command(
        "rollback",
        N_(
            "Roll a deployment back to its previous revision (or --to-revision N), as "
            "`kubectl rollout undo` does; the rollout is followed."
        ),
        run_rollback,
        args=(Arg("env", N_("int, stg or prd"), ENV), _DEPLOYMENT),
        flags=(
            Flag(
                "to-revision",
                N_("the revision to go back to (see /rtb history)"),
                bounded_int(1, 1_000_000),
                metavar="N",
            ),
            _NAMESPACE,
            REASON,
        ),
        mutating=True,
        group=GROUP,
        examples=(
            "/rtb rollback int workflow-engine",  # a name
            "/rtb rollback int workflow-engine --to-revision 1",  # a name
        ),
    ),
    Command(
        "set-image",
        N_(
            "Set a deployment's image to a tag of the int ECR repository (without a tag: a form "
            "offers the last pushed tags and the previous revisions)."
        ),
        run_set_image,
        args=(
            Arg("env", N_("int, stg or prd"), ENV),
            _DEPLOYMENT,
            Arg(
                "tag",
                N_("an image tag in the repository, e.g. v1.41.1"),
                images.check_tag,
                optional=True,
            ),
        ),
        flags=(
            Flag("container", N_("the container (default: the only one)"), kube_name, metavar="C"),
            _NAMESPACE,
            REASON,
        ),
        mutating=True,
        group=GROUP,
        examples=(
            "/rtb set-image int workflow-engine v1.41.1",  # a name
            "/rtb set-image int webhook-listener",  # a name
        ),
    ),
    Command(
        "emergency-rollback",
        N_(
            "Runbook §7: roll workflow-engine and webhook-listener back together "
            "(one confirmation)."
        ),
        run_emergency_rollback,
        args=(Arg("env", N_("int, stg or prd (default: int)"), ENV, optional=True),),
        flags=(REASON,),
        mutating=True,
        group=GROUP,
        examples=("/rtb emergency-rollback",),  # a name
    ),
    Command(
        "autoscale resume",  # a name: the command words
        N_("Hand a deployment back to its KEDA ScaledObject (after /rtb scale paused it)."),
        run_autoscale_resume,
        args=(Arg("env", N_("int, stg or prd"), ENV), _DEPLOYMENT),
        flags=(_NAMESPACE, REASON),
        mutating=True,
        group=GROUP,
        examples=("/rtb autoscale resume int workflow-engine",),  # a name
    ),
)
