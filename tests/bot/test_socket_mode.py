"""Socket Mode (the default transport): the front holds the websocket, acks each envelope and
forwards it to the worker; here against a fake Slack websocket, the worker in this process."""

import asyncio
import socket

from bot.front import connect_socket_mode
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
