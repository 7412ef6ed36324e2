"""What the console prints is what Slack would show: emoji drawn, IDs as names."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import pytest

from bot.console import EMOJI_PROBE
from bot.console_io import can_encode
from bot.console_text import KnownNames, TextStyle, mrkdwn_to_text, render_message

RENDER_DIR = Path(__file__).parents[2] / "handlers" / "render"
HANDLER_GOLDEN = Path(__file__).parents[1] / "handlers" / "golden"
GOLDEN = Path(__file__).parent / "golden"
SHORTCODE = re.compile(r":([a-z][a-z0-9_]*[a-z]):")
NAMES = KnownNames(
    users={"ULEAD1": "lead1", "UOPERATOR1": "operator1"},
    channels={"C_ALERTS": "rtb-alerts"},
)
STYLE = TextStyle(NAMES)


def _shortcodes_in_renderers() -> set[str]:
    found = {m for path in RENDER_DIR.glob("*.py") for m in SHORTCODE.findall(path.read_text())}
    assert {"rotating_light", "white_check_mark", "large_green_circle"} <= found
    return found


@pytest.mark.parametrize("name", sorted(_shortcodes_in_renderers()))
def test_every_emoji_the_renderers_use_is_drawn(name):
    drawn = mrkdwn_to_text(f"before :{name}: after")
    assert ":" not in drawn and drawn.startswith("before ") and drawn.endswith(" after")
    assert not drawn.replace("before ", "").replace(" after", "").isascii()


def test_slack_only_emoji_and_the_shortcode_beside_done_are_emoji():
    assert mrkdwn_to_text(":rotating_light: :white_check_mark: done") == "\U0001f6a8 \u2705 done"
    assert mrkdwn_to_text(":large_green_circle: up") == "\U0001f7e2 up"
    assert mrkdwn_to_text(":red_circle: <https://x.io|dash>") == "\U0001f534 dash (https://x.io)"


def test_without_emoji_the_shortcodes_stay_as_slack_users_type_them():
    plain = TextStyle(NAMES, emoji=False)
    assert mrkdwn_to_text(":rotating_light: *ALARM* <@ULEAD1>", plain) == (
        ":rotating_light: ALARM @lead1"
    )


def test_words_between_colons_that_are_no_emoji_and_code_stay_as_they_are():
    text = "at 14:02:11 key `daily-digest:x:1` and :posted: `:warning:`"
    assert mrkdwn_to_text(text) == text


def test_users_and_channels_are_named():
    text = "<@ULEAD1> approved in <#C_ALERTS> and <#C_ALERTS|old-name>, asked by <@UOPERATOR1>"
    assert mrkdwn_to_text(text, STYLE) == (
        "@lead1 approved in #rtb-alerts and #rtb-alerts, asked by @operator1"
    )


def test_an_id_nobody_can_name_is_shown_as_its_label_or_itself():
    text = "<@U0GONE> <@U0GONE|ghost> <#C0GONE> <#C0GONE|general>"
    assert mrkdwn_to_text(text, STYLE) == "@U0GONE @ghost #C0GONE #general"


def test_special_mentions_dates_and_links_read_as_slack_shows_them():
    text = "<!here> <!channel> <!subteam^S0LEADS|@leads> <!date^1700000000^{date}|Nov 14> <https://x.io>"
    assert mrkdwn_to_text(text, STYLE) == "@here @channel @leads Nov 14 https://x.io"


def test_a_link_keeps_its_colons_and_its_label_gets_its_emoji():
    assert mrkdwn_to_text("<https://x.io/a:x:b|:mag: logs> :x:") == (
        "\U0001f50d logs (https://x.io/a:x:b) \u274c"
    )


def test_mentions_inside_code_are_left_as_typed():
    assert mrkdwn_to_text("`<@ULEAD1>` <@ULEAD1>", STYLE) == "`<@ULEAD1>` @lead1"


def test_emoji_only_where_the_terminal_can_encode_them():
    utf8, ascii_only = (io.TextIOWrapper(io.BytesIO(), encoding=e) for e in ("utf-8", "ascii"))
    assert can_encode(utf8, EMOJI_PROBE) and not can_encode(ascii_only, EMOJI_PROBE)


def test_an_incident_card_reads_as_in_slack():
    """The acknowledged card of tests/handlers/golden, as the console prints it."""
    message = json.loads((HANDLER_GOLDEN / "incident_card_acknowledged.json").read_text())
    text, _ = render_message(message, channel="C_INCIDENTS", ts="1.0", first_button=1, style=STYLE)
    assert text.startswith("== \U0001f6a8 ALARM · rtb-hub-bullmq-queue-depth ==")
    assert "@lead1 at 10:00 KST" in text and "ULEAD1" not in text
    assert "Open the alarm in the CloudWatch console (https://" in text
    assert ":rotating_light:" not in text and "&gt;" not in text
    path = GOLDEN / "console_incident_card_acknowledged.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")
