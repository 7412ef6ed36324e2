"""The actions a config's `policy:` and `channels_only:` may name. What each may do where, and
the rule no config can change, are the policy's: approvals/access_matrix.py."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Literal

from pydantic_core import InitErrorDetails

from ops.config.mistakes import problem

PolicyOutcome = Literal["allow", "approval", "deny"]
MUTATION_ACTIONS: tuple[str, ...] = (
    "hub.scale",
    "hub.rollback",
    "hub.set-image",
    "hub.queue",
    "preview.create",
    "preview.delete",
    "preview.workload",
    "preview.extend",
)


def unknown_actions(names: Mapping[str, Any]) -> list[InitErrorDetails]:
    """A mistake for each name that is not one of MUTATION_ACTIONS (with the closest one)."""
    problems = []
    for name in names:
        if isinstance(name, str) and name not in MUTATION_ACTIONS:  # else pydantic names it
            close = difflib.get_close_matches(name, MUTATION_ACTIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            known = ", ".join(MUTATION_ACTIONS)
            message = f"unknown action {name!r} ({hint}known actions: {known})"
            problems.append(problem((name,), message, name))
    return problems
