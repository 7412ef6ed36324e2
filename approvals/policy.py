"""The access matrix (runbook §8) as data: one decision for (action, env, role, channel).

Checked in this order, the first rule that refuses names itself in the decision:
1. roles: only operators and leads request changes;
2. core infrastructure: never modified from the bot, in any env (a hard rule, not a cell);
3. channel restrictions (`channels_only`);
4. the matrix cell (approvals.access_matrix: the default, the cells `config.policy` replaces);
   an action the matrix does not list is denied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from approvals.access_matrix import effective_matrix, is_core_infrastructure
from approvals.roles import Role
from ops.config import ENV_NAMES, Config, EnvName

Outcome = Literal["allow", "approval", "deny"]
CORE_INFRASTRUCTURE = "core.modify"  # any namespace neither the hub's nor labelled a preview


class Why(Enum):
    """Which rule decided (`handlers/render/decisions.py` words it for the person who asked)."""

    ALLOWED = "allowed"  # the matrix cell allows it
    NEEDS_APPROVAL = "needs_approval"  # the cell asks for a team lead's approval
    NOT_FROM_BOT = "not_from_bot"  # the cell denies it
    NOT_IN_MATRIX = "not_in_matrix"  # the matrix does not list the action
    CORE = "core"  # core infrastructure (also a hub action outside int)
    CHANNELS_ONLY = "channels_only"  # only from the channels in `channels`
    VIEWER = "viewer"
    NO_ROLE = "no_role"


@dataclass(frozen=True)
class Reason:
    """Why a decision is what it is, as data: the rule, and the env, action and channel ids it
    names (what the renderer needs to say it)."""

    why: Why
    env: str = ""
    action: str = ""
    channels: tuple[str, ...] = ()

    def as_data(self) -> dict[str, Any]:
        """For an audit event (read back by `from_data`)."""
        return {"policy": self.why.value, "env": self.env, "action": self.action,
                "channels": list(self.channels)}  # fmt: skip

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reason:
        channels = tuple(str(c) for c in data.get("channels") or ())
        return cls(Why(data["policy"]), str(data["env"]), str(data["action"]), channels)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: Reason  # for the person who asked, worded by the renderer
    rule: str  # which rule decided, for the audit log and the refusal


@dataclass(frozen=True)
class PolicyRow:
    action: str
    cells: dict[EnvName, Outcome]
    channels: tuple[str, ...]


class Policy:
    def __init__(self, config: Config) -> None:
        self._matrix = effective_matrix(config.policy)
        self._channels = config.channels_only

    def decide(self, action: str, env: EnvName, role: Role, channel: str) -> Decision:
        return (
            _role_refusal(role)
            or _core_refusal(action, env)
            or self._channel_refusal(action, channel)
            or self.cell_decision(action, env)
        )

    def cell_decision(self, action: str, env: EnvName) -> Decision:
        """What the matrix alone says (no role, no channel): also used right before running."""
        cell = self._matrix.get(action, {}).get(env)
        rule = f"policy {action} {env} = {cell or 'not listed'}"  # internal: a rule's name
        if cell == "allow":
            return Decision("allow", Reason(Why.ALLOWED, env, action), rule)
        if cell == "approval":
            return Decision("approval", Reason(Why.NEEDS_APPROVAL, env, action), rule)
        if cell == "deny" and is_core_infrastructure(action, env):
            return Decision("deny", Reason(Why.CORE, env, action), rule)
        if cell == "deny":
            return Decision("deny", Reason(Why.NOT_FROM_BOT, env, action), rule)
        return Decision("deny", Reason(Why.NOT_IN_MATRIX, env, action), rule)

    def rows(self) -> list[PolicyRow]:
        return [
            PolicyRow(action, dict(cells), self._channels.get(action, ()))
            for action, cells in self._matrix.items()
        ]

    def actions(self) -> list[str]:
        return list(self._matrix)

    def for_role(self, role: Role, channel: str = "") -> dict[str, dict[EnvName, Decision]]:
        """Per action and env, what `role` may do (from `channel`, or any allowed one)."""
        return {
            action: {
                env: self.decide(action, env, role, channel or self._any_channel(action))
                for env in ENV_NAMES
            }
            for action in self._matrix
        }

    def _any_channel(self, action: str) -> str:
        allowed = self._channels.get(action)
        return allowed[0] if allowed else ""

    def _channel_refusal(self, action: str, channel: str) -> Decision | None:
        allowed = self._channels.get(action)
        if not allowed or channel in allowed:
            return None
        reason = Reason(Why.CHANNELS_ONLY, action=action, channels=tuple(allowed))
        return Decision("deny", reason, f"channels_only {action}")


def _role_refusal(role: Role) -> Decision | None:
    if role == "viewer":
        return Decision("deny", Reason(Why.VIEWER), "roles: viewer")  # internal: a rule's name
    if role == "none":
        return Decision("deny", Reason(Why.NO_ROLE), "roles: not listed")  # internal: as above
    return None


def _core_refusal(action: str, env: EnvName) -> Decision | None:
    if action != CORE_INFRASTRUCTURE:
        return None
    return Decision("deny", Reason(Why.CORE, env, action), "§8 core infrastructure")  # internal
