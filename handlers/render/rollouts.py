"""Following a rollout (progress, final state, "Roll this back") and the set-image modal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Literal

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    OptionGroup,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from approvals.mutations import MutationSpec
from approvals.rollout_mutations import RollbackDeployment
from approvals.workload_mutations import ResumeAutoscaling, ScaleDeployment
from handlers.render.errors import error_text
from handlers.render.failures import failure_line
from handlers.render.i18n import N_, _, number
from handlers.render.message import Message, button, buttons, clip, context, escape, section
from ops.errors import BackendError, UserError
from ops.images import PushedTag
from ops.rollouts.follow import FollowedRollouts, Observation
from ops.rollouts.status import RolloutStatus

ROLLBACK_ACTION = "mutation_rollback"
SET_IMAGE_CALLBACK = "set_image_pick"
SET_IMAGE_BLOCK = "image"
SET_IMAGE_SELECT = "tag"
MAX_OPTION_TEXT = 75  # Slack's limit for an option's text


@dataclass(frozen=True)
class UndoButton:
    """A "Roll this back" button: the change it offers, kept as a draft behind `token`."""

    deployment: str
    what: str  # describe_undo(spec)
    token: str


def describe_undo(spec: MutationSpec) -> str:
    name = f"`{escape(spec.target.name)}`"
    if isinstance(spec, RollbackDeployment):
        return _("roll {name} back to revision {revision}", name=name, revision=spec.to_revision)
    if isinstance(spec, ScaleDeployment):
        return _("scale {name} back to {replicas}", name=name, replicas=spec.replicas)
    if isinstance(spec, ResumeAutoscaling):
        return _("hand {name} back to KEDA autoscaling", name=name)
    return escape(spec.headline())


FollowedWhere = Literal["below", "thread"]


def with_following_note(message: Message, where: FollowedWhere) -> Message:
    """The result of a change, saying its rollout is being followed (and where)."""
    if where == "thread":
        text = _(
            ":eyes: Following the rollout; its progress and final state come in this message's "
            "thread."
        )
    else:
        text = _(":eyes: Following the rollout; its progress and final state come below.")
    note = context(text)
    return Message(message.text, (*message.blocks, note), message.ephemeral, message.files)


# -- following ---------------------------------------------------------------------------------


def _where(o: Observation, env: str) -> str:
    return _(
        "`{deployment}` in `{namespace}` ({env})",
        deployment=escape(o.deployment),
        namespace=escape(o.namespace),
        env=env,
    )


def progress_line(s: RolloutStatus) -> str:
    if s.state == "unobserved":
        return _(
            "waiting for the controller to see generation {generation}", generation=s.generation
        )
    if s.state == "paused":
        return _("the rollout is paused (spec.paused)")
    if s.updated < s.desired:
        return _(
            "{updated} of {desired} new replicas updated, {available} available",
            updated=s.updated,
            desired=s.desired,
            available=s.available,
        )
    if s.total > s.updated:
        return _("{count} old replicas pending termination", count=s.total - s.updated)
    return _(
        "{available} of {updated} updated replicas available",
        available=s.available,
        updated=s.updated,
    )


def render_rollout_progress(followed: FollowedRollouts) -> Message:
    lines = [_progress(o, followed.env) for o in followed.observations]
    lines.append(_("_{seconds} s since the change_", seconds=_seconds(followed)))
    text = "\n".join(lines)
    return Message(
        text=_("Rolling out ({env}): {states}", env=followed.env, states=_plain(followed)),
        blocks=(section(text),),
    )


def _progress(o: Observation, env: str) -> str:
    where = _where(o, env)
    if o.done:
        return _(":white_check_mark: {where}: done", where=where)
    if o.status is not None:
        return f":hourglass_flowing_sand: {where}: {progress_line(o.status)}"
    return _(":warning: {where}: not readable ({error})", where=where, error=_unreadable(o))


def _unreadable(o: Observation) -> str:
    """Why a look failed, escaped: a user error's sentence, or the backend and its failure."""
    if isinstance(o.error, UserError):
        return escape(error_text(o.error))
    if isinstance(o.error, BackendError):
        return escape(failure_line(o.error))
    return "?"


def _seconds(followed: FollowedRollouts) -> str:
    return number(round(followed.elapsed_seconds))


def _final_line(o: Observation, followed: FollowedRollouts) -> str:
    where, s = _where(o, followed.env), o.status
    if s is None:
        return _(
            ":warning: {where}: could not be read ({error}); check it by hand.",
            where=where,
            error=_unreadable(o),
        )
    if s.state == "complete":
        return _(
            ":white_check_mark: {where} is rolled out: {available}/{desired} available.",
            where=where,
            available=s.available,
            desired=s.desired,
        )
    if s.state == "failed" and s.progressing_message:
        return _(
            ":x: {where}: *rollout failed* (progress deadline exceeded): {detail}.",
            where=where,
            detail=escape(s.progressing_message.rstrip(".")),
        )
    if s.state == "failed":
        return _(":x: {where}: *rollout failed* (progress deadline exceeded).", where=where)
    return _(
        ":warning: {where} is still rolling out after {seconds} s ({progress}); the bot stopped "
        "following it. `/rtb rollout-status {env} {deployment} --namespace {namespace}` looks "
        "again.",
        where=where,
        seconds=_seconds(followed),
        progress=progress_line(s),
        env=followed.env,
        deployment=escape(o.deployment),
        namespace=escape(o.namespace),
    )


