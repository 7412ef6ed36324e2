"""`/rtb ping` and `/readyz`: which backends are configured and reachable, per env."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from enum import Enum

from ops.backends.container import Backends
from ops.backends.redis_client import ping_redis
from ops.config import EnvName
from ops.fanout import Failed, Part, gather_parts
from ops.logs import QUERY_ENV

LOG_GROUPS = "AWS::Logs::LogGroup"


class Seen(Enum):
    """What a check found; `handlers/render/general.py` words it with the check's data."""

    AS_IS = "as_is"  # `detail` is shown as it is ("ok", "HTTP 200")
    NOT_CONFIGURED = "not_configured"
    ACCOUNT = "account"  # `detail`: the account id the credentials belong to
    ACCOUNT_MISMATCH = "account_mismatch"  # … and `against`: the one the config says
    LINKED = "linked"  # `detail`: the source account; its log groups reach `against`
    NOT_LINKED = "not_linked"  # no OAM link from `detail` to `against`
    NO_LOG_GROUPS = "no_log_groups"  # a link from `detail` that shares no log groups
    SERVER = "server"  # `detail`: the Kubernetes server's version


# Found, but not working: the log searches of that account find nothing
NOT_REACHED = frozenset({Seen.NOT_LINKED, Seen.NO_LOG_GROUPS})


@dataclass(frozen=True)
class Found:
    seen: Seen
    detail: str = ""
    against: str = ""


@dataclass(frozen=True)
class BackendCheck:
    name: str  # "PostgreSQL (bot)", "AWS stg", …
    configured: bool
    reachable: bool
    detail: str  # data: an account id, a server version, "ok"; or the failure's log reason
    seen: Seen = Seen.AS_IS
    against: str = ""  # the other account or env `seen` names
    failure: Failed | None = None  # why it is not reachable (worded by the renderer)


@dataclass(frozen=True)
class PingReport:
    version: str
    checks: tuple[BackendCheck, ...]


async def check_ready(backends: Backends) -> list[BackendCheck]:
    """The checks /readyz needs: the bot's database and Redis."""
    parts = await gather_parts(
        {"PostgreSQL (bot)": _ok(backends.db.ping()), "Redis": _ok(ping_redis(backends.redis))},
        backends.config.timeouts.backend_seconds,
    )
    return [_check(name, part) for name, part in parts.items()]


async def ping(backends: Backends, version: str) -> PingReport:
    timeout = backends.config.timeouts.backend_seconds
    calls = {
        "PostgreSQL (bot)": _ok(backends.db.ping()),
        "PostgreSQL (hub)": _ok(backends.hub_db.ping()),
        "Redis": _ok(ping_redis(backends.redis)),
    }
    unconfigured = []
    for env, settings in backends.config.environments.items():
        calls[f"AWS {env}"] = _aws_account(backends, env)
        if settings.eks_cluster or settings.kube_context or settings.kube_server:
            calls[f"Kubernetes {env}"] = _kube_version(backends, env)
        else:
            unconfigured.append(_unconfigured(f"Kubernetes {env}"))
        if settings.hub_api_url:
            calls[f"Hub API {env}"] = _as_is(backends.hub_api.probe(env))  # a name
        else:
            unconfigured.append(_unconfigured(f"Hub API {env}"))  # a name
    sources = [env for env in backends.config.environments if env != QUERY_ENV]
    linked = asyncio.ensure_future(_oam_links(backends)) if sources else None
    for env in sources:  # one call to the observability account serves every source env
        assert linked is not None
        calls[f"OAM {env} → {QUERY_ENV}"] = _oam_link(backends, env, linked)
    try:
        parts = await gather_parts(calls, timeout)
    finally:
        if linked is not None:
            linked.cancel()
    checks = [_check(name, part) for name, part in parts.items()]
    return PingReport(version, (*checks, *unconfigured))


def _check(name: str, part: Part[Found]) -> BackendCheck:
    if part.failure is not None:
        return BackendCheck(name, True, False, part.failure.reason, failure=part.failure)
    found = part.value or Found(Seen.AS_IS)
    reachable = found.seen not in NOT_REACHED
    return BackendCheck(name, True, reachable, found.detail, found.seen, found.against)


def _unconfigured(name: str) -> BackendCheck:
    return BackendCheck(name, False, False, "", Seen.NOT_CONFIGURED)


async def _ok(awaitable: Awaitable[None]) -> Found:
    await awaitable
    return Found(Seen.AS_IS, "ok")


async def _as_is(awaitable: Awaitable[str]) -> Found:
    return Found(Seen.AS_IS, await awaitable)


async def _aws_account(backends: Backends, env: EnvName) -> Found:
    account = await backends.blocking.run(
        f"AWS {env}", backends.config.timeouts.backend_seconds, backends.aws.caller_account, env
    )
    expected = backends.config.environments[env].account_id
    if account == expected:
        return Found(Seen.ACCOUNT, account)
    return Found(Seen.ACCOUNT_MISMATCH, account, expected)


async def _oam_links(backends: Backends) -> dict[str, tuple[str, ...]]:
    return await backends.blocking.run(
        f"OAM {QUERY_ENV}",
        backends.config.timeouts.backend_seconds,
        backends.aws.oam_linked_accounts,
        QUERY_ENV,
    )


async def _oam_link(
    backends: Backends, env: EnvName, linked: asyncio.Future[dict[str, tuple[str, ...]]]
) -> Found:
    """Whether `env`'s log groups reach the observability account, where every log search
    runs: without the link, `/rtb search … --env prd` finds nothing and cannot say why."""
    account = backends.config.environments[env].account_id
    shared = (await asyncio.shield(linked)).get(account)
    if shared is None:
        return Found(Seen.NOT_LINKED, account, QUERY_ENV)
    if LOG_GROUPS not in shared:
        return Found(Seen.NO_LOG_GROUPS, account, QUERY_ENV)
    return Found(Seen.LINKED, account, QUERY_ENV)


async def _kube_version(backends: Backends, env: EnvName) -> Found:
    version = await backends.kube.call(env, "version", "get_code")
    return Found(Seen.SERVER, str(version.get("gitVersion", "?")))
