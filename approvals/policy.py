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
from typing import Literal

from approvals.access_matrix import effective_matrix, is_core_infrastructure
from approvals.roles import Role
from ops.config import ENV_NAMES, Config, EnvName

Outcome = Literal["allow", "approval", "deny"]
CORE_INFRASTRUCTURE = "core.modify"  # any namespace neither the hub's nor labelled a preview
ACTION_LABELS = {
    "hub.scale": "rtb-ai-hub service scale",
    "hub.rollback": "rtb-ai-hub service rollback",
    "hub.set-image": "rtb-ai-hub service set image",
    "hub.queue": "rtb-ai-hub queue pause/resume/retry",
    "preview.create": "preview namespace create",
    "preview.delete": "preview namespace delete",
    "preview.workload": "preview workload change (scale, restart, set image)",
    "preview.extend": "preview TTL extension",
    CORE_INFRASTRUCTURE: "core infrastructure change",
}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str  # a sentence for the person who asked
    rule: str  # which rule decided, for the audit log and the refusal


@dataclass(frozen=True)
class PolicyRow:
    action: str
    label: str
    cells: dict[EnvName, Outcome]
    channels: tuple[str, ...]


def label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


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
        rule = f"policy {action} {env} = {cell or 'not listed'}"
        if cell == "allow":
            return Decision("allow", f"{env}: {label(action)} is allowed", rule)
        if cell == "approval":
            return Decision(
                "approval", f"{env}: {label(action)} needs a team lead's approval", rule
            )
        if cell == "deny" and is_core_infrastructure(action, env):
            return Decision("deny", _core_sentence(env), rule)
        if cell == "deny":
            return Decision("deny", f"{env}: {label(action)} is not allowed from the bot", rule)
        return Decision(
            "deny", f"{env}: `{action}` is not in the access matrix, so it is denied", rule
        )

    def rows(self) -> list[PolicyRow]:
        return [
            PolicyRow(action, label(action), dict(cells), self._channels.get(action, ()))
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
        where = ", ".join(f"<#{c}>" for c in allowed)
        return Decision(
            "deny", f"{label(action)} may only be requested in {where}", f"channels_only {action}"
        )


def _role_refusal(role: Role) -> Decision | None:
    if role == "viewer":
        return Decision("deny", "viewers cannot request changes", "roles: viewer")
    if role == "none":
        return Decision(
            "deny",
            "only operators and team leads can request changes, and you are in neither role",
            "roles: not listed",
        )
    return None


def _core_refusal(action: str, env: EnvName) -> Decision | None:
    if action != CORE_INFRASTRUCTURE:
        return None
    return Decision("deny", _core_sentence(env), "§8 core infrastructure")


def _core_sentence(env: EnvName) -> str:
    return f"{env} core infrastructure is never modified from the bot"
