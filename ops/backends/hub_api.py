"""rtb-ai-hub's own HTTP API, per env (`hub_api_url`): `/rtb ping` asks whether it answers.

The probe is `GET /api/previews`, the endpoint the runbook itself uses (§3.2), so "reachable"
means the hub answers the bot the way it answers an operator's curl. One aiohttp session for
every env, opened on first use and closed at shutdown.

`cleanup_expired` POSTs to the hub's cleanupExpired() endpoint (`hub.cleanup_path`) at int's
`hub_api_url` only, naming the env in the body (`{"env": "stg"}`): the hub runs in int, and the
bot changes nothing through a hub outside int (core infrastructure there). It is the one call
here that changes something: its failures say whether the hub may have acted
(`BackendError.may_have_applied`): not when the connection failed or the hub refused (a 4xx,
`Forbidden`…), possibly when the request went out and no full answer came back (`TimedOut`,
`Unavailable`, a 5xx).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from ops.backends.classify import http_failure
from ops.backends.faults import Details, Symptom, TimedOut, Unavailable
from ops.config import Config, EnvName

PROBE_PATH = "/api/previews"
CLEANUP_HUB_ENV: EnvName = "int"  # where the hub runs (runbook §3.1): the only hub changed
_CONNECT_SECONDS = 5.0  # connecting is quick or broken; past it, nothing was sent


class CleanupEndpointMissing(Exception):
    """The hub answered 404 at `hub.cleanup_path`: it has no such endpoint (an older hub)."""


class HubApi:
    def __init__(self, config: Config, timeout: float) -> None:
        self._config = config
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def configured(self, env: EnvName) -> bool:
        return bool(self._config.environments[env].hub_api_url)

    async def probe(self, env: EnvName) -> str:
        """ "HTTP 200" when the hub answers with success; raises ClientResponseError otherwise."""
        base = self._config.environments[env].hub_api_url or ""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        url = base.rstrip("/") + PROBE_PATH
        async with self._session.get(url, allow_redirects=False) as response:
            if not 200 <= response.status < 300:  # a redirect (to a login page) is not the hub
                raise aiohttp.ClientResponseError(
                    response.request_info, response.history, status=response.status
                )
            return f"HTTP {response.status}"

    async def list_previews(self, env: EnvName) -> list[dict[str, Any]]:
        """`GET /api/previews`: the hub's own list (`id, env, createdAt, status` each)."""
        base = self._config.environments[env].hub_api_url or ""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        async with self._session.get(base.rstrip("/") + PROBE_PATH, allow_redirects=False) as r:
            if not 200 <= r.status < 300:
                raise aiohttp.ClientResponseError(r.request_info, r.history, status=r.status)
            body = await r.json(content_type=None)
        if not isinstance(body, list):
            raise aiohttp.ClientPayloadError("not a list")  # internal: told by its type only
        return [entry for entry in body if isinstance(entry, dict)]

    async def cleanup_expired(self, env: EnvName) -> Any:
        """`POST <int's hub_api_url><hub.cleanup_path>` with `{"env": env}`: the hub's
        cleanupExpired() for `env`'s previews; its JSON answer.

        Raises CleanupEndpointMissing on a 404, BackendError otherwise (see the module)."""
        hub_env = self._config.environments.get(CLEANUP_HUB_ENV)
        base = (hub_env.hub_api_url if hub_env else None) or ""
        url = str(base).rstrip("/") + (self._config.hub.cleanup_path or "")
        name = "the hub's cleanupExpired"  # a name: the backend, as results and logs call it
        seconds = self._timeout.total or 10.0
        timeout = aiohttp.ClientTimeout(connect=min(_CONNECT_SECONDS, seconds), sock_read=seconds)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            body = {"env": env}
            async with self._session.post(
                url, json=body, allow_redirects=False, timeout=timeout
            ) as r:
                if r.status == 404:
                    raise CleanupEndpointMissing(url)
                if not 200 <= r.status < 300:  # 5xx: the hub may have stopped half-way
                    raise http_failure(r.status, f"HTTP {r.status}").error(name)
                return await _json_or_none(r)
        except (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError):
            reason, told = "cannot connect", Details(Symptom.CANNOT_CONNECT)  # internal: the log's
            raise Unavailable(name, reason, may_have_applied=False, details=told) from None
        except TimeoutError:
            reason = f"no answer within {seconds:g} s after the request was sent"  # internal: log
            told = Details(Symptom.NO_ANSWER_AFTER_SENDING, seconds=seconds)
            raise TimedOut(name, reason, details=told) from None
        except aiohttp.ClientError:
            reason = "the answer broke off after the request was sent"  # internal: the log's
            told = Details(Symptom.ANSWER_BROKE_OFF)
            raise Unavailable(name, reason, details=told) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    """The answer's JSON; None when it is not JSON (the call succeeded all the same)."""
    try:
        return await response.json(content_type=None)
    except ValueError:
        return None
