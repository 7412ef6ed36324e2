"""`/rtb history` and `/rtb rollout-status`: a Deployment's revisions and where its rollout is."""

from __future__ import annotations

from datetime import tzinfo

from slack_sdk.models.blocks import Block

from handlers.render.cluster_format import local, table, table_sections, zone_name
from handlers.render.i18n import _
from handlers.render.message import Message, context, escape, section
from ops.rollouts.history import RolloutHistory
from ops.rollouts.status import RolloutStatus


def render_history(history: RolloutHistory, zone: tzinfo) -> Message:
    where = _where(history.deployment, history.namespace, history.env)
    text = _(
        "Rollout history of {deployment} ({env})", deployment=history.deployment, env=history.env
    )
    if not history.revisions:
        return Message(
            text=text, blocks=(section(_(":mag: No ReplicaSets found for {where}.", where=where)),)
        )
    created = [r.created_at for r in history.revisions if r.created_at]
    zone_shown = zone_name(created[0], zone) if created else ""
    rows = [
        [
            ("*" if r.current else " ") + str(r.number),
            local(r.created_at, zone) if r.created_at else "?",
            ", ".join(_short_image(i) for i in r.images) or "?",
            r.change_cause or "",
        ]
        for r in history.revisions
    ]
    header = ("REV", f"CREATED ({zone_shown})", "IMAGE", "CHANGE CAUSE")  # a name: kubectl's
    current = next((r for r in history.revisions if r.current), None)
    note = (
        _(
            "`*` marks the current revision · current: revision {number}, images shown as "
            "repository:tag · `/rtb rollout-status` shows whether it is rolled out",
            number=current.number,
        )
        if current
        else _(
            "`*` marks the current revision · images shown as repository:tag · "
            "`/rtb rollout-status` shows whether it is rolled out"
        )
    )
    blocks: list[Block] = [section(_("*Rollout history of {where}*", where=where))]
    blocks += [*table_sections(table(header, rows, set())), context(note)]
    return Message(text=text, blocks=tuple(blocks))


def _where(deployment: str, namespace: str, env: str) -> str:
    return _(
        "`{deployment}` in `{namespace}` ({env})",
        deployment=escape(deployment),
        namespace=escape(namespace),
        env=env,
    )


def _short_image(image: str) -> str:
    return image.rsplit("/", 1)[-1]


_VERDICT_MARK = {
    "complete": ":white_check_mark:",
    "progressing": ":hourglass_flowing_sand:",
    "failed": ":x:",
    "paused": ":double_vertical_bar:",
    "unobserved": ":eyes:",
}


def render_rollout_status(status: RolloutStatus) -> Message:
    where = _where(status.deployment, status.namespace, status.env)
    verdict = f"{_VERDICT_MARK[status.state]} {where}: {_verdict(status)}"
    fields = [
        _(
            "*Generation*\n{generation} (observed {observed})",
            generation=status.generation,
            observed=status.observed_generation,
        ),
        _("*Desired*\n{count}", count=status.desired),
        _("*Updated*\n{count}", count=status.updated),
        _("*Ready*\n{count}", count=status.ready),
        _("*Available*\n{count}", count=status.available),
        _("*Pods (old + new)*\n{count}", count=status.total),
    ]
    blocks: list[Block] = [section(verdict), section("", fields=fields)]
    if status.progressing_reason:
        reason, detail = escape(status.progressing_reason), status.progressing_message
        blocks.append(
            context(
                _(
                    "Progressing condition: *{reason}*: {message}",
                    reason=reason,
                    message=escape(detail),
                )
                if detail and detail != status.progressing_reason
                else _("Progressing condition: *{reason}*", reason=reason)
            )
        )
    text = f"{status.deployment} ({status.env}): {status.state}"
    return Message(text=text, blocks=tuple(blocks))


def _verdict(s: RolloutStatus) -> str:
    if s.state == "unobserved":
        return _(
            "waiting for the controller to observe generation {generation} "
            "(it has seen {observed}).",
            generation=s.generation,
            observed=s.observed_generation,
        )
    if s.state == "failed":
        return _("*rollout failed*: progress deadline exceeded.")
    if s.state == "paused":
        return _("rollout is *paused*.")
    if s.state == "complete":
        return _(
            "successfully rolled out, {available}/{desired} available.",
            available=s.available,
            desired=s.desired,
        )
    if s.updated < s.desired:
        return _(
            "rolling out: {updated} of {desired} new replicas updated.",
            updated=s.updated,
            desired=s.desired,
        )
    if s.total > s.updated:
        return _("rolling out: {old} old replicas pending termination.", old=s.total - s.updated)
    return _(
        "rolling out: {available} of {updated} updated replicas available.",
        available=s.available,
        updated=s.updated,
    )
