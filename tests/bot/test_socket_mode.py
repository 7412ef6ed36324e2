"""Socket Mode (the default transport) with the real app, through a fake Slack websocket."""

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from sandbox.slack_payloads import slash_command


async def test_slash_command_over_socket_mode_is_acked_and_answered(runtime, fake_slack):
    handler = AsyncSocketModeHandler(runtime.app, "xapp-1-test")
    await handler.connect_async()
    try:
        payload = slash_command(
            "ping", user_id="UOPERATOR1", response_url=fake_slack.response_url()
        )
        envelope_id = fake_slack.socket_send("slash_commands", payload)
        ack = await fake_slack.await_ack(envelope_id)
        assert ack["envelope_id"] == envelope_id
        await fake_slack.await_for(lambda: fake_slack.responses, timeout=10)
        assert "pong" in fake_slack.responses[-1].body["text"]
    finally:
        await handler.close_async()
