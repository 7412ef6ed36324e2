"""Socket Mode (the default transport): the front holds the websocket, acks each envelope and
forwards it to the worker; here against a fake Slack websocket, the worker in this process."""

import asyncio
import socket

from aiohttp.test_utils import TestClient, TestServer

from bot.front import SlackConnection, build_front_app, connect_socket_mode
from bot.link import WorkerLink
from bot.worker import in_process_front
from sandbox.slack_payloads import slash_command


async def test_slash_command_over_socket_mode_is_acked_and_answered(runtime, fake_slack):
    async with in_process_front(runtime) as (_, link):
        socket_mode = await connect_socket_mode(link, "xapp-1-test", fake_slack.base_url)
        try:
            payload = slash_command(
                "ping", user_id="UOPERATOR1", response_url=fake_slack.response_url()
            )
            envelope_id = fake_slack.socket_send("slash_commands", payload)
            ack = await fake_slack.await_ack(envelope_id)
            assert ack["envelope_id"] == envelope_id
            await fake_slack.await_for(lambda: fake_slack.responses, timeout=10)
            assert "pong" in fake_slack.responses[-1].body["text"]
            assert link.forwarded == 1
        finally:
            await socket_mode.close()


async def test_an_envelope_is_not_acked_when_the_worker_is_gone(fake_slack):
    front_end, worker_end = socket.socketpair()
    link = await WorkerLink.open(front_end)
    worker_end.close()
    await asyncio.wait_for(link.gone(), 5)
    socket_mode = await connect_socket_mode(link, "xapp-1-test", fake_slack.base_url)
    try:
        payload = slash_command("ping", user_id="UOPERATOR1", response_url="http://x/r")
        envelope_id = fake_slack.socket_send("slash_commands", payload)
        await asyncio.sleep(0.5)  # an ack would have come in milliseconds
        assert envelope_id not in fake_slack.socket_acks  # Slack will tell the user it failed
    finally:
        await socket_mode.close()
        await link.close()


async def test_healthz_fails_when_slack_stays_unreachable_past_the_grace(fake_slack):
    front_end, worker_end = socket.socketpair()  # a worker that is there (it reads nothing)
    link = await WorkerLink.open(front_end)
    slack = SlackConnection(grace_seconds=1.0)
    front = build_front_app(link, "", serve_slack=False, slack=slack)
    async with TestClient(TestServer(front)) as http:
        assert (await http.get("/healthz")).status == 200  # not connected yet: starting up
        slack.client = await connect_socket_mode(link, "xapp-1-test", fake_slack.base_url)
        try:
            assert (await http.get("/healthz")).status == 200
            fake_slack.fail_next("apps.connections.open", "invalid_auth", count=1000)
            fake_slack.socket_drop()  # and it cannot connect again (say, a revoked token)
            for _ in range(500):
                if not await slack.client.is_connected():
                    break
                await asyncio.sleep(0.02)
            assert not await slack.client.is_connected()
            assert (await http.get("/healthz")).status == 200  # reconnecting is normal…
            await asyncio.sleep(1.2)
            down = await http.get("/healthz")  # …for so long it is not
            assert down.status == 503
            assert (await down.json())["status"] == "not connected to Slack"
        finally:
            await slack.client.close()
    await link.close()
    worker_end.close()
