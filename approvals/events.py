"""Audit events for specs and requests, with the fields every event carries."""

from __future__ import annotations

from typing import Any

from approvals.audit import AuditEvent
from approvals.mutations import MutationSpec
from approvals.requests import ApprovalRequest

BOT_ACTOR = "rtb-bot"  # housekeeping: expiry, orphaned requests


def spec_event(
    spec: MutationSpec, actor: str, outcome: str, correlation_id: str | None, **detail: Any
) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action=spec.mutation,
        outcome=outcome,
        env=spec.env,
        params=spec.params,
        digest=spec.digest,
        correlation_id=correlation_id,
        detail={"policy_action": spec.action, **detail},
    )


def request_event(
    request: ApprovalRequest,
    actor: str,
    outcome: str,
    correlation_id: str | None,
    **detail: Any,
) -> AuditEvent:
    return AuditEvent(
        actor=actor,
        action=request.mutation,
        outcome=outcome,
        env=request.env,
        params=request.params,
        digest=request.digest,
        correlation_id=correlation_id,
        approval_id=request.id,
        detail={"policy_action": request.action, **detail},
    )
