"""`/rtb trail --changes`: the deployer role's write calls, read from the wire-level fake
CloudTrail (moto 5.2 answers lookup_events with a 500) with the bot's per-env sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ops import cloudtrail
from ops.backends.container import Backends
from ops.cloudtrail_changes import deployer_changes
from sandbox.seed_trail_logs import deployer_write
from tests.fixtures.bot import ACCOUNTS

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
NODEGROUP = ("AWS::EKS::Nodegroup", "rtb-prd/preview-workers")


@pytest.fixture
def backends(aws_backends: Backends) -> Backends:
    return aws_backends


def write(
    minutes_ago: float,
    env: str = "prd",
    *,
    session: str = "rtb-bot.UOPERATOR1",
    user: str = "UOPERATOR1",
    name: str = "UpdateNodegroupConfig",
    error: str = "",
) -> dict[str, Any]:
    record = deployer_write(ACCOUNTS[env], "eks", name, NODEGROUP, session, user)
    record["eventTime"] = NOW - timedelta(minutes=minutes_ago)
    if error:
        record["errorCode"] = error
    return record


def other_caller(minutes_ago: float, env: str, role: str, read_only: bool = False) -> dict:
    account = ACCOUNTS[env]
    return {
        "eventName": "PutMetricData",
        "eventTime": NOW - timedelta(minutes=minutes_ago),
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/some-session",
        },
        "readOnly": read_only,
    }


async def test_only_the_deployers_write_calls_newest_first(backends, fake_aws):
    prd, stg = ACCOUNTS["prd"], ACCOUNTS["stg"]
    fake_aws.add_trail_event(prd, write(30))
    fake_aws.add_trail_event(prd, write(5, session="rtb-bot.UOPERATOR2.by.ULEAD1", user="U2"))
    fake_aws.add_trail_event(prd, write(50, session="rtb-hub.preview-PROJ-1", user=""))
    fake_aws.add_trail_event(stg, write(10, "stg", error="AccessDenied"))
    fake_aws.add_trail_event(prd, other_caller(7, "prd", "rtb-hub-sa"))  # not the deployer
    fake_aws.add_trail_event(prd, {**write(8), "readOnly": True})  # a read
    fake_aws.add_trail_event(prd, write(60 * 30))  # before the window

    report = await deployer_changes(backends, ["stg", "prd"], since=timedelta(hours=24), now=NOW)

    assert [(w.event.env, w.event.time) for w in report.changes] == [
        ("prd", NOW - timedelta(minutes=5)),
        ("stg", NOW - timedelta(minutes=10)),
        ("prd", NOW - timedelta(minutes=30)),
        ("prd", NOW - timedelta(minutes=50)),
    ]
    approved, failed, plain, hub = report.changes
    assert (approved.event.source_identity, approved.approver) == ("U2", "ULEAD1")
    assert failed.event.error_code == "AccessDenied" and failed.event.failed
    assert plain.event.source_identity == "UOPERATOR1" and plain.approver == ""
    assert plain.event.resources == ("rtb-prd/preview-workers",)
    assert plain.event.name == "UpdateNodegroupConfig" and plain.event.source == "eks.amazonaws.com"
    assert (hub.session, hub.event.source_identity) == ("rtb-hub.preview-PROJ-1", "")
    assert (report.found, report.read, report.capped, report.failures) == (4, 5, (), ())
    assert (report.start, report.end) == (NOW - timedelta(hours=24), NOW)
    calls = fake_aws.calls("LookupEvents")
    assert {c.account for c in calls} == {prd, stg}
    assert all(
        c.body["LookupAttributes"] == [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]
        for c in calls
    )


async def test_errors_only_keeps_the_failed_writes(backends, fake_aws):
    fake_aws.add_trail_event(ACCOUNTS["prd"], write(5))
    fake_aws.add_trail_event(ACCOUNTS["prd"], write(9, error="AccessDenied"))
    report = await deployer_changes(
        backends, ["prd"], since=timedelta(hours=1), errors_only=True, now=NOW
    )
    assert [w.event.error_code for w in report.changes] == ["AccessDenied"]
    assert report.found == 2


async def test_the_role_is_the_one_the_bot_assumes_in_the_env(backends, fake_aws):
    """stg's deployer role is named in its role_arn; a session of another role that merely
    looks like the bot's (same session name) is not the deployer."""
    stg = ACCOUNTS["stg"]
    record = write(5, "stg")
    record["userIdentity"]["arn"] = f"arn:aws:sts::{stg}:assumed-role/rtb-hub-sa/rtb-bot.U1"
    fake_aws.add_trail_event(stg, record)
    report = await deployer_changes(backends, ["stg"], since=timedelta(hours=1), now=NOW)
    assert report.changes == () and report.read == 1


async def test_a_capped_account_says_how_far_back_it_was_read(backends, fake_aws):
    for n in range(cloudtrail.MAX_EVENTS + 20):
        fake_aws.add_trail_event(ACCOUNTS["prd"], write(n))
    report = await deployer_changes(backends, ["prd"], since=timedelta(hours=24), now=NOW)
    assert report.read == cloudtrail.MAX_EVENTS and len(report.changes) == cloudtrail.MAX_EVENTS
    [capped] = report.capped
    assert capped.env == "prd"
    assert capped.oldest == NOW - timedelta(minutes=cloudtrail.MAX_EVENTS - 1)


async def test_a_failing_account_is_named_and_the_others_shown(backends, fake_aws):
    fake_aws.add_trail_event(ACCOUNTS["stg"], write(5, "stg"))
    fake_aws.add_trail_event(ACCOUNTS["prd"], write(5))
    fake_aws.inject_fault(
        "LookupEvents", account=ACCOUNTS["prd"], error="AccessDeniedException", count=None
    )
    report = await deployer_changes(backends, ["stg", "prd"], since=timedelta(hours=1), now=NOW)
    assert [w.event.env for w in report.changes] == ["stg"]
    assert [(f.backend, f.reason) for f in report.failures] == [
        ("AWS prd cloudtrail", "AccessDeniedException (HTTP 400)")
    ]
