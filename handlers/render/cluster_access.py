"""`/rtb can-i`: what the Kubernetes API answered to an access review."""

from __future__ import annotations

from handlers.render.cluster_format import code
from handlers.render.i18n import _
from handlers.render.message import Message, context, escape, section
from ops.access_reviews import AccessReview


def render_can_i(review: AccessReview) -> Message:
    scope = (
        _("in `{namespace}`", namespace=escape(review.namespace))
        if review.namespace
        else _("cluster-wide")
    )
    action = f"`{escape(review.verb)}` {code(str(review.resource))} {scope} ({review.env})"
    who = code(review.subject.user)
    if review.allowed:
        verdict = _(":white_check_mark: *yes* — {who} can {action}.", who=who, action=action)
    elif review.denied:
        verdict = _(
            ":no_entry: *no* — {who} cannot {action} (explicitly denied).", who=who, action=action
        )
    else:
        verdict = _(":no_entry: *no* — {who} cannot {action}.", who=who, action=action)
    notes = []
    if review.reason:
        notes.append(_("Reason: {reason}", reason=escape(review.reason)))
    if review.evaluation_error:
        notes.append(
            _(":warning: Evaluation error: {error}", error=escape(review.evaluation_error))
        )
    if review.subject.groups:
        groups = ", ".join(code(g) for g in review.subject.groups)
        notes.append(_("Groups: {groups}", groups=groups))
    blocks = [section(verdict), *([context(*notes)] if notes else [])]
    words = {"verb": review.verb, "resource": review.resource, "env": review.env}
    text = (
        _("can-i {verb} {resource} ({env}): yes", **words)
        if review.allowed
        else _("can-i {verb} {resource} ({env}): no", **words)
    )
    return Message(text=text, blocks=tuple(blocks))
