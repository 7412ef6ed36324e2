"""Where an alarm belongs: its env (by the account it fired in) and its card's channel."""

from __future__ import annotations

from fnmatch import fnmatchcase

from ops.config import Config, EnvName


def env_of(config: Config, account: str) -> EnvName | None:
    """The configured env whose account fired the alarm; None for any other account (its card
    says so rather than guessing)."""
    for env, settings in config.environments.items():
        if settings.account_id == account:
            return env
    return None


def channel_for(config: Config, alarm_name: str) -> str:
    """The first route whose pattern matches the alarm's name (case-sensitive, as CloudWatch's
    names are), else `channels.incidents`."""
    for route in config.incidents.routes:
        if any(fnmatchcase(alarm_name, pattern) for pattern in route.alarms):
            return route.channel
    return config.channels.incidents
