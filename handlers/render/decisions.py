"""The words of the policy's decisions (`approvals.policy.Reason`), its actions and the
changes it gates.

`decision_reason` is the clause a reply puts after "Refused:" or in brackets after a change
("int: rtb-ai-hub service scale is allowed"); `action_label` names a matrix action
("rtb-ai-hub service scale") the same way on a card, in `/rtb policy` and in a refusal;
`mutation_summary` says what a kind of change does ("pause a BullMQ queue"), by the name the gate
stores it under (`MutationSpec.mutation`).
"""

from __future__ import annotations

from collections.abc import Callable

from approvals.policy import CORE_INFRASTRUCTURE, Decision, Reason, Why
from approvals.roles import RoleInfo
from handlers.render.i18n import N_, _

ACTION_LABELS = {
    "hub.scale": N_("rtb-ai-hub service scale"),
    "hub.rollback": N_("rtb-ai-hub service rollback"),
    "hub.set-image": N_("rtb-ai-hub service set image"),
    "hub.queue": N_("rtb-ai-hub queue pause/resume/retry"),
    "preview.create": N_("preview namespace create"),
    "preview.delete": N_("preview namespace delete"),
    "preview.workload": N_("preview workload change (scale, restart, set image)"),
    "preview.extend": N_("preview TTL extension"),
    CORE_INFRASTRUCTURE: N_("core infrastructure change"),
}


MUTATION_SUMMARIES = {
    "preview-create": N_("create a preview namespace"),
    "preview-extend": N_("extend a preview's TTL"),
    "preview-delete": N_("delete a preview namespace"),
    "preview-cleanup": N_("delete the expired preview namespaces of an env"),
    "rollback": N_("roll a deployment back to a previous revision"),
    "set-image": N_("set a deployment's image to a tag of the int ECR repository"),
    "emergency-rollback": N_("roll workflow-engine and webhook-listener back together (§7)"),
    "queue-pause": N_("pause a BullMQ queue"),
    "queue-resume": N_("resume a paused BullMQ queue"),
    "queue-retry-failed": N_("retry a BullMQ queue's failed jobs"),
    "scale": N_("scale a deployment"),
    "autoscale-resume": N_("resume KEDA autoscaling of a deployment"),
}


def mutation_summary(mutation: str) -> str:
    """What a kind of change does; one without words is shown by its name."""
    summary = MUTATION_SUMMARIES.get(mutation)
    return _(summary) if summary else mutation


def action_label(action: str) -> str:
    """A matrix action in words; an action without a label is shown as it is named."""
    label = ACTION_LABELS.get(action)
    return _(label) if label else action


def role_source(info: RoleInfo) -> str:
    """Where a user's role comes from ("user list", "user group S0123" …)."""
    if info.source == "group":
        return _("user group {group}", group=info.group)
    return {
        "users": lambda: _("user list"),
        "everyone": lambda: _("everyone can view"),
        "unlisted": lambda: _("not listed"),
    }[info.source]()


def decision_reason(decision: Decision) -> str:
    return reason_text(decision.reason)


def reason_text(reason: Reason) -> str:
    return _REASONS[reason.why](reason)


def _channels(reason: Reason) -> str:
    return ", ".join(f"<#{channel}>" for channel in reason.channels)


_REASONS: dict[Why, Callable[[Reason], str]] = {
    Why.ALLOWED: lambda r: _(
        "{env}: {action} is allowed", env=r.env, action=action_label(r.action)
    ),
    Why.NEEDS_APPROVAL: lambda r: _(
        "{env}: {action} needs a team lead's approval", env=r.env, action=action_label(r.action)
    ),
    Why.NOT_FROM_BOT: lambda r: _(
        "{env}: {action} is not allowed from the bot", env=r.env, action=action_label(r.action)
    ),
    Why.NOT_IN_MATRIX: lambda r: _(
        "{env}: `{action}` is not in the access matrix, so it is denied", env=r.env, action=r.action
    ),
    Why.CORE: lambda r: _("{env} core infrastructure is never modified from the bot", env=r.env),
    Why.CHANNELS_ONLY: lambda r: _(
        "{action} may only be requested in {channels}",
        action=action_label(r.action),
        channels=_channels(r),
    ),
    Why.VIEWER: lambda r: _("viewers cannot request changes"),
    Why.NO_ROLE: lambda r: _(
        "only operators and team leads can request changes, and you are in neither role"
    ),
}
