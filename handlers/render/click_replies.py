"""What the bot tells the person who clicked a button or submitted a form: short private
answers of handlers/*_actions.py (refusals, "already done", where the answers go)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.render.i18n import _
from handlers.render.message import Message, escape, simple


def render_members_only() -> Message:
    return simple(_("Only members of the team can use the bot."), ephemeral=True)


def render_investigating(lines: Sequence[str]) -> Message:
    commands = ", ".join(f"`/rtb {line}`" for line in lines)
    return simple(
        _(":mag: Running {commands}: the answers go to the card's thread.", commands=commands),
        ephemeral=True,
    )


def render_read_for(line: str, user: str) -> str:
    """The line above a playbook read's answer in the card's thread: who it ran for."""
    return _("`/rtb {line}` for {who}", line=line, who=f"<@{user}>")


def render_not_offered() -> Message:
    return simple(_("That action is not one this incident offers."), ephemeral=True)


def render_resolved_run_it_yourself(incident_id: str, line: str) -> Message:
    return simple(
        _(
            "{id} is resolved; if it is still needed, run `/rtb {line}`.",
            id=incident_id,
            line=line,
        ),
        ephemeral=True,
    )


def render_resolve_form_failed(incident_id: str) -> Message:
    return simple(
        _(
            "The form did not open (Slack allows 3 s). Click *Resolve* again, or "
            "`/rtb incident {id} resolve <note>`.",
            id=incident_id,
        ),
        ephemeral=True,
    )


def render_confirmed_by(user: str) -> Message:
    return simple(_(":white_check_mark: Confirmed by <@{user}>.", user=user))


def confirmation_gone() -> str:
    return _("That confirmation is not yours, or it was already answered or has expired.")


def render_cancelled() -> Message:
    return simple(_(":heavy_minus_sign: Cancelled: nothing was changed."), ephemeral=True)


def form_data_unusable() -> str:
    return _("That form's data is not usable. Run the command again.")


def not_an_image_tag(tag: str) -> str:
    return _("`{tag}` is not an image tag.", tag=escape(tag[:60]))


def render_not_a_digest_button() -> Message:
    return simple(_("That button is not part of a digest this bot knows."), ephemeral=True)


def render_members_only_tick() -> Message:
    return simple(_("Only members of the team can tick the checklist."), ephemeral=True)


def render_digest_gone() -> Message:
    return simple(_("That digest is not in the bot's outbox any more."), ephemeral=True)


def render_already_checked(title: str) -> Message:
    return simple(_("You had already checked *{item}*.", item=title), ephemeral=True)


def not_a_ttl_notice() -> str:
    return _("That button is not part of a TTL notice this bot knows.")
