"""The fake's Logs Insights: the grammar it evaluates (regex literals, `or`, numeric
comparisons) and the rules it enforces (malformed queries refused, another account's group
visible only through an OAM link, at most 50 groups), over boto3 as the bot calls it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from sandbox.fake_aws import FakeAws, InsightsQuery

INT, STG, PRD = "111111111111", "222222222222", "333333333333"
KEYS = {INT: "AKIAINTINTINTINTINT1", STG: "AKIASTGSTGSTGSTGSTG1", PRD: "AKIAPRDPRDPRDPRDPRD1"}
GROUP = "/rtb-ai-hub/workflow-engine"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeAws]:
    with FakeAws(oam_links={INT: (STG,)}) as running:  # prd is not linked
        yield running


@pytest.fixture
def logs(fake: FakeAws) -> Any:
    fake.reset()
    for account, key in KEYS.items():
        fake.bind_account(key, account)
    for account, env in ((INT, "int"), (STG, "stg"), (PRD, "prd")):
        fake.add_log_group(GROUP, account=account)
        fake.add_log_line(GROUP, line(f"{env} line", env=env), account=account)
    return client(fake, INT)


def client(fake: FakeAws, account: str) -> Any:
    return boto3.client(
        "logs",
        region_name="ap-northeast-2",
        endpoint_url=fake.url,
        aws_access_key_id=KEYS[account],
        aws_secret_access_key="x",
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def line(msg: str, **fields: Any) -> dict[str, Any]:
    return {"level": "error", "time": int(NOW.timestamp() * 1000), "msg": msg, **fields}


def arn(account: str, group: str = GROUP) -> str:
    return f"arn:aws:logs:ap-northeast-2:{account}:log-group:{group}"


def run(logs: Any, query: str, *groups: str) -> list[dict[str, str]]:
    started = logs.start_query(
        logGroupIdentifiers=list(groups or [arn(INT)]),
        startTime=int((NOW - timedelta(hours=1)).timestamp()),
        endTime=int(NOW.timestamp()) + 1,
        queryString=query,
    )
    answer = logs.get_query_results(queryId=started["queryId"])
    assert answer["status"] == "Complete"
    return [{c["field"]: c["value"] for c in row} for row in answer["results"]]


def msgs(rows: list[dict[str, str]]) -> list[str]:
    return sorted(row["msg"] for row in rows)


def test_regex_like_is_a_regular_expression_with_its_flags(fake, logs):
    fake.add_log_line(GROUP, line("TIMEOUT a/b"), account=INT)
    fake.add_log_line(GROUP, line("time out"), account=INT)
    assert msgs(run(logs, "fields msg | filter msg like /(?i)timeout a\\/b/")) == ["TIMEOUT a/b"]
    assert msgs(run(logs, "fields msg | filter msg like /timeout/")) == []  # case matters
    assert msgs(run(logs, 'fields msg | filter msg like "TIMEOUT"')) == ["TIMEOUT a/b"]


def test_or_binds_looser_than_and(fake, logs):
    fake.add_log_line(GROUP, line("a", issueKey="PROJ-1", level="info"), account=INT)
    fake.add_log_line(GROUP, line("b", issueKey="PROJ-2"), account=INT)
    query = 'fields msg | filter issueKey = "PROJ-1" or issueKey = "PROJ-2" and level = "info"'
    assert msgs(run(logs, query)) == ["a"]


def test_numbers_compare_only_with_numeric_fields(fake, logs):
    fake.add_log_line(GROUP, line("slow", durationMs=45000), account=INT)
    fake.add_log_line(GROUP, line("fast", durationMs=500), account=INT)
    fake.add_log_line(GROUP, line("text", durationMs="long"), account=INT)
    assert msgs(run(logs, "fields msg | filter durationMs >= 30000")) == ["slow"]
    assert msgs(run(logs, "fields msg | filter durationMs < 30000")) == ["fast"]
    assert msgs(run(logs, "fields msg | filter durationMs = 500")) == ["fast"]


@pytest.mark.parametrize(
    "query",
    [
        "fields msg | filter msg like /(unclosed/",
        "fields msg | filter msg like /no end",
        'fields msg | filter durationMs >= "5"',
        "fields msg | filter msg like 5",
        "fields msg | filter msg like /a/ or",
        "fields msg | filter msg like /a/ xor msg like /b/",
    ],
)
def test_malformed_filters_are_refused(logs, query):
    with pytest.raises(ClientError) as caught:
        run(logs, query)
    assert caught.value.response["Error"]["Code"] == "MalformedQueryException"


def test_a_linked_accounts_group_is_read_by_arn_and_at_says_whose(logs):
    rows = run(logs, "fields @log, msg", arn(INT), arn(STG))
    assert {(row["@log"], row["msg"]) for row in rows} == {
        (f"{INT}:{GROUP}", "int line"),
        (f"{STG}:{GROUP}", "stg line"),
    }
    assert msgs(run(logs, "fields msg", GROUP)) == ["int line"]  # a bare name: the caller's


def test_an_unlinked_accounts_group_is_not_visible(fake, logs):
    with pytest.raises(ClientError) as caught:
        run(logs, "fields msg", arn(PRD))
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    fake.remove_oam_link(INT, STG)
    with pytest.raises(ClientError):
        run(logs, "fields msg", arn(STG))
    assert msgs(run(client(fake, STG), "fields msg", GROUP)) == ["stg line"]  # its own


def test_at_most_fifty_groups(logs):
    with pytest.raises(ClientError) as caught:
        run(logs, "fields msg", *[arn(INT)] * 51)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterException"


def test_parse_keeps_each_filter_commands_alternatives():
    query = InsightsQuery.parse("fields msg | filter a like /x/ or b = 'y' | filter c >= 3")
    first, second = query.filters
    assert [[c.kind for c in conj] for conj in first.alternatives] == [["regex"], ["string"]]
    assert [(c.field, c.operator, c.value) for c in second.alternatives[0]] == [("c", ">=", "3")]
