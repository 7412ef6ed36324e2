"""The bot's Web API client against the fake Slack's pacing (about 1 message a second per
channel, then 429 with Retry-After): a burst arrives late, never lost."""

from bot.app import slack_client


async def test_a_burst_to_one_channel_waits_out_the_429s_and_all_arrives(fake_slack):
    client = slack_client("xoxb-test", fake_slack.base_url)

    for n in range(5):
        assert (await client.chat_postMessage(channel="C_OPS", text=str(n)))["ok"]

    errors = [call.error for call in fake_slack.calls_to("chat.postMessage")]
    assert errors.count("ratelimited") >= 1 and errors[:3] == [None, None, None]
    assert [m["text"] for m in fake_slack.messages("C_OPS")] == ["0", "1", "2", "3", "4"]
