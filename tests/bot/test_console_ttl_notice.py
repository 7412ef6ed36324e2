"""The console drill of the TTL notice against the seeded sandbox: `/sandbox expire-soon`
posts the notice (with the fake Jira's comment), a prd Extend TTL goes through the reason form
and a lead's approval, a second pass says nothing new, and bad words get the usage."""

from tests.bot.drill import console_drill

DRILL = """\
/sandbox expire-soon prd PROJ-101
/as viewer1
/click 4
/as operator1
/click 3
/submit demo tomorrow morning
/as lead1
/click 1
/sandbox expire-soon prd proj-999
/sandbox expire-soon dev PROJ-101
/sandbox expire-soon
"""


def test_expire_soon_shows_the_notice_and_extend_goes_through_the_approval():
    out = console_drill(DRILL)
    assert "prd: PROJ-101's TTL now ends at " in out and "TTL notice pass: 2 new notice(s)" in out
    # int PROJ-123 is seeded 1 h 30 min from its end; prd PROJ-101 now too
    assert "Preview PROJ-123 in int expires in 1 h 30 min" in out
    assert "Preview PROJ-101 in prd expires in 1 h 30 min" in out
    assert out.count("Jira: a comment was added to PROJ-101") == 1
    assert "[3] Extend TTL (+4 h)  [4] Delete now" in out
    assert "prd: preview TTL extension needs a team lead's approval" in out
    assert "preview-extend `preview-proj-101` in prd succeeded" in out
    assert "prd: no preview PROJ-999 (previews there: preview-proj-101, preview-proj-109)" in out
    assert "no env `dev` (int, stg or prd)" in out
    assert "usage: /sandbox expire-soon <env> <issue-key>" in out
    assert "Refused: viewers cannot request changes." in out
