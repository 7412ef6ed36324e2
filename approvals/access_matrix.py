"""The access matrix (runbook §8) and its one hard rule, as data the policy decides by.

- `default_matrix()`: what each action may do in each env when the config says nothing;
- the core-infrastructure rule: the hub outside int is core infrastructure, never modified from
  the bot. It is not a cell anyone can configure: a config that tries is refused when it is
  loaded (`validated_config`, what `rtb-bot check-config` runs), and the effective matrix
  pins those cells to deny whatever reached it (`effective_matrix`);
- `effective_matrix(config.policy)`: the default with the cells the config names replaced.

The config (ops/config/) only parses what the YAML says (the cells given, the action names it
may use); what they mean is decided here and in approvals/policy.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from ops.config import ENV_NAMES, Config, EnvName

Outcome = Literal["allow", "approval", "deny"]
Matrix = dict[str, dict[EnvName, Outcome]]

HUB_ACTIONS = ("hub.scale", "hub.rollback", "hub.set-image", "hub.queue")
PREVIEW_ACTIONS = ("preview.create", "preview.delete", "preview.workload", "preview.extend")
# `hub.queue` is pause/resume/retry; `preview.workload` is a workload change in a namespace
# labelled `rtb.io/preview=true`: scale and set image today. MISSION's matrix also names restart
# there (`kubectl rollout restart`), so it belongs under this action, through the gate like
# scale, when it is built: until then no command offers it, and nothing else can run one.
# `preview.extend` moves a preview's TTL later (the TTL notice's Extend TTL button). The config
# may name exactly these (tests check the two lists agree).
ACTIONS = HUB_ACTIONS + PREVIEW_ACTIONS
CORE_ENV = "int"  # the only env whose hub the bot may change


def is_core_infrastructure(action: str, env: EnvName) -> bool:
    """The hub outside int: never modified from the bot (runbook §8), whatever the config says."""
    return action in HUB_ACTIONS and env != CORE_ENV


def default_matrix() -> Matrix:
    """The runbook §8 access matrix."""
    hub: dict[EnvName, Outcome] = {"int": "allow", "stg": "deny", "prd": "deny"}
    return {
        **{action: dict(hub) for action in HUB_ACTIONS},
        "preview.create": {"int": "allow", "stg": "allow", "prd": "approval"},
        "preview.delete": {"int": "allow", "stg": "allow", "prd": "allow"},
        "preview.workload": {"int": "allow", "stg": "allow", "prd": "approval"},
        # Not in the runbook's §8 table: a change to a prd preview, so approval like the others.
        "preview.extend": {"int": "allow", "stg": "allow", "prd": "approval"},
    }


def effective_matrix(overrides: Mapping[str, Mapping[EnvName, Outcome]]) -> Matrix:
    """The default with each cell the config names replaced; core infrastructure stays deny."""
    matrix = default_matrix()
    for action, cells in overrides.items():
        matrix.setdefault(action, {}).update(cells)
    for action, cells in matrix.items():
        for env in cells:
            if is_core_infrastructure(action, env):
                cells[env] = "deny"
    return matrix


def refused_cells(raw_policy: object) -> list[InitErrorDetails]:
    """The cells of a config's `policy:` mapping (as written) that open core infrastructure."""
    problems = []
    for action, cells in _mapping(raw_policy).items():
        for env in ENV_NAMES:
            value = _mapping(cells).get(env)
            if is_core_infrastructure(str(action), env) and value in ("allow", "approval"):
                message = (
                    f"{action} in {env}: {env} core infrastructure is never modified from "
                    "the bot (runbook §8); only 'deny' is accepted there"
                )
                problems.append(_problem(("policy", action, env), message, value))
    return problems


def validated_config(raw: Mapping[str, Any]) -> Config:
    """`Config.model_validate(raw)`, also refusing what the core-infrastructure rule forbids,
    every mistake named in one ValidationError (so check-config names them all in one run)."""
    refused = refused_cells(raw.get("policy"))
    if not refused:
        return Config.model_validate(raw)
    try:
        Config.model_validate(raw)
        own: list[InitErrorDetails] = []
    except ValidationError as exc:
        own = [_problem(e["loc"], e["msg"], e["input"], e["type"]) for e in exc.errors()]
    raise ValidationError.from_exception_data("Config", own + refused)


def _mapping(value: object) -> Mapping[Any, Any]:
    return value if isinstance(value, Mapping) else {}


def _problem(
    loc: tuple[str | int, ...], message: str, value: object, kind: str = "config"
) -> InitErrorDetails:
    error = PydanticCustomError(kind, "{problem}", {"problem": message})
    return InitErrorDetails(type=error, loc=loc, input=value)
