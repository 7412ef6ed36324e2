"""Settings: secrets from the environment, everything else from one YAML file."""

from __future__ import annotations

import base64
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from approvals.access_matrix import validated_config
from approvals.signing import KeysError, SigningKeys
from ops.config import Config

SECRET_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "DATABASE_URL",
    "HUB_DATABASE_URL",
    "REDIS_URL",
    "AUDIT_HMAC_KEYS",
    "DATABASE_MIGRATION_URL",
    "PAGERDUTY_ROUTING_KEY",
    "JIRA_EMAIL",
    "JIRA_API_TOKEN",
)
DEFAULT_CONFIG_PATH = "config.yml"
PAGERDUTY_KEY_CHARS = 32
# What each variable must start with, and an example of the whole.
_SHAPES: dict[str, tuple[tuple[str, ...], str]] = {
    "SLACK_BOT_TOKEN": (("xoxb-",), "the bot token, xoxb-…"),
    "SLACK_APP_TOKEN": (("xapp-",), "an app-level token with connections:write, xapp-…"),
    "DATABASE_URL": (
        ("postgresql://", "postgres://"),
        "postgresql://user@host:5432/rtb_bot or host=… dbname=rtb_bot",
    ),
    "HUB_DATABASE_URL": (
        ("postgresql://", "postgres://"),
        "postgresql://user@host:5432/hub or host=… dbname=hub",
    ),
    "REDIS_URL": (("redis://", "rediss://", "unix://"), "redis://host:6379/0"),
    "DATABASE_MIGRATION_URL": (
        ("postgresql://", "postgres://"),
        "postgresql://rtb_bot_owner@host:5432/rtb_bot (the owner role: README, Security)",
    ),
}


@dataclass(frozen=True)
class Secrets:
    """Values that never go into the YAML file (or a log line)."""

    slack_bot_token: str = ""
    slack_app_token: str = ""
    slack_signing_secret: str = ""
    database_url: str = ""
    hub_database_url: str = ""
    redis_url: str = ""
    audit_hmac_keys: str = ""  # approvals/signing.py: id:secret[,id:secret…], the first signs
    database_migration_url: str = ""  # the owner role; unset: migrations run as DATABASE_URL
    pagerduty_routing_key: str = ""  # the Events API integration key; unset: nothing pages
    jira_email: str = ""  # the Jira account of ttl_notice.jira (basic auth with the token)
    jira_api_token: str = ""

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Secrets:
        env = os.environ if environ is None else environ
        return cls(*(env.get(name, "") for name in SECRET_VARIABLES))

    def values(self) -> list[str]:
        """Every secret value, each HMAC key's secret also on its own (for the log redactor)."""
        found = [v for v in vars(self).values() if v]
        keys = (part.partition(":")[2] for part in self.audit_hmac_keys.split(","))
        found += [key.strip() for key in keys if key.strip()]
        if self.jira_email and self.jira_api_token:  # the Basic auth header carries both
            pair = f"{self.jira_email}:{self.jira_api_token}".encode()
            found.append(base64.b64encode(pair).decode())
        return found

    def signing_keys(self) -> SigningKeys:
        """The parsed AUDIT_HMAC_KEYS (KeysError when malformed: `problems` says so first)."""
        return SigningKeys.parse(self.audit_hmac_keys)

    def problems(self, *, socket_mode: bool) -> list[str]:
        """What `serve` cannot start with: unset or malformed variables, named, never echoed."""
        needed = ["SLACK_BOT_TOKEN", "DATABASE_URL", "HUB_DATABASE_URL", "REDIS_URL"]
        needed.append("SLACK_APP_TOKEN" if socket_mode else "SLACK_SIGNING_SECRET")
        needed.append("AUDIT_HMAC_KEYS")
        if self.database_migration_url:
            needed.append("DATABASE_MIGRATION_URL")
        found = []
        for name in needed:
            value = getattr(self, name.lower())
            if not value:
                found.append(f"{name} is not set")
            elif name in _SHAPES and not _shaped(name, value):
                found.append(
                    f"{name} does not start with {' or '.join(_SHAPES[name][0])}: "
                    f"expected {_SHAPES[name][1]}"
                )
        if self.audit_hmac_keys:
            try:
                self.signing_keys()
            except KeysError as exc:
                found.append(f"AUDIT_HMAC_KEYS: {exc}")
        key = self.pagerduty_routing_key
        if key and len(key) != PAGERDUTY_KEY_CHARS:  # PagerDuty would refuse every page
            found.append(
                f"PAGERDUTY_ROUTING_KEY is {len(key)} characters: expected the "
                f"{PAGERDUTY_KEY_CHARS}-character integration key of an Events API v2 integration"
            )
        return found


def _shaped(name: str, value: str) -> bool:
    prefixes, _ = _SHAPES[name]
    if name.endswith("DATABASE_URL") and "=" in value and "://" not in value:
        return True  # libpq's other form, "host=db dbname=rtb_bot …": psycopg takes it
    return value.startswith(prefixes)


@dataclass(frozen=True)
class Settings:
    config: Config
    secrets: Secrets


class ConfigError(Exception):
    """The configuration file is invalid; `problems` holds one line per mistake."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems


def load_config(path: str | Path) -> Config:
    """Read and validate the YAML file, or raise ConfigError naming every mistake."""
    text = _read(path)
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "somewhere"
        raise ConfigError(str(path), [f"not valid YAML ({where})"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["the file must hold a mapping of settings at the top"])
    try:
        return validated_config(raw)
    except ValidationError as exc:
        raise ConfigError(str(path), describe_errors(exc)) from None


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found (copy config.example.yml)"]) from None
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read it ({exc.strerror})"]) from None


def describe_errors(exc: ValidationError) -> list[str]:
    """One line per pydantic error: field path, what is wrong, what is expected."""
    return [_describe(error) for error in exc.errors()]


def _describe(error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    path = ".".join(loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown field{_suggestion(loc)}"
    if error["type"] == "missing":
        return f"{path}: required field is missing"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: {message} (got {error.get('input')!r})"


def _suggestion(loc: list[str]) -> str:
    known = _fields_at(loc[:-1])
    close = difflib.get_close_matches(loc[-1], known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(known)})"


def _fields_at(parents: list[str]) -> list[str]:
    model: type[BaseModel] = Config
    for part in parents:
        field = model.model_fields.get(part)
        if field is None:
            continue  # a dict key such as an env name: stay on the value model
        candidates = (field.annotation, *getattr(field.annotation, "__args__", ()))
        model = next((c for c in candidates if _is_model(c)), model)
    return list(model.model_fields)


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def load_settings(path: str | Path, environ: dict[str, str] | None = None) -> Settings:
    return Settings(config=load_config(path), secrets=Secrets.from_environ(environ))
