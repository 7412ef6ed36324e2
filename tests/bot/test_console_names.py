"""The console names the IDs it prints: its own users at once, anyone else and every channel by
asking the Slack the bot talks to (here the fake Slack Web API, over HTTP), once per ID; a
lookup that fails leaves the ID as it is."""

from __future__ import annotations

import json

from slack_sdk.web.async_client import AsyncWebClient

from bot.console_names import SlackNames
from bot.console_text import TextStyle, mrkdwn_to_text

TEXT = "<@ULEAD1> asked <@UNEW1> in <#C_ALERTS>; <@U0GONE> in <#C0GONE>"


def names_over(fake_slack) -> SlackNames:
    client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.base_url, retry_handlers=[])
    return SlackNames(client, {"lead1": "ULEAD1"})


async def test_ids_are_named_from_the_console_users_and_slack(fake_slack):
    fake_slack.add_user("UNEW1", "newcomer")
    fake_slack.forget_user("U0GONE")
    names = names_over(fake_slack)
    await names.learn(json.dumps({"text": TEXT}))
    assert mrkdwn_to_text(TEXT, TextStyle(names)) == (
        "@lead1 asked @newcomer in #rtb-alerts; @U0GONE in #C0GONE"
    )
    asked = [(c.method, c.args.get("user") or c.args.get("channel")) for c in fake_slack.calls]
    assert sorted(asked) == [  # the console's own user is never asked about
        ("conversations.info", "C0GONE"),
        ("conversations.info", "C_ALERTS"),
        ("users.info", "U0GONE"),
        ("users.info", "UNEW1"),
    ]
    await names.learn(TEXT)
    assert len(fake_slack.calls) == len(asked)  # each ID asked once, failures included


async def test_a_lookup_slack_fails_leaves_the_id_and_the_output_is_printed(fake_slack):
    fake_slack.fail_next("users.info", "internal_error")
    fake_slack.fail_next("conversations.info", "ratelimited")
    names = names_over(fake_slack)
    await names.learn("<@UNEW2> <#C_ALERTS|rtb-alerts>")
    assert mrkdwn_to_text("<@UNEW2> <#C_ALERTS|rtb-alerts>", TextStyle(names)) == (
        "@UNEW2 #rtb-alerts"  # the label Slack sent, where there is one
    )


async def test_the_bots_dm_with_a_user_is_labelled_with_their_name(fake_slack):
    names = names_over(fake_slack)
    await names.learn_ids(users=["ULEAD1"], channels=["DULEAD1"])
    assert names.user("ULEAD1") == "lead1" and names.channel("DULEAD1") is None
