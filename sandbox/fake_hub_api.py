"""rtb-ai-hub's own API as the sandbox serves it: `GET /<env>/api/previews`, the list the
runbook reads with curl (§3.2), made from that env's fake cluster: one entry per preview
namespace, with the fields the runbook uses (`id, env, createdAt, status`). The hub keeps its
own records, so the two can disagree: `add_record` lists a preview without a namespace (deleted
by hand), `forget` drops one whose namespace stays (created outside the hub)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sandbox.fake_kube import FakeKubeServer
from sandbox.seed_kube import ISSUE_LABEL, PREVIEW_LABEL
from sandbox.threaded_http import ThreadedHttpServer


class FakeHubApi:
    def __init__(self, kube: Mapping[str, FakeKubeServer]) -> None:
        self._kube = kube
        self._extra: dict[str, dict[str, dict[str, Any]]] = {}  # env → id → the hub's record
        self._forgotten: set[tuple[str, str]] = set()
        self._server = ThreadedHttpServer(self._handle, name="fake hub API")
        self.url = ""

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
        if request.method != "GET" or path != "api/previews" or env not in self._kube:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(self.previews(env))
