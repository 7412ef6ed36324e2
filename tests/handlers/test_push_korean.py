"""The Korean of what the bot posts on its own (digests, alerts, incident cards, TTL notices)
keeps Slack's formatting: Slack renders *bold*, _italic_ and `code` only where the closing mark
is followed by a space or punctuation, so `*3*건` shows its asterisks; the count goes inside
the mark (`*3건*`)."""

from __future__ import annotations

import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

from handlers.render.catalogs import ROOT, read_catalog

PUSHED = (
    "daily_digest",
    "weekly",
    "weekly_items",
    "thresholds",
    "ttl_notice",
    "pod_alerts",
    "incidents",
    "incident_timeline",
    "postmortem",
)
# a mark closing right after a word and running into a Korean syllable ("**" counts as one)
CLOSED_INTO_HANGUL = re.compile(r"(?<=[^\s*_`(])[*_`](?=[\uac00-\ud7a3])")


def _pushed_msgids() -> set[str]:
    found = set()
    for module in PUSHED:
        path = ROOT / "handlers" / "render" / f"{module}.py"
        for _line, message, _comments, _context in extract_from_file(
            "python", path, keywords=DEFAULT_KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_the_check_sees_a_mark_run_into_korean():
    assert CLOSED_INTO_HANGUL.search("실패 *3*건")
    assert CLOSED_INTO_HANGUL.search("`{group}`의 오류")
    assert not CLOSED_INTO_HANGUL.search("실패 *3건*, *메모리 limit*\n- **확인**: (`x`)")


def test_no_formatting_mark_runs_into_a_korean_syllable():
    wanted = _pushed_msgids()
    assert len(wanted) > 200  # every module above is in the catalogs
    broken = {}
    for message in read_catalog("ko"):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if ids[0] not in wanted:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if CLOSED_INTO_HANGUL.search(text.replace("**", "*")):
                broken[ids[0]] = text
    assert broken == {}
