"""FakeAws answers CloudWatch GetMetricData percentiles (moto cannot) over seeded datapoints,
in the shape botocore's service model defines, and forwards every other call to moto."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest

from ops.status import webhook_p99
from sandbox.fake_aws import CLOUDWATCH_PREFIX, percentile

ACCOUNT, OTHER = "111111111111", "222222222222"
KEY = "AKIDMETRICS00000001"
NAMESPACE, METRIC = "RTBHub/WebhookListener", "Latency"
DIMENSIONS = {"Service": "webhook-listener"}
PERIOD = 300
# Five 5-minute periods, aligned to the epoch as CloudWatch aligns them.
START = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
END = START + timedelta(seconds=5 * PERIOD)


def points() -> list[tuple[datetime, float]]:
    """One point a minute; period n holds 100n + 1 … 100n + 5 (and period 4 a 4200 outlier)."""
    found = []
    for period in range(5):
        for minute in range(5):
            value = 100.0 * period + minute + 1
            if period == 4 and minute == 2:
                value = 4200.0
            found.append((START + timedelta(minutes=5 * period + minute), value))
    return found


@pytest.fixture
def cloudwatch(fake_aws, aws_endpoint):
    fake_aws.bind_account(KEY, ACCOUNT)
    fake_aws.add_metric_points(ACCOUNT, NAMESPACE, METRIC, DIMENSIONS, points())
    # Noise that must not be mixed in: another account, other dimensions, another metric.
    fake_aws.add_metric_points(OTHER, NAMESPACE, METRIC, DIMENSIONS, [(START, 9e9)])
    fake_aws.add_metric_points(ACCOUNT, NAMESPACE, METRIC, {"Service": "x"}, [(START, 9e9)])
    fake_aws.add_metric_points(ACCOUNT, NAMESPACE, "Errors", DIMENSIONS, [(START, 9e9)])
    return boto3.client(
        "cloudwatch",
        region_name="ap-northeast-2",
        endpoint_url=fake_aws.url,
        aws_access_key_id=KEY,
        aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"total_max_attempts": 1}),
    )


def query(query_id: str, stat: str, **extra: Any) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": METRIC,
                "Dimensions": [{"Name": k, "Value": v} for k, v in DIMENSIONS.items()],
            },
            "Period": PERIOD,
            "Stat": stat,
        },
        **extra,
    }


def test_p99_per_period_newest_first(cloudwatch, fake_aws):
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[query("p99", "p99")], StartTime=START, EndTime=END
    )

    (result,) = answer["MetricDataResults"]
    assert (result["Id"], result["Label"], result["StatusCode"]) == ("p99", METRIC, "Complete")
    assert result["Timestamps"] == [START + timedelta(seconds=PERIOD * n) for n in range(4, -1, -1)]
    assert result["Values"] == [4200.0, 305.0, 205.0, 105.0, 5.0]
    assert not fake_aws.calls("GetMetricData")[-1].proxied


def test_other_statistics_beside_a_percentile_oldest_first(cloudwatch):
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            query("p50", "p50", Label="median"),
            query("avg", "Average"),
            query("n", "SampleCount"),
            query("hidden", "Maximum", ReturnData=False),
        ],
        StartTime=START,
        EndTime=START + timedelta(seconds=2 * PERIOD),
        ScanBy="TimestampAscending",
    )

    results = {r["Id"]: r for r in answer["MetricDataResults"]}
    assert set(results) == {"p50", "avg", "n"}
    assert results["p50"]["Label"] == "median"
    assert results["p50"]["Values"] == [3.0, 103.0]
    assert results["avg"]["Values"] == [3.0, 103.0]
    assert results["n"]["Values"] == [5.0, 5.0]
    assert results["avg"]["Timestamps"] == [START, START + timedelta(seconds=PERIOD)]


def test_the_answer_validates_against_the_service_model(cloudwatch, fake_aws):
    """The raw JSON, not botocore's lenient parse of it: every key a member of its shape."""
    body = {
        "MetricDataQueries": [query("p99", "p99")],
        "StartTime": START.timestamp(),
        "EndTime": END.timestamp(),
    }
    request = urllib.request.Request(
        fake_aws.url + "/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": CLOUDWATCH_PREFIX + "GetMetricData",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20260302/ap-northeast-2/"
            "monitoring/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/x-amz-json-1.0")
        raw = json.loads(response.read())

    model = botocore.session.get_session().get_service_model("cloudwatch")
    assert_shape(raw, model.operation_model("GetMetricData").output_shape, "answer")


def assert_shape(value: Any, shape: Any, where: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), where
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{where}: not in the model: {unknown}"
        for name, member in value.items():
            assert_shape(member, shape.members[name], f"{where}.{name}")
    elif kind == "list":
        assert isinstance(value, list), where
        for n, item in enumerate(value):
            assert_shape(item, shape.member, f"{where}[{n}]")
    elif kind == "string":
        assert isinstance(value, str), where
        if shape.enum:
            assert value in shape.enum, f"{where}: {value!r} not in {shape.enum}"
    elif kind in ("double", "timestamp"):
        assert isinstance(value, int | float) and not isinstance(value, bool), where
    else:
        raise AssertionError(f"{where}: unexpected shape type {kind}")


def test_without_a_percentile_the_call_goes_to_moto(cloudwatch, fake_aws):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": METRIC,
                "Dimensions": [{"Name": "Service", "Value": "webhook-listener"}],
                "Timestamp": now - timedelta(minutes=2),
                "Value": 42.0,
            }
        ],
    )
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[query("avg", "Average")],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=5),
    )

    assert answer["MetricDataResults"][0]["Values"] == [42.0]  # moto's, not the seeded store
    assert fake_aws.calls("GetMetricData")[-1].proxied


def test_a_bad_time_range_or_statistic_is_the_services_error(cloudwatch):
    with pytest.raises(cloudwatch.exceptions.ClientError, match="InvalidParameterValue"):
        cloudwatch.get_metric_data(
            MetricDataQueries=[query("p99", "p99")], StartTime=END, EndTime=START
        )
    with pytest.raises(cloudwatch.exceptions.ClientError, match="InvalidParameterValue"):
        cloudwatch.get_metric_data(
            MetricDataQueries=[query("p99", "p99"), query("x", "Median")],
            StartTime=START,
            EndTime=END,
        )


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([5, 1, 4, 2, 3], 99, 5), ([5, 1, 4, 2, 3], 50, 3), ([1, 2, 3, 4], 50, 2), ([7], 0, 7)],
)
def test_nearest_rank_percentile(values, p, expected):
    assert percentile(values, p) == expected


async def test_status_p99_is_real_through_the_fake(aws_backends, fake_aws):
    """`/rtb status`'s latency read: the bot's assumed-role session in int, answered here."""
    now = datetime.now(UTC)
    recent = [(now - timedelta(minutes=m), 4100.0 + 10 * m) for m in range(1, 12)]
    fake_aws.add_metric_points(ACCOUNT, NAMESPACE, METRIC, DIMENSIONS, recent)

    latency = await webhook_p99(aws_backends, now=now)

    assert 4.1 <= latency.seconds <= 4.21
    assert latency.period_seconds == 300
    call = fake_aws.calls("GetMetricData")[-1]
    assert call.account == ACCOUNT and not call.proxied
