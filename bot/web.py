"""HTTP endpoints: `/slack/events` (HTTP mode), `/healthz` and `/readyz` (both modes)."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response

from bot.app import Runtime
from bot.requests import bolt_request
from ops.health import check_ready


def build_web_app(runtime: Runtime, *, serve_slack: bool) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        headers = {k: v for k, v in request.headers.items()}
        slack_request = bolt_request(await request.text(), headers, request.query_string)
        response = await runtime.app.async_dispatch(slack_request)
        return await to_aiohttp_response(response)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def readyz(_: web.Request) -> web.Response:
        checks = await check_ready(runtime.backends)
        ready = all(c.reachable for c in checks)
        body = {"ready": ready, "checks": {c.name: c.detail for c in checks}}
        return web.json_response(body, status=200 if ready else 503)

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    if serve_slack:
        web_app.router.add_post("/slack/events", slack_events)
    return web_app


async def start_site(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
