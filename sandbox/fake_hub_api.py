"""rtb-ai-hub's own API as the sandbox serves it: `GET /<env>/api/previews`, the list the
runbook reads with curl (§3.2), made from that env's fake cluster: one entry per preview
namespace, with the fields the runbook uses (`id, env, createdAt, status`). The hub keeps its
own records, so the two can disagree: `add_record` lists a preview without a namespace (deleted
by hand), `forget` drops one whose namespace stays (created outside the hub).

`POST /int/api/previews/cleanup` (CLEANUP_PATH, with `{"env": "<env>"}`) is the hub's
cleanupExpired(), served by the hub in int only (it manages every env's previews): it deletes
each of that env's expired preview namespaces through the env's Kubernetes API (as the hub's
service account would) and drops its records, answering `{"removed": [issue keys]}`. `cleanup_mode`
makes it an older hub without the endpoint ("missing": 404) or one that does the work and then
answers too late ("slow": after `slow_seconds`), the case the bot must report as unknown, or
one that refuses the call and does nothing ("refused": 403), or one that fails half-way
("crashed": it removes the expired previews, then answers 500)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import aiohttp
from aiohttp import web

from sandbox.fake_kube import FakeKubeServer
from sandbox.seed_kube import EXPIRES_AT, ISSUE_LABEL, PREVIEW_LABEL
from sandbox.threaded_http import ThreadedHttpServer

PREVIEWS_PATH = "api/previews"
CLEANUP_PATH = "/api/previews/cleanup"  # the sandbox config's hub.cleanup_path
HUB_ENV = "int"  # the hub runs in int: its cleanup is served there only
CleanupMode = Literal["on", "missing", "slow", "refused", "crashed"]


class FakeHubApi:
    def __init__(self, kube: Mapping[str, FakeKubeServer]) -> None:
        self._kube = kube
        self._extra: dict[str, dict[str, dict[str, Any]]] = {}  # env → id → the hub's record
        self._forgotten: set[tuple[str, str]] = set()
        self._server = ThreadedHttpServer(self._handle, name="fake hub API")
        self.url = ""
        self.cleanup_mode: CleanupMode = "on"
        self.slow_seconds = 8.0  # past the bot's usual 5 s backend timeout
        self.cleanups: list[str] = []  # the envs whose cleanup was called, in order

    def start(self) -> str:
        self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def base_url(self, env: str) -> str:
        """The env's `hub_api_url`."""
        return f"{self.url}/{env}"

    def add_record(self, env: str, issue_key: str, status: str, created_at: str) -> None:
        """A record only the hub has (its namespace is gone)."""
        record = {"id": issue_key, "env": env, "createdAt": created_at, "status": status}
        self._extra.setdefault(env, {})[issue_key] = record

    def forget(self, env: str, issue_key: str) -> None:
        """The hub no longer lists this preview (its namespace may stay)."""
        self._forgotten.add((env, issue_key))

    def previews(self, env: str) -> list[dict[str, Any]]:
        found = list(self._extra.get(env, {}).values())
        for ns in self._kube[env].list("namespaces"):
            metadata = ns.get("metadata") or {}
            labels = metadata.get("labels") or {}
            if labels.get(PREVIEW_LABEL) == "true":
                found.append(
                    {
                        "id": labels.get(ISSUE_LABEL, metadata.get("name")),
                        "env": env,
                        "createdAt": metadata.get("creationTimestamp"),
                        "status": "running",
                    }
                )
        return [entry for entry in found if (env, entry["id"]) not in self._forgotten]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        env, _, path = request.path.lstrip("/").partition("/")
        if env in self._kube and request.method == "GET" and path == PREVIEWS_PATH:
            return web.json_response(self.previews(env))
        cleanup = "/" + path == CLEANUP_PATH and self.cleanup_mode != "missing"
        if env == HUB_ENV and request.method == "POST" and cleanup:
            return await self._cleanup(request)
        return web.json_response({"error": "not found"}, status=404)

    async def _cleanup(self, request: web.Request) -> web.Response:
        """cleanupExpired() of the env named in the body (the hub in int manages them all)."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        env = str(body.get("env")) if isinstance(body, dict) else ""
        if env not in self._kube:
            return web.json_response({"error": "env must be int, stg or prd"}, status=400)
        self.cleanups.append(env)
        if self.cleanup_mode == "refused":
            return web.json_response({"error": "forbidden"}, status=403)
        removed = await self._cleanup_expired(env)
        if self.cleanup_mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        if self.cleanup_mode == "crashed":
            return web.json_response({"error": "internal"}, status=500)
        return web.json_response({"removed": removed})

    async def _cleanup_expired(self, env: str) -> list[str]:
        """Delete each expired preview namespace over the cluster's API; forget its record."""
        removed = []
        async with aiohttp.ClientSession() as http:
            for name, key in self._expired(env):
                url = f"{self._kube[env].url}/api/v1/namespaces/{name}"
                async with http.delete(url) as answer:
                    if answer.status >= 300:
                        continue
                self.forget(env, key)
                removed.append(key)
        return removed

    def _expired(self, env: str) -> list[tuple[str, str]]:
        now = datetime.now(UTC)
        found = []
        for ns in self._kube[env].list("namespaces"):
            metadata = ns.get("metadata") or {}
            labels = metadata.get("labels") or {}
            expires = (metadata.get("annotations") or {}).get(EXPIRES_AT, "")
            if labels.get(PREVIEW_LABEL) != "true" or metadata.get("deletionTimestamp"):
                continue
            try:
                moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
            except ValueError:
                continue
            if (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) <= now:
                found.append((metadata["name"], labels.get(ISSUE_LABEL, metadata["name"])))
        return sorted(found)