def rollback_action(number: int, offers: Sequence[UndoButton]) -> str:
    """Slack refuses a block whose buttons share an action_id (`invalid_blocks`): with several
    offers each gets `.N` (the handler takes the id with or without it)."""
    return ROLLBACK_ACTION if len(offers) == 1 else f"{ROLLBACK_ACTION}.{number}"


def render_rollout_final(followed: FollowedRollouts, offers: Sequence[UndoButton]) -> Message:
    """Each deployment's final state, and a "Roll this back" button per change that has one."""
    lines = [_final_line(o, followed) for o in followed.observations]
    if followed.timed_out:
        lines.append(_("_Timed out after {seconds} s._", seconds=_seconds(followed)))
    blocks: list[Block] = [section("\n".join(lines))]
    if offers:
        blocks += _undo_blocks(offers)
    facts = {"env": followed.env, "states": _plain(followed)}
    if followed.timed_out:
        text = _("Rollout timed out ({env}): {states}", **facts)
    else:
        text = _("Rollout finished ({env}): {states}", **facts)
    return Message(text=text, blocks=tuple(blocks))


def _undo_blocks(offers: Sequence[UndoButton]) -> list[Block]:
    def label(offer: UndoButton) -> str:
        if len(offers) == 1:
            return _("Roll this back")
        return _("Roll back {deployment}", deployment=offer.deployment)

    undo = buttons(
        *(
            button(clip(label(o), 75), rollback_action(n, offers), o.token, "danger")
            for n, o in enumerate(offers, start=1)
        ),
        block_id="rollout_undo",
    )
    what = "; ".join(o.what for o in offers)
    note = _("Roll this back: {what}. Whoever clicks asks for it; the policy decides.", what=what)
    return [undo, context(note)]


_STATES = {
    "unobserved": N_("unobserved"),
    "progressing": N_("progressing"),
    "paused": N_("paused"),
    "complete": N_("complete"),
    "failed": N_("failed"),
}


def _plain(followed: FollowedRollouts) -> str:
    return ", ".join(f"{o.deployment} {_state(o.status)}" for o in followed.observations)


def _state(status: RolloutStatus | None) -> str:
    if status is None:
        return _("unreadable")
    return _(_STATES[status.state]) if status.state in _STATES else status.state


# -- the set-image modal ---------------------------------------------------------------------


@dataclass(frozen=True)
class ImageChoices:
    env: str
    namespace: str
    deployment: str
    container: str
    current_tag: str | None
    revisions: tuple[tuple[int, str], ...]  # (revision, tag) of previous revisions, newest first
    pushed: tuple[PushedTag, ...]  # newest first


def _option(text: str, value: str) -> Option:
    return Option(text=clip(text, MAX_OPTION_TEXT), value=value)


def render_set_image_modal(choices: ImageChoices, metadata: str, zone: tzinfo) -> View:
    """A select of previous revisions' tags and the last pushed tags: nobody types a tag."""
    return View(
        type="modal",
        callback_id=SET_IMAGE_CALLBACK,
        private_metadata=metadata,
        title=_("Set image"),
        submit=_("Set image"),
        close=_("Cancel"),
        blocks=[
            section(_set_image_heading(choices)),
            InputBlock(
                block_id=SET_IMAGE_BLOCK,
                label=_("Tag (newest first)"),
                element=StaticSelectElement(
                    action_id=SET_IMAGE_SELECT,
                    placeholder=_("Choose a tag"),
                    option_groups=_tag_groups(choices, zone),
                ),
            ),
            context(_("The policy decides when you submit; the rollout is followed afterwards.")),
        ],
    )


def _set_image_heading(choices: ImageChoices) -> str:
    return _(
        "*Set the image of* `{deployment}` in `{namespace}` ({env}), container `{container}`, "
        "now `{tag}`.",
        deployment=escape(choices.deployment),
        namespace=escape(choices.namespace),
        env=choices.env,
        container=escape(choices.container),
        tag=escape(choices.current_tag or "?"),
    )


def _tag_groups(choices: ImageChoices, zone: tzinfo) -> list[OptionGroup]:
    """Previous revisions' tags, then the last pushed ones not among them (newest first)."""
    groups = []
    if choices.revisions:
        revisions = [
            _option(_("{tag} (revision {revision})", tag=tag, revision=n), tag)
            for n, tag in choices.revisions
        ]
        groups.append(OptionGroup(label=_("Previous revisions"), options=revisions))
    listed = {tag for _revision, tag in choices.revisions}
    pushed = [
        _option(_pushed_text(t, choices.current_tag, zone), t.tag)
        for t in choices.pushed
        if t.tag not in listed
    ]
    if pushed:
        groups.append(OptionGroup(label=_("Last pushed to the repository"), options=pushed))
    return groups


def _pushed_text(tag: PushedTag, current: str | None, zone: tzinfo) -> str:
    when = tag.pushed_at.astimezone(zone).strftime("%m-%d %H:%M") if tag.pushed_at else "?"
    if tag.tag == current:
        return _("{tag} (pushed {at}, running now)", tag=tag.tag, at=when)
    return _("{tag} (pushed {at})", tag=tag.tag, at=when)
