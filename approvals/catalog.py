"""Every mutation the gate can store and run, by its stored name. Add a new one here."""

from __future__ import annotations

from typing import Any

from approvals.emergency_rollback import EmergencyRollback
from approvals.mutations import MutationSpec
from approvals.preview_cleanups import CleanupPreviews
from approvals.preview_mutations import PREVIEW_MUTATIONS
from approvals.queue_mutations import QUEUE_MUTATIONS
from approvals.rollout_mutations import ROLLOUT_MUTATIONS
from approvals.workload_mutations import ResumeAutoscaling, ScaleDeployment
from ops.config import Config, EnvName

WORKLOAD_MUTATIONS: tuple[type[MutationSpec], ...] = (ScaleDeployment, ResumeAutoscaling)
MUTATIONS: dict[str, type[MutationSpec]] = {
    spec.mutation: spec for spec in (*WORKLOAD_MUTATIONS, *ROLLOUT_MUTATIONS)
}
MUTATIONS.update({spec.mutation: spec for spec in (*QUEUE_MUTATIONS, *PREVIEW_MUTATIONS)})
MUTATIONS[CleanupPreviews.mutation] = CleanupPreviews
MUTATIONS[EmergencyRollback.mutation] = EmergencyRollback


def rebuild(config: Config, mutation: str, env: EnvName, params: dict[str, Any]) -> MutationSpec:
    """The spec of a stored request or draft (KeyError for an unknown mutation)."""
    return MUTATIONS[mutation].from_params(config, env, params)
