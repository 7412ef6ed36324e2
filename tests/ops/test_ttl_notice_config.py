"""`ttl_notice` in the config: defaults, and each mistake named at its field."""

import pytest
from pydantic import ValidationError

from ops.config import Config

BASE = {"environments": {"int": {"account_id": "111111111111"}}}


def test_defaults_notice_every_five_minutes_in_the_channel_without_jira():
    notice = Config.model_validate(BASE).ttl_notice
    assert (notice.cron, notice.extend_hours, notice.owner_label, notice.jira) == (
        "*/5 * * * *",
        4,
        "rtb.io/owner",
        None,
    )


@pytest.mark.parametrize(
    ("given", "field", "said"),
    [
        ({"cron": "every 5 minutes"}, "cron", "expected a 5-field cron expression"),
        ({"owner_label": "owner label"}, "owner_label", "not a Kubernetes label key"),
        ({"owner_label": "rtb.io/"}, "owner_label", "not a Kubernetes label key"),
        ({"extend_hours": 0}, "extend_hours", "greater than or equal to 1"),
        ({"extend_hours": 200}, "extend_hours", "less than or equal to 168"),
        ({"jira": {"url": "team.atlassian.net"}}, "url", ""),
        ({"jira": {"url": "https://team.atlassian.net", "token": "x"}}, "token", "Extra"),
    ],
)
def test_mistakes_are_named_at_their_field(given, field, said):
    with pytest.raises(ValidationError) as caught:
        Config.model_validate({**BASE, "ttl_notice": given})
    [error] = caught.value.errors()
    assert error["loc"][-1] == field and said in error["msg"]
