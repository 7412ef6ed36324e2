"""The arguments many commands share, checked against the bot's config: an env, a namespace."""

from __future__ import annotations

from handlers.context import CommandCall
from handlers.render.i18n import _
from ops.config import EnvName
from ops.errors import UserError


def optional_env(call: CommandCall) -> EnvName | None:
    """The env the user named, if any; one the config does not list is refused by name."""
    env: EnvName | None = call.values["env"]
    return None if env is None else _known(call, env)


def configured_env(call: CommandCall, *, default: EnvName | None = None) -> EnvName:
    """The env the user named (or `default`), known to the config."""
    env: EnvName | None = call.values["env"] or default
    if env is None:  # the command table makes `env` required where there is no default
        raise ValueError("an env is required")  # internal: a command table's mistake
    return _known(call, env)


def namespace_or_hub(call: CommandCall) -> str:
    """The namespace the user named, else the hub's."""
    return str(call.values["namespace"] or call.deps.config.hub.namespace)


def _known(call: CommandCall, env: EnvName) -> EnvName:
    if env not in call.deps.config.environments:
        raise UserError(
            _("`{env}` is not configured in this bot (environments in its config).", env=env)
        )
    return env
