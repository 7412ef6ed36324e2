"""`/rtb ping` and `/readyz`: which backends are configured and reachable, per env."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

from ops.backends.container import Backends
from ops.backends.redis_client import ping_redis
from ops.config import EnvName
from ops.errors import BackendUnavailable
from ops.fanout import Part, gather_parts
from ops.logs import QUERY_ENV

LOG_GROUPS = "AWS::Logs::LogGroup"


@dataclass(frozen=True)
class BackendCheck:
    name: str  # "PostgreSQL (bot)", "AWS stg", …
    configured: bool
    reachable: bool
    detail: str  # account id, server version, or the failure reason


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
    return [_check(name, part, "ok") for name, part in parts.items()]


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
            unconfigured.append(BackendCheck(f"Kubernetes {env}", False, False, "not configured"))
        if settings.hub_api_url:
            calls[f"Hub API {env}"] = backends.hub_api.probe(env)
        else:
            unconfigured.append(BackendCheck(f"Hub API {env}", False, False, "not configured"))
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
    checks = [_check(name, part, part.value or "") for name, part in parts.items()]
    return PingReport(version, (*checks, *unconfigured))


def _check(name: str, part: Part[str], detail: str) -> BackendCheck:
    if part.failure is not None:
        return BackendCheck(name, True, False, part.failure.reason)
    return BackendCheck(name, True, True, detail)


async def _ok(awaitable: Awaitable[None]) -> str:
    await awaitable
    return "ok"


async def _aws_account(backends: Backends, env: EnvName) -> str:
    account = await backends.blocking.run(
        f"AWS {env}", backends.config.timeouts.backend_seconds, backends.aws.caller_account, env
    )
    expected = backends.config.environments[env].account_id
    return f"account {account}" + ("" if account == expected else f" (config says {expected}!)")


async def _oam_links(backends: Backends) -> dict[str, tuple[str, ...]]:
    return await backends.blocking.run(
        f"OAM {QUERY_ENV}",
        backends.config.timeouts.backend_seconds,
        backends.aws.oam_linked_accounts,
        QUERY_ENV,
    )


async def _oam_link(
    backends: Backends, env: EnvName, linked: asyncio.Future[dict[str, tuple[str, ...]]]
) -> str:
    """Whether `env`'s log groups reach the observability account, where every log search
    runs: without the link, `/rtb search … --env prd` finds nothing and cannot say why."""
    account = backends.config.environments[env].account_id
    shared = (await asyncio.shield(linked)).get(account)
    if shared is None:
        raise BackendUnavailable(f"OAM {env}", f"account {account} has no link to {QUERY_ENV}")
    if LOG_GROUPS not in shared:
        raise BackendUnavailable(f"OAM {env}", f"account {account}'s link shares no log groups")
    return f"account {account} linked (log groups shared)"


async def _kube_version(backends: Backends, env: EnvName) -> str:
    version = await backends.kube.call(env, "version", "get_code")
    return f"server {version.get('gitVersion', '?')}"
