"""rtb-ai-hub's own HTTP API, per env (`hub_api_url`): `/rtb ping` asks whether it answers.

The probe is `GET /api/previews`, the endpoint the runbook itself uses (§3.2), so "reachable"
means the hub answers the bot the way it answers an operator's curl. One aiohttp session for
every env, opened on first use and closed at shutdown.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from ops.config import Config, EnvName

PROBE_PATH = "/api/previews"


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
            raise aiohttp.ClientPayloadError("the previews answer is not a list")
        return [entry for entry in body if isinstance(entry, dict)]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
