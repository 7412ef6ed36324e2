"""What every step of the gate works with, built once (see approvals.gate.Gate)."""

from __future__ import annotations

from dataclasses import dataclass

from approvals.audit import AuditLog
from approvals.notifier import ApprovalNotifier
from approvals.policy import Policy
from approvals.roles import RoleResolver
from approvals.spool import ResultSpool
from approvals.store import ApprovalStore
from ops.backends.container import Backends
from ops.config import Config


@dataclass(frozen=True)
class GateServices:
    config: Config
    backends: Backends
    roles: RoleResolver
    policy: Policy
    audit: AuditLog
    store: ApprovalStore
    notifier: ApprovalNotifier
    spool: ResultSpool  # results that ran while the database was down
