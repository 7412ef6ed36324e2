"""`/rtb ping` asks each env's hub API (GET /api/previews, as the runbook's curl does)."""

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from ops import health
from ops.backends.faults import (
    BackendError,
    Details,
    Forbidden,
    Rejected,
    Symptom,
    Unavailable,
)
from ops.backends.hub_api import CleanupEndpointMissing, HubApi
from sandbox.servers import free_port


async def ping_with_hub_urls(runtime, urls: dict[str, str]) -> dict[str, tuple[bool, str]]:
    """`/rtb ping`'s checks, by name, with these envs' `hub_api_url` set."""
    config = runtime.deps.config
    envs = {
        env: settings.model_copy(update={"hub_api_url": urls.get(env)})
        for env, settings in config.environments.items()
    }
    config = config.model_copy(update={"environments": envs})
    runtime.backends.config = config
    runtime.backends.hub_api = HubApi(config, timeout=10)  # generous: a loaded machine is slow
    try:
        report = await health.ping(runtime.backends, "t")
    finally:
        await runtime.backends.hub_api.close()
    return {c.name: (c.reachable, c.detail) for c in report.checks}


async def test_ping_probes_each_envs_hub_api(runtime):
    async def previews(request: web.Request) -> web.Response:
        if request.match_info["env"] == "stg":
            return web.json_response({"error": "database down"}, status=500)
        return web.json_response([{"id": "PROJ-1", "env": "int", "status": "running"}])

    hub = web.Application()
    hub.router.add_get("/{env}/api/previews", previews)
    async with TestServer(hub) as server:
        urls = {
            "int": str(server.make_url("/int")),
            "stg": str(server.make_url("/stg/")),
            "prd": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        }
        checks = await ping_with_hub_urls(runtime, urls)

    assert checks["Hub API int"] == (True, "HTTP 200")
    assert checks["Hub API stg"] == (False, "HTTP 500")
    assert checks["Hub API prd"] == (False, "cannot connect")


async def test_an_env_without_a_hub_api_url_is_shown_not_configured(runtime):
    report = await health.ping(runtime.backends, "t")  # the test config sets no hub_api_url
    unset = [c for c in report.checks if c.name.startswith("Hub API")]
    assert [(c.name, c.configured, c.seen) for c in unset] == [
        (f"Hub API {env}", False, health.Seen.NOT_CONFIGURED) for env in ("int", "stg", "prd")
    ]


async def test_a_redirect_is_not_the_hub_answering(runtime):
    async def to_login(_: web.Request) -> web.Response:
        raise web.HTTPFound("https://sso.example/login")

    hub = web.Application()
    hub.router.add_get("/api/previews", to_login)
    async with TestServer(hub) as server:
        checks = await ping_with_hub_urls(runtime, {"int": str(server.make_url("/"))})
    assert checks["Hub API int"] == (False, "HTTP 302")


# -- POST <hub.cleanup_path>: the one call that changes something -----------------------------


async def cleanup_answer(runtime, status: int, body: str, url: str | None = None):
    """What `HubApi.cleanup_expired` makes of the hub's answer (or raises)."""

    async def cleanup(request: web.Request) -> web.Response:
        asked.append(await request.json())
        return web.Response(status=status, text=body, content_type="application/json")

    asked: list[object] = []

    hub = web.Application()
    hub.router.add_post("/int/api/previews/cleanup", cleanup)
    async with TestServer(hub) as server:
        config = runtime.deps.config
        envs = dict(config.environments)
        envs["int"] = envs["int"].model_copy(
            update={"hub_api_url": url or str(server.make_url("/int"))}
        )
        hub_settings = config.hub.model_copy(update={"cleanup_path": "/api/previews/cleanup"})
        config = config.model_copy(update={"environments": envs, "hub": hub_settings})
        api = HubApi(config, timeout=10)
        try:
            return await api.cleanup_expired("stg")
        finally:
            await api.close()
            assert asked in ([], [{"env": "stg"}])  # int's hub, told which env


async def test_cleanup_returns_the_hubs_json_or_none(runtime):
    assert await cleanup_answer(runtime, 200, '{"removed": ["PROJ-1"]}') == {"removed": ["PROJ-1"]}
    assert await cleanup_answer(runtime, 204, "") is None


@pytest.mark.parametrize(
    ("status", "kind", "may_have_applied"),
    [
        (403, Forbidden, False),
        (400, Rejected, False),
        (500, Unavailable, True),
        (503, Unavailable, True),
    ],
)
async def test_cleanup_failures_say_whether_the_hub_may_have_acted(
    runtime, status, kind, may_have_applied
):
    with pytest.raises(BackendError) as raised:
        await cleanup_answer(runtime, status, "{}")
    assert type(raised.value) is kind
    assert raised.value.reason == f"HTTP {status}"
    assert raised.value.details == Details(Symptom.HTTP_STATUS, status)
    assert raised.value.may_have_applied is may_have_applied


async def test_cleanup_404_is_a_missing_endpoint_and_no_connection_applied_nothing(runtime):
    with pytest.raises(CleanupEndpointMissing):
        await cleanup_answer(runtime, 404, "{}")
    with pytest.raises(BackendError) as raised:
        await cleanup_answer(runtime, 200, "{}", url=f"http://127.0.0.1:{free_port()}")
    assert (raised.value.reason, raised.value.may_have_applied) == ("cannot connect", False)
    assert type(raised.value) is Unavailable
    assert raised.value.details == Details(Symptom.CANNOT_CONNECT)
    assert raised.value.backend == "the hub's cleanupExpired"
