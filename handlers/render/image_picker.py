"""The private replies around `/rtb set-image`'s tag form (the form itself is
handlers.render.rollouts)."""

from __future__ import annotations

from handlers.render.i18n import _
from handlers.render.message import Message, simple


def give_tag_command(env: str, deployment: str) -> str:
    """The command that sets the image without the form (a command line: never translated)."""
    return f"`/rtb set-image {env} {deployment} <tag>`"  # a name: a command line


def render_picker_opened() -> Message:
    return simple(_(":memo: Choose the tag in the form that opened."), ephemeral=True)


def render_picker_not_opened(env: str, deployment: str) -> Message:
    return simple(
        _(
            ":warning: The form to choose a tag did not open. Give the tag: {command}.",
            command=give_tag_command(env, deployment),
        ),
        ephemeral=True,
    )


def no_tag_to_offer(env: str, deployment: str) -> str:
    return _(
        "There is no tag to offer for `{deployment}`: give one, {command}.",
        deployment=deployment,
        command=give_tag_command(env, deployment),
    )


def tags_too_slow(env: str, deployment: str, seconds: float) -> str:
    shown = f"{seconds:g}"
    return _(
        "Listing the tags took more than {seconds} s. Give the tag: {command}.",
        seconds=shown,
        command=give_tag_command(env, deployment),
    )
