"""The console speaks the sandbox's language (Korean, the team's) and honours `/rtb lang` and
`--lang`, as Slack does."""

from tests.bot.drill import console_drill

SCRIPT = """\
/rtb lang
/rtb help
/rtb lang en
/rtb help
/rtb 상태 int
/as operator2
/rtb lang
"""


def test_the_sandbox_reads_korean_until_a_user_chooses_english():
    out = console_drill(SCRIPT, lang=None)
    first, after_choice = out.split("operator1> /rtb lang en", 1)
    assert "지금 한국어로 답하고 있습니다 (팀 기본값)." in first
    assert "== rtb-ops-bot: Slack 안의 rtb-ai-hub 런북 ==" in first
    for stage in ("감지", "조사", "격리", "복구", "사후 분석"):
        assert f"\n{stage}\n" in first
    assert "From now on I answer you in English." in after_choice
    assert after_choice.lstrip().startswith("(only you)\n")  # the title is English too
    assert "== rtb-ops-bot: the rtb-ai-hub runbook in Slack ==" in after_choice
    assert "rtb-ai-hub status" in after_choice and "I don't know" not in after_choice
    other = out.split("operator2> /rtb lang", 1)[1]
    assert "지금 한국어로 답하고 있습니다 (팀 기본값)." in other  # operator1's choice is theirs


def test_lang_flag_replaces_the_default():
    out = console_drill("/rtb lang\n", lang="en")
    assert "I answer you in English, the team's default." in out
