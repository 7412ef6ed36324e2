"""`rtb-bot sandbox` hands its users to a second `rtb-bot shell` through the environment."""

from sandbox.users import format_users, parse_users


def test_users_survive_the_round_trip_and_bad_pairs_are_skipped():
    users = {"viewer1": "UVIEWER1", "lead1": "ULEAD1"}
    assert parse_users(format_users(users)) == users
    assert parse_users("lead1=ULEAD1,,broken, =UX,viewer1 = UVIEWER1") == {
        "lead1": "ULEAD1",
        "viewer1": "UVIEWER1",
    }
    assert parse_users("") == {}
