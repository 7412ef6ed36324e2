"""The console's own words (its commands' answers, where a message went) are in the catalogs:
they read in the acting user's language, as the bot's answers do (the team's Korean until the
user chooses `/rtb lang en`), and every console module is under the catalogs' scanner."""

from tests.bot.drill import console_drill
from tests.handlers.test_catalogs import APP_PACKAGES, _user_facing_modules

SCRIPT = """\
/whoami
/click 9
/as nobdy
/rtb lang
/rtb lang en
/whoami
/click 9
/as nobdy
"""


def test_the_console_answers_in_the_acting_users_language():
    out = console_drill(SCRIPT, lang=None)
    korean, english = out.split("operator1> /rtb lang en", 1)
    assert "현재 사용자: operator1 (UOPERATOR1)" in korean
    assert "[9] 버튼이 없습니다 (0개 있음)" in korean
    assert "`nobdy` 사용자가 없습니다. 사용자: viewer1, operator1" in korean
    assert "(나에게만)\n💬 지금 한국어로 답하고 있습니다 (팀 기본값)." in korean
    assert "acting as operator1 (UOPERATOR1)" in english
    assert "no button [9] (there are 0)" in english
    assert "no user `nobdy`. Users: viewer1, operator1" in english


def test_every_console_module_is_scanned_for_words_outside_the_catalogs():
    assert "bot" in APP_PACKAGES
    scanned = {str(path).split("/bot/", 1)[-1] for path in _user_facing_modules()}
    console = {"console.py", "console_output.py", "console_session.py", "console_io.py"}
    assert console <= scanned
