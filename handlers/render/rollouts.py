"""Following a rollout (progress, final state, "Roll this back") and the set-image modal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

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
from handlers.render.message import Message, button, buttons, clip, context, escape, section
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
        return f"roll {name} back to revision {spec.to_revision}"
    if isinstance(spec, ScaleDeployment):
        return f"scale {name} back to {spec.replicas}"
    if isinstance(spec, ResumeAutoscaling):
        return f"hand {name} back to KEDA autoscaling"
    return escape(spec.headline())


def with_following_note(message: Message, where: str) -> Message:
    """The result of a change, saying its rollout is being followed (and where)."""
    note = context(f":eyes: Following the rollout; its progress and final state come {where}.")
    return Message(message.text, (*message.blocks, note), message.ephemeral, message.files)


# -- following ---------------------------------------------------------------------------------


def _where(o: Observation, env: str) -> str:
    return f"`{escape(o.deployment)}` in `{escape(o.namespace)}` ({env})"


def progress_line(s: RolloutStatus) -> str:
    if s.state == "unobserved":
        return f"waiting for the controller to see generation {s.generation}"
    if s.state == "paused":
        return "the rollout is paused (spec.paused)"
    if s.updated < s.desired:
        return f"{s.updated} of {s.desired} new replicas updated, {s.available} available"
    if s.total > s.updated:
        return f"{s.total - s.updated} old replicas pending termination"
    return f"{s.available} of {s.updated} updated replicas available"


def render_rollout_progress(followed: FollowedRollouts) -> Message:
    lines = []
    for o in followed.observations:
        if o.done:
            lines.append(f":white_check_mark: {_where(o, followed.env)}: done")
        elif o.status is not None:
            lines.append(
                f":hourglass_flowing_sand: {_where(o, followed.env)}: {progress_line(o.status)}"
            )
        else:
            lines.append(
                f":warning: {_where(o, followed.env)}: not readable ({escape(o.error or '?')})"
            )
    lines.append(f"_{followed.elapsed_seconds:.0f} s since the change_")
    text = "\n".join(lines)
    return Message(
        text=f"Rolling out ({followed.env}): {_plain(followed)}", blocks=(section(text),)
    )


def _final_line(o: Observation, followed: FollowedRollouts) -> str:
    where, s = _where(o, followed.env), o.status
    if s is None:
        return f":warning: {where}: could not be read ({escape(o.error or '?')}); check it by hand."
    if s.state == "complete":
        return f":white_check_mark: {where} is rolled out: {s.available}/{s.desired} available."
    if s.state == "failed":
        detail = f": {escape(s.progressing_message.rstrip('.'))}" if s.progressing_message else ""
        return f":x: {where}: *rollout failed* (progress deadline exceeded){detail}."
    return (
        f":warning: {where} is still rolling out after {followed.elapsed_seconds:.0f} s "
        f"({progress_line(s)}); the bot stopped following it. "
        f"`/rtb rollout-status {followed.env} {escape(o.deployment)} --namespace "
        f"{escape(o.namespace)}` looks again."
    )


def rollback_action(number: int, offers: Sequence[UndoButton]) -> str:
    """Slack refuses a block whose buttons share an action_id (`invalid_blocks`): with several
    offers each gets `.N` (the handler takes the id with or without it)."""
    return ROLLBACK_ACTION if len(offers) == 1 else f"{ROLLBACK_ACTION}.{number}"


def render_rollout_final(followed: FollowedRollouts, offers: Sequence[UndoButton]) -> Message:
    """Each deployment's final state, and a "Roll this back" button per change that has one."""
    lines = [_final_line(o, followed) for o in followed.observations]
    if followed.timed_out:
        lines.append(f"_Timed out after {followed.elapsed_seconds:.0f} s._")
    blocks: list[Block] = [section("\n".join(lines))]
    if offers:
        label = (
            (lambda o: "Roll this back")
            if len(offers) == 1
            else (lambda o: f"Roll back {o.deployment}")
        )
        blocks.append(
            buttons(
                *(
                    button(clip(label(o), 75), rollback_action(n, offers), o.token, "danger")
                    for n, o in enumerate(offers, start=1)
                ),
                block_id="rollout_undo",
            )
        )
        what = "; ".join(o.what for o in offers)
        blocks.append(
            context(f"Roll this back: {what}. Whoever clicks asks for it; the policy decides.")
        )
    state = "timed out" if followed.timed_out else "finished"
    return Message(
        text=f"Rollout {state} ({followed.env}): {_plain(followed)}", blocks=tuple(blocks)
    )


def _plain(followed: FollowedRollouts) -> str:
    return ", ".join(
        f"{o.deployment} {o.status.state if o.status else 'unreadable'}"
        for o in followed.observations
    )


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
    listed = {tag for _, tag in choices.revisions}
    groups = []
    if choices.revisions:
        groups.append(
            OptionGroup(
                label="Previous revisions",
                options=[_option(f"{tag} (revision {n})", tag) for n, tag in choices.revisions],
            )
        )
    pushed = [t for t in choices.pushed if t.tag not in listed]
    if pushed:
        groups.append(
            OptionGroup(
                label="Last pushed to the repository",
                options=[
                    _option(_pushed_text(t, choices.current_tag, zone), t.tag) for t in pushed
                ],
            )
        )
    where = (
        f"`{escape(choices.deployment)}` in `{escape(choices.namespace)}` ({choices.env}), "
        f"container `{escape(choices.container)}`, now `{escape(choices.current_tag or '?')}`"
    )
    return View(
        type="modal",
        callback_id=SET_IMAGE_CALLBACK,
        private_metadata=metadata,
        title="Set image",
        submit="Set image",
        close="Cancel",
        blocks=[
            section(f"*Set the image of* {where}."),
            InputBlock(
                block_id=SET_IMAGE_BLOCK,
                label="Tag (newest first)",
                element=StaticSelectElement(
                    action_id=SET_IMAGE_SELECT,
                    placeholder="Choose a tag",
                    option_groups=groups,
                ),
            ),
            context("The policy decides when you submit; the rollout is followed afterwards."),
        ],
    )


def _pushed_text(tag: PushedTag, current: str | None, zone: tzinfo) -> str:
    when = tag.pushed_at.astimezone(zone).strftime("%m-%d %H:%M") if tag.pushed_at else "?"
    running = ", running now" if tag.tag == current else ""
    return f"{tag.tag} (pushed {when}{running})"
