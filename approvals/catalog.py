"""Every mutation the gate can store and run, by its stored name. Add a new one here."""

from __future__ import annotations

from typing import Any

from approvals.mutations import MutationSpec
from approvals.workload_mutations import ScaleDeployment
from ops.config import Config, EnvName

MUTATIONS: dict[str, type[MutationSpec]] = {
    spec.mutation: spec
    for spec in (ScaleDeployment,)  # the mutations issue adds rollback, set-image, queues …
}


def rebuild(config: Config, mutation: str, env: EnvName, params: dict[str, Any]) -> MutationSpec:
    """The spec of a stored request or draft (KeyError for an unknown mutation)."""
    return MUTATIONS[mutation].from_params(config, env, params)
