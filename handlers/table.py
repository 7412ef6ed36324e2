"""The command table: every `/rtb` verb, as data (see handlers.spec.Command)."""

from __future__ import annotations

from collections.abc import Iterable

from handlers import (
    approvals,
    audit,
    cloud,
    cluster,
    diagnose,
    digests,
    general,
    hub,
    incidents,
    mutations,
    pod_events,
    policy,
    preview_mutations,
    queue_mutations,
    rollouts,
)
from handlers.spec import Command


def build_table(*groups: Iterable[Command]) -> dict[str, Command]:
    table: dict[str, Command] = {}
    for command in (c for group in groups for c in group):
        if command.verb in table:
            raise ValueError(f"duplicate command {command.verb!r}")  # internal: a programmer's slip
        table[command.verb] = command
    return table


TABLE = build_table(
    general.COMMANDS,
    hub.COMMANDS,
    cluster.COMMANDS,
    pod_events.COMMANDS,
    cloud.COMMANDS,
    diagnose.COMMANDS,
    digests.COMMANDS,
    incidents.COMMANDS,
    mutations.COMMANDS,
    rollouts.COMMANDS,
    queue_mutations.COMMANDS,
    preview_mutations.COMMANDS,
    approvals.COMMANDS,
    policy.COMMANDS,
    audit.COMMANDS,
)
