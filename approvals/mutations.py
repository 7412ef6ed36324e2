"""A mutation as data: what would change, where, with exactly which parameters.

Everything the gate needs to decide, ask, store, re-check and run a change is here, so adding a
mutation is one small class (see approvals/workload_mutations.py) plus one line in
approvals/catalog.py:

- `mutation`: the stored name (`scale`); `action`: the policy action it is (`preview.workload`),
  settled by `classified(backends)` from what the cluster says (approvals/namespaces.py);
- `params`: exactly what `execute` runs: stored with the request, digested, never re-typed;
- `preflight(backends)`: the state read just now; compared again right before running;
- `describe_state` / `describe_change`: what the card shows, as data (approvals/facts.py);
- `execute(backends, actor)`: do it, as `actor` (requester and approver reach CloudTrail);
- `from_params(config, env, params)`: rebuild a stored request on any replica.

Optional hooks (defaults: none of it): `confirmation` (ask "are you sure?" even where the policy
allows it at once), `steps` (one change made of several, audited one by one), `rollouts` (the
deployments to follow afterwards) and `undo` (the change that takes this one back).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from approvals.facts import Fact, Said, fact_from_data, said_as_data
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import UserError


@dataclass(frozen=True)
class Target:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


class OutcomeUnknown(Exception):
    """A change that may or may not have been applied: a write without a clear answer, or one of
    several parts that stopped after some were applied. `error` says what is known (a `UserError`,
    data: the failure, the state read again, each part's outcome). Recorded as unknown, never as
    "nothing changed"."""

    def __init__(self, error: UserError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Change:
    """From a state to what a change leaves, as facts (text in rows stored before facts)."""

    before: Said
    after: Said

    def as_data(self) -> dict[str, Any]:
        return {"before": said_as_data(self.before), "after": said_as_data(self.after)}

    @classmethod
    def from_data(cls, data: Any) -> Change:
        stored = data if isinstance(data, dict) else {}
        before, after = stored.get("before", "?"), stored.get("after", "?")
        return cls(fact_from_data(before), fact_from_data(after))


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces (digests and the audit hash chain)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_document(action: str, mutation: str, env: str, params: dict[str, Any]) -> str:
    """Exactly what runs, as one text: what a request's digest (an HMAC, approvals/signing.py)
    and an audit row's unkeyed fingerprint are computed over."""
    return canonical_json({"action": action, "mutation": mutation, "env": env, "params": params})


def params_digest(action: str, mutation: str, env: str, params: dict[str, Any]) -> str:
    return hashlib.sha256(digest_document(action, mutation, env, params).encode()).hexdigest()


@dataclass(frozen=True)
class MutationSpec(ABC):
    env: EnvName
    action: str
    target: Target
    params: dict[str, Any] = field(default_factory=dict)

    mutation: ClassVar[str] = ""

    @classmethod
    @abstractmethod
    def from_params(cls, config: Config, env: EnvName, params: dict[str, Any]) -> Self:
        """The spec of a stored request (raises UserError/KeyError for unusable params)."""

    @abstractmethod
    async def preflight(self, backends: Backends) -> dict[str, Any]:
        """The state this change starts from, as plain JSON (compared before running)."""

    @abstractmethod
    def describe_state(self, state: dict[str, Any]) -> Fact:
        """A preflight state as a fact (worded `3 replicas (app=repo:v1)`)."""

    @abstractmethod
    def describe_change(self, preflight: dict[str, Any]) -> Change:
        """From the preflight state to what `execute` will leave."""

    @abstractmethod
    async def execute(self, backends: Backends, actor: Actor) -> dict[str, Any]:
        """Run exactly `params`; the result as plain JSON."""

    async def classified(self, backends: Backends) -> Self:
        """This change with the policy action its target is now, read from the cluster (the gate
        calls it before deciding, and again before an approved change runs). Default: as built."""
        return self

    @property
    def possible_actions(self) -> tuple[str, ...]:
        """Every action `classified` may return, known without reading anything (whether a
        form may be needed is decided before any read: handlers.forms). Default: as built."""
        return (self.action,)

    @property
    def digest(self) -> str:
        """Unkeyed fingerprint (audit rows of changes run at once; the row itself is signed)."""
        return params_digest(self.action, self.mutation, self.env, self.params)

    @property
    def document(self) -> str:
        """What a stored request's keyed digest covers."""
        return digest_document(self.action, self.mutation, self.env, self.params)

    def headline(self) -> str:
        """`scale preview-PROJ-7/app in prd`."""
        return f"{self.mutation} {self.target} in {self.env}"

    def confirmation(self, preflight: dict[str, Any], config: Config) -> Fact | None:
        """Why the requester must confirm first even when the policy allows it; None: no need."""
        return None

    def steps(self) -> tuple[MutationSpec, ...]:
        """The changes this one is made of, each run and audited on its own."""
        return (self,)

    def rollouts(self) -> tuple[Target, ...]:
        """Deployments whose rollout this change starts (followed once it succeeded)."""
        return ()

    def undo(self, result: dict[str, Any], config: Config) -> MutationSpec | None:
        """The change that takes this one back, from its result; None when there is none."""
        return None
