"""The shapes every section of the config shares: env names, the strict model, URLs, cron."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger
from pydantic import AfterValidator, BaseModel, ConfigDict

EnvName = Literal["int", "stg", "prd"]
ENV_NAMES: tuple[EnvName, ...] = ("int", "stg", "prd")
# The MISSION: stg and prd are reached only through STS AssumeRole (never the bot's own role).
ASSUMED_ROLE_ENVS: tuple[EnvName, ...] = ("stg", "prd")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _http_url(value: str) -> str:
    url = urlsplit(value)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ValueError("expected an http(s) URL, e.g. https://slack.com/api/")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]  # checked here, not when a call fails


def cron_expression(value: str, expected: str, timezone: str | None = None) -> str:
    """`value` when the scheduler reads it as a 5-field cron expression in `timezone` (None:
    the scheduler's own default); else a ValueError naming the scheduler's complaint and what
    was `expected`."""
    try:
        CronTrigger.from_crontab(value, timezone=timezone)
    except ValueError as exc:
        raise ValueError(f"{exc} ({expected})") from None
    return value
