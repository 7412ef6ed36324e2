"""CloudTrail lookups against the wire-level fake (moto 5.2 answers lookup_events with a 500)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops import cloudtrail
from ops.backends.container import Backends
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import ACCOUNTS

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
DEPLOYER = "arn:aws:iam::{}:role/rtb-hub-deployer"


@pytest.fixture
def backends(aws_backends: Backends) -> Backends:
    return aws_backends


def assume_role(
    minutes_ago: float,
    *,
    account: str,
    error: str | None = None,
    user: str = "UOPERATOR1",
    name: str = "AssumeRole",
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventName": name,
        "eventTime": NOW - timedelta(minutes=minutes_ago),
        "sourceIPAddress": "10.0.1.5",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNTS['int']}:assumed-role/rtb-hub-sa/botocore-session",
            "sessionContext": {"sourceIdentity": user},
        },
        "requestParameters": {
            "roleArn": DEPLOYER.format(account),
            "roleSessionName": f"rtb-bot.{user}",
        },
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = "User is not authorized to perform: sts:AssumeRole"
    return record


async def test_failed_calls_first_then_newest(backends, fake_aws):
    stg = ACCOUNTS["stg"]
    fake_aws.add_trail_event(ACCOUNTS["int"], assume_role(5, account=stg))
    fake_aws.add_trail_event(ACCOUNTS["int"], assume_role(50, account=stg, error="AccessDenied"))
    fake_aws.add_trail_event(ACCOUNTS["int"], assume_role(1, account=stg))
    fake_aws.add_trail_event(ACCOUNTS["int"], assume_role(3, account=stg, name="GetCallerIdentity"))
    fake_aws.add_trail_event(ACCOUNTS["int"], assume_role(60 * 30, account=stg))  # too old
    fake_aws.add_trail_event(ACCOUNTS["stg"], assume_role(2, account=stg))  # other account

    report = await cloudtrail.lookup(
        backends, ["int"], event="AssumeRole", since=timedelta(hours=24), now=NOW
    )

    assert [(e.failed, e.time) for e in report.events] == [
        (True, NOW - timedelta(minutes=50)),
        (False, NOW - timedelta(minutes=1)),
        (False, NOW - timedelta(minutes=5)),
    ]
    failed = report.events[0]
    assert failed.error_code == "AccessDenied" and "not authorized" in failed.error_message
    assert failed.source_identity == "UOPERATOR1" and failed.source_ip == "10.0.1.5"
    assert failed.target_role == DEPLOYER.format(stg)
    assert failed.principal.endswith("assumed-role/rtb-hub-sa/botocore-session")
    assert (report.read, report.failed, report.capped, report.failures) == (3, 1, (), ())
    call = fake_aws.calls("LookupEvents")[0]
    assert call.account == ACCOUNTS["int"]
    assert call.body["LookupAttributes"] == [
        {"AttributeKey": "EventName", "AttributeValue": "AssumeRole"}
    ]


async def test_errors_only(backends, fake_aws):
    fake_aws.add_trail_event(ACCOUNTS["int"], assume_role(5, account=ACCOUNTS["prd"]))
    fake_aws.add_trail_event(
        ACCOUNTS["int"], assume_role(9, account=ACCOUNTS["prd"], error="AccessDenied")
    )
    report = await cloudtrail.lookup(
        backends, ["int"], event="AssumeRole", since=timedelta(hours=1), errors_only=True, now=NOW
    )
    assert [e.error_code for e in report.events] == ["AccessDenied"]
    assert (report.read, report.failed) == (2, 1)


async def test_each_env_is_read_with_its_own_account(backends, fake_aws):
    for env in ("int", "stg", "prd"):
        fake_aws.add_trail_event(ACCOUNTS[env], assume_role(5, account=ACCOUNTS[env], user=env))
    report = await cloudtrail.lookup(
        backends, ["int", "stg", "prd"], event="AssumeRole", since=timedelta(hours=1), now=NOW
    )
    assert sorted((e.env, e.source_identity) for e in report.events) == [
        ("int", "int"),
        ("prd", "prd"),
        ("stg", "stg"),
    ]
    by_account = {c.account: c.access_key_id for c in fake_aws.calls("LookupEvents")}
    stg_key = backends.aws.session("stg").get_credentials().access_key
    assert by_account[ACCOUNTS["stg"]] == stg_key
    assert len(set(by_account.values())) == 3


async def test_reads_at_most_the_cap_page_by_page(backends, fake_aws):
    for n in range(cloudtrail.MAX_EVENTS + 30):
        fake_aws.add_trail_event(ACCOUNTS["prd"], assume_role(n / 10, account=ACCOUNTS["prd"]))
    report = await cloudtrail.lookup(
        backends, ["prd"], event="AssumeRole", since=timedelta(hours=1), now=NOW
    )
    assert report.read == cloudtrail.MAX_EVENTS and report.capped == ("prd",)
    assert len(fake_aws.calls("LookupEvents")) == cloudtrail.MAX_EVENTS // cloudtrail.PAGE_SIZE
    assert report.events[0].time == NOW  # the newest


async def test_a_failing_account_is_named_and_the_others_shown(backends, fake_aws):
    for env in ("int", "stg", "prd"):
        fake_aws.add_trail_event(ACCOUNTS[env], assume_role(5, account=ACCOUNTS[env]))
    fake_aws.inject_fault(
        "LookupEvents", account=ACCOUNTS["prd"], error="AccessDeniedException", count=None
    )
    report = await cloudtrail.lookup(
        backends, ["int", "stg", "prd"], event="AssumeRole", since=timedelta(hours=1), now=NOW
    )
    assert sorted(e.env for e in report.events) == ["int", "stg"]
    assert [(f.backend, f.reason) for f in report.failures] == [
        ("AWS prd cloudtrail", "AccessDeniedException (HTTP 400)")
    ]


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_a_slow_account_times_out_alone(backends, fake_aws):
    fake_aws.add_trail_event(ACCOUNTS["int"], assume_role(5, account=ACCOUNTS["int"]))
    await cloudtrail.lookup(backends, ["int", "stg"], event="AssumeRole", since=timedelta(hours=1))
    fake_aws.inject_fault("LookupEvents", account=ACCOUNTS["stg"], error=None, delay=4.0)
    report = await cloudtrail.lookup(
        backends, ["int", "stg"], event="AssumeRole", since=timedelta(hours=1), now=NOW
    )
    assert [e.env for e in report.events] == ["int"]
    assert [(f.backend, f.reason) for f in report.failures] == [
        ("AWS stg cloudtrail", "timed out after 2 s")
    ]


@pytest.mark.parametrize("name", ["", "Assume Role", "x" * 129, "AssumeRole;drop", "ÄssumeRole"])
def test_event_name_is_validated(name):
    with pytest.raises(ValueError):
        cloudtrail.event_name(name)


async def test_lookup_refuses_a_bad_event_name(backends, fake_aws):
    with pytest.raises(ValueError):
        await cloudtrail.lookup(backends, ["int"], event="a b", since=timedelta(hours=1))


def test_parse_event_tolerates_a_broken_record():
    raw = {"EventName": "AssumeRole", "EventTime": NOW, "CloudTrailEvent": "{not json"}
    event = cloudtrail.parse_event("int", raw)
    assert (event.name, event.failed, event.principal) == ("AssumeRole", False, "")
