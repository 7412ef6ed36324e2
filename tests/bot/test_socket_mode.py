"""Socket Mode (the default transport): the front holds the websocket, acks each envelope and
forwards it to the worker; here against a fake Slack websocket, the worker in this process."""

import asyncio
import socket

from aiohttp.test_utils import TestClient, TestServer

from bot.front import build_front_app, socket_mode_client
from bot.link import WorkerLink
from bot.worker import in_process_front
from sandbox.slack_payloads import slash_command


async def test_slash_command_over_socket_mode_is_acked_and_answered(runtime, fake_slack):
    async with in_process_front(runtime) as (_, link):
        socket_mode = socket_mode_client(link, "xapp-1-test", fake_slack.base_url)
        await socket_mode.connect()
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
    socket_mode = socket_mode_client(link, "xapp-1-test", fake_slack.base_url)
    await socket_mode.connect()
    try:
        payload = slash_command("ping", user_id="UOPERATOR1", response_url="http://x/r")
        envelope_id = fake_slack.socket_send("slash_commands", payload)
        await asyncio.sleep(0.5)  # an ack would have come in milliseconds
        assert envelope_id not in fake_slack.socket_acks  # Slack will tell the user it failed
    finally:
        await socket_mode.close()
        await link.close()


async def test_readyz_is_503_while_socket_mode_is_not_connected(runtime, fake_slack):
    async with in_process_front(runtime) as (_, link):
        client = socket_mode_client(link, "xapp-1-test", fake_slack.base_url)
        front = build_front_app(link, "", serve_slack=False, socket_mode=lambda: client)
        async with TestClient(TestServer(front)) as http:
            await client.connect()
            assert (await http.get("/readyz")).status == 200
            fake_slack.fail_next("apps.connections.open", "invalid_auth", count=1000)
            fake_slack.socket_drop()  # and it cannot connect again (say, a revoked token)
            for _ in range(500):
                if not await client.is_connected():
                    break
                await asyncio.sleep(0.02)
            not_ready = await http.get("/readyz")
            assert not_ready.status == 503
            assert "Socket Mode not connected" in (await not_ready.json())["checks"]["slack"]
            assert (await http.get("/healthz")).status == 200  # a restart would not fix it
            await client.close()


async def test_a_bad_app_token_at_start_is_not_ready_and_stopping_does_not_wait_for_it(
    runtime, fake_slack
):
    fake_slack.fail_next("apps.connections.open", "invalid_auth", count=1000)
    async with in_process_front(runtime) as (_, link):
        client = socket_mode_client(link, "xapp-1-revoked", fake_slack.base_url)
        front = build_front_app(link, "", serve_slack=False, socket_mode=lambda: client)
        async with TestClient(TestServer(front)) as http:
            connecting = asyncio.create_task(client.connect())  # retries, never returns
            await asyncio.sleep(0.5)
            assert not connecting.done()
            assert (await http.get("/readyz")).status == 503
            connecting.cancel()  # what the front does on SIGTERM
            await asyncio.wait({connecting}, timeout=5)
            assert connecting.done()
            await client.close()
