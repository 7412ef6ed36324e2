"""Logs Insights search: the query builder against hostile text, and the whole search against
the wire-level fake (which tokenises and evaluates the query the way the service would)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ops import logs
from ops.backends.container import Backends
from ops.errors import BackendError
from sandbox.fake_aws import FakeAws, InsightsQuery, tokenize
from tests.fixtures.aws import SHORT
from tests.fixtures.bot import ACCOUNTS
from tests.words import user_error

NOW = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
GROUP = "/rtb-ai-hub/workflow-engine"
HOSTILE = [
    'say "hi"',
    '" | stats count(*) by level | filter msg like "',
    "a | b",
    "/regex/i",
    "back\\slash\\",
    '\\" | display @message #',
    "it's ' single",
    "한국어 로그 검색 ✓",
    "x" * 200,
    "# not a comment",
    "`backtick` & <b>",
]


def pino(
    msg: str,
    *,
    level: str = "error",
    minutes_ago: int = 5,
    env: str = "int",
    issue: str = "PROJ-1",
    **extra: object,
) -> dict[str, object]:
    moment = NOW - timedelta(minutes=minutes_ago)
    return {
        "level": level,
        "time": int(moment.timestamp() * 1000),
        "service": "workflow-engine",
        "env": env,
        "issueKey": issue,
        "workflowType": "jira-auto-dev",
        "durationMs": 1200,
        "msg": msg,
        **extra,
    }


def commands_of(query: str) -> list[str]:
    return [c for c in InsightsQuery.parse(query).commands]


# -- the query builder -------------------------------------------------------------------------


def test_query_shape_with_every_option():
    filters = logs.LogFilters(
        text="timeout",
        level="error",
        issue="proj-300",
        workflow_type="jira-auto-dev",
        service="workflow-engine",
        min_duration_ms=5000,
    )
    assert logs.build_query(filters, limit=50) == (
        "fields @timestamp, @log, level, service, msg, issueKey, workflowType, durationMs, env\n"
        "| filter msg like /(?i)timeout/\n"
        '| filter level = "error" and issueKey like /(?i)^PROJ-300$/ and workflowType like '
        "/(?i)^jira-auto-dev$/ and service like /(?i)^workflow-engine$/ and durationMs >= 5000\n"
        "| sort @timestamp desc\n"
        "| limit 50"
    )


def test_a_text_that_is_an_issue_key_also_matches_the_issuekey_field():
    query = logs.build_query(logs.LogFilters(text="proj-300"), limit=5)
    assert "| filter msg like /(?i)proj-300/ or issueKey like /(?i)^proj-300$/\n" in query
    [text] = InsightsQuery.parse(query).filters
    assert [[c.field for c in conj] for conj in text.alternatives] == [["msg"], ["issueKey"]]
    assert "issueKey like" not in logs.build_query(logs.LogFilters(text="proj 300"), limit=5)


def test_query_without_text_filters_on_the_level_only():
    query = logs.build_query(logs.LogFilters(level="error"), limit=20)
    assert '| filter level = "error"\n' in query and "msg like" not in query
    assert InsightsQuery.parse(logs.build_query(logs.LogFilters(), limit=5)).commands == (
        "fields",
        "sort",
        "limit",
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_one_regex_literal_that_matches_itself(text):
    query = logs.build_query(logs.LogFilters(text=text, level="error"), limit=20)
    parsed = InsightsQuery.parse(query)
    assert parsed.commands == ("fields", "filter", "filter", "sort", "limit")
    [[like]] = parsed.filters[0].alternatives
    assert (like.field, like.operator, like.kind) == ("msg", "like", "regex")
    assert like.holds({"msg": f"before {text.upper()} after"})  # itself, any case
    assert not like.holds({"msg": text[:-1] + "\u2603"})
    [[level]] = parsed.filters[1].alternatives
    assert (level.field, level.value) == ("level", "error")
    pipes = [t for t in tokenize(query) if t.kind == "punct" and t.value == "|"]
    assert len(pipes) == 4
    assert parsed.limit == 20


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_field_values_match_the_whole_value_only(value):
    filters = logs.LogFilters(workflow_type=value[:100], service=value[:100])
    [fields] = InsightsQuery.parse(logs.build_query(filters, limit=5)).filters
    [[kind, service]] = fields.alternatives
    assert kind.holds({"workflowType": value[:100].lower()})
    assert not kind.holds({"workflowType": value[:100] + "x"})
    assert service.field == "service"


def test_regex_literal_escapes_metacharacters_and_the_delimiter():
    assert logs.regex_literal("a/b") == "/(?i)a\\/b/"
    assert logs.regex_literal("x.y*") == "/(?i)x\\.y\\*/"
    assert logs.regex_literal("back\\") == "/(?i)back\\\\/"
    assert logs.regex_literal("PROJ-1", whole=True) == "/(?i)^PROJ-1$/"


def test_string_literal_escapes_backslash_before_quote():
    assert logs.string_literal('a\\"b') == '"a\\\\\\"b"'
    assert logs.string_literal("plain") == '"plain"'


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 201, "at most 200"),
        ("x" * 10_000, "at most 200"),
        ("line\nbreak", "control"),
        ("tab\there", "control"),
        ("nul\x00", "control"),
        ("rtl\u202eoverride", "control"),
        ("zero\u200bwidth", "control"),
        ("sep\u2028line", "control"),
    ],
)
def test_search_text_refuses(text, reason):
    with user_error(ValueError, match=reason):
        logs.search_text(text)


def test_build_query_refuses_bad_values():
    bad = (
        logs.LogFilters(text="x", level='error" or level = "info'),
        logs.LogFilters(issue="PROJ_1"),
        logs.LogFilters(workflow_type="a\nb"),
        logs.LogFilters(service="rtl\u202eoverride"),
        logs.LogFilters(min_duration_ms=-1),
    )
    for filters in bad:
        with pytest.raises(ValueError):
            logs.build_query(filters, limit=10)
    with pytest.raises(ValueError):
        logs.build_query(logs.LogFilters("x"), limit=100_000)


def test_log_groups():
    assert logs.log_group("workflow-engine", "stg") == GROUP
    assert logs.log_group("preview", "prd") == "/rtb-ai-hub/preview/prd"
    assert logs.log_group("preview", None) == "/rtb-ai-hub/preview/int"
    assert logs.log_groups("all", "stg") == (
        "/rtb-ai-hub/webhook-listener",
        "/rtb-ai-hub/workflow-engine",
        "/rtb-ai-hub/auth-service",
        "/rtb-ai-hub/preview/stg",
    )


def test_parse_row_reads_pino_fields():
    row = [
        {"field": "@timestamp", "value": "2026-03-02 04:55:00.123"},
        {"field": "level", "value": "error"},
        {"field": "msg", "value": "boom"},
        {"field": "durationMs", "value": "1200"},
        {"field": "@log", "value": "222222222222:/rtb-ai-hub/preview/stg"},
        {"field": "@ptr", "value": "x"},
    ]
    line = logs.parse_row(row)
    assert line.time == datetime(2026, 3, 2, 4, 55, 0, 123000, tzinfo=UTC)
    assert (line.level, line.msg, line.duration_ms, line.issue_key) == ("error", "boom", 1200, "")
    assert line.log_group == "/rtb-ai-hub/preview/stg"
    assert logs.parse_row([{"field": "durationMs", "value": "nan"}]).duration_ms is None


# -- against the fake ----------------------------------------------------------------------------


@pytest.fixture
def backends(aws_backends: Backends) -> Backends:
    return aws_backends


def seed(fake: FakeAws) -> None:
    fake.add_log_line(GROUP, pino("Workflow failed: timeout calling Jira", minutes_ago=3))
    fake.add_log_line(
        GROUP,
        pino("Workflow failed: timeout calling GitHub", minutes_ago=10, env="stg", issue="PROJ-2"),
    )
    fake.add_log_line(GROUP, pino("Workflow completed successfully", level="info"))
    fake.add_log_line(GROUP, pino("old timeout", minutes_ago=300))
    fake.add_log_line(GROUP, pino('quoted "timeout" | stats count(*)', minutes_ago=20))
    fake.add_log_line(GROUP, pino("back\\slash timeout", minutes_ago=25))


async def test_search_finds_matching_lines_newest_first_in_int(backends, fake_aws):
    seed(fake_aws)
    result = await logs.search(backends, "workflow-engine", logs.LogFilters("timeout"), now=NOW)
    assert result.complete
    assert [line.msg for line in result.lines] == [
        "Workflow failed: timeout calling Jira",
        "Workflow failed: timeout calling GitHub",
        'quoted "timeout" | stats count(*)',
        "back\\slash timeout",
    ]
    first = result.lines[0]
    assert (first.level, first.issue_key, first.workflow_type, first.duration_ms) == (
        "error",
        "PROJ-1",
        "jira-auto-dev",
        1200,
    )
    assert first.time == NOW - timedelta(minutes=3)
    assert result.matched == 4 and result.scanned == 5
    start = fake_aws.calls("StartQuery")[0]
    assert start.account == ACCOUNTS["int"]
    assert start.body["logGroupIdentifiers"] == [
        f"arn:aws:logs:ap-northeast-2:{ACCOUNTS['int']}:log-group:{GROUP}"
    ]
    assert start.body["endTime"] - start.body["startTime"] == 3600
    int_key = (await backends.blocking.run("t", 5, backends.aws.session, "int")).get_credentials()
    assert start.access_key_id == int_key.access_key


async def test_hostile_text_is_matched_literally_end_to_end(backends, fake_aws):
    seed(fake_aws)
    quote = await logs.search(
        backends, "workflow-engine", logs.LogFilters('"timeout" | stats'), now=NOW
    )
    assert [line.msg for line in quote.lines] == ['quoted "timeout" | stats count(*)']
    slash = await logs.search(backends, "workflow-engine", logs.LogFilters("back\\slash"), now=NOW)
    assert [line.msg for line in slash.lines] == ["back\\slash timeout"]
    breakout = await logs.search(
        backends, "workflow-engine", logs.LogFilters('" | filter msg like "'), now=NOW
    )
    assert breakout.lines == ()


async def test_level_env_and_limit_filters(backends, fake_aws):
    seed(fake_aws)
    info = await logs.search(
        backends, "workflow-engine", logs.LogFilters("workflow", level="info"), now=NOW
    )
    assert [line.msg for line in info.lines] == ["Workflow completed successfully"]
    one = await logs.search(
        backends, "workflow-engine", logs.LogFilters("timeout"), limit=1, now=NOW
    )
    assert len(one.lines) == 1
    day = await logs.search(
        backends, "workflow-engine", logs.LogFilters("old"), since=timedelta(hours=6), now=NOW
    )
    assert [line.msg for line in day.lines] == ["old timeout"]


async def test_another_envs_groups_are_read_in_its_account_through_oam(backends, fake_aws):
    """stg's lines are in stg's account: int sees them through the OAM link, by ARN."""
    fake_aws.add_log_line(GROUP, pino("int line", issue="PROJ-9"), account=ACCOUNTS["int"])
    fake_aws.add_log_line(
        GROUP, pino("stg line", env="stg", issue="PROJ-9"), account=ACCOUNTS["stg"]
    )
    stg = await logs.search(
        backends, "workflow-engine", logs.LogFilters(issue="PROJ-9"), env="stg", now=NOW
    )
    assert [line.msg for line in stg.lines] == ["stg line"]
    assert stg.env == "stg" and stg.lines[0].log_group == GROUP
    start = fake_aws.calls("StartQuery")[0]
    assert start.account == ACCOUNTS["int"]
    assert start.body["logGroupIdentifiers"] == [
        f"arn:aws:logs:ap-northeast-2:{ACCOUNTS['stg']}:log-group:{GROUP}"
    ]
    fake_aws.remove_oam_link(ACCOUNTS["int"], ACCOUNTS["stg"])
    with pytest.raises(BackendError, match="ResourceNotFound"):
        await logs.search(backends, "workflow-engine", logs.LogFilters(), env="stg", now=NOW)


async def test_all_is_one_query_over_the_envs_groups(backends, fake_aws):
    for group in logs.log_groups("all", "prd"):
        fake_aws.add_log_line(group, pino(f"in {group}", env="prd"), account=ACCOUNTS["prd"])
    result = await logs.search(backends, "all", logs.LogFilters(level="error"), env="prd", now=NOW)
    assert result.log_groups == logs.log_groups("all", "prd")
    assert sorted(line.log_group for line in result.lines) == sorted(result.log_groups)
    [start] = fake_aws.calls("StartQuery")
    assert len(start.body["logGroupIdentifiers"]) == 4


async def test_preview_queries_the_envs_preview_group_by_arn(backends, fake_aws):
    fake_aws.add_log_line("/rtb-ai-hub/preview/stg", pino("pod OOMKilled", env="stg"))
    result = await logs.search(
        backends, "preview", logs.LogFilters("OOMKilled"), env="stg", now=NOW
    )
    assert result.log_groups == ("/rtb-ai-hub/preview/stg",)
    assert [line.msg for line in result.lines] == ["pod OOMKilled"]
    start = fake_aws.calls("StartQuery")[0]
    assert start.account == ACCOUNTS["int"]  # queried in int, the group named in stg's account
    assert start.body["logGroupIdentifiers"] == [
        f"arn:aws:logs:ap-northeast-2:{ACCOUNTS['stg']}:log-group:/rtb-ai-hub/preview/stg"
    ]
    assert 'env = "stg"' not in start.body["queryString"]


async def test_polls_until_complete(backends, fake_aws):
    seed(fake_aws)
    fake_aws.query_polls = 2
    result = await logs.search(backends, "workflow-engine", logs.LogFilters("Jira"), now=NOW)
    assert result.complete and len(result.lines) == 1
    assert len(fake_aws.calls("GetQueryResults")) == 3
    assert fake_aws.calls("StopQuery") == []


async def test_a_query_still_running_at_the_deadline_is_stopped(backends, fake_aws):
    seed(fake_aws)
    fake_aws.query_polls = 1_000_000
    async with asyncio.timeout(60):  # the query never ends: only the bot's deadline stops it
        result = await logs.search(
            backends, "workflow-engine", logs.LogFilters("Jira"), wait_seconds=0.6, now=NOW
        )
    assert not result.complete and result.lines == ()
    assert len(fake_aws.calls("StopQuery")) == 1


async def test_unknown_log_group_names_the_backend(backends, fake_aws):
    with pytest.raises(BackendError) as caught:
        await logs.search(backends, "auth-service", logs.LogFilters("x"), now=NOW)
    assert caught.value.backend == "AWS int logs"
    assert caught.value.reason == "ResourceNotFoundException (HTTP 400)"


@pytest.mark.parametrize("error", ["ThrottlingException", "AccessDeniedException"])
async def test_faults_name_the_backend(backends, fake_aws, error):
    seed(fake_aws)
    fake_aws.inject_fault("StartQuery", error=error, count=None)  # (botocore may retry once)
    with pytest.raises(BackendError) as caught:
        await logs.search(backends, "workflow-engine", logs.LogFilters("x"), now=NOW)
    assert (caught.value.backend, caught.value.reason) == ("AWS int logs", f"{error} (HTTP 400)")


@pytest.mark.parametrize("timeouts", [SHORT], indirect=True)
async def test_a_slow_call_times_out(backends, fake_aws):
    seed(fake_aws)
    fake_aws.inject_fault("GetQueryResults", error=None, delay=4.0)
    with pytest.raises(BackendError) as caught:
        await logs.search(backends, "workflow-engine", logs.LogFilters("x"), now=NOW)
    assert (caught.value.backend, caught.value.reason) == ("AWS int logs", "timed out after 2 s")


async def test_bad_text_is_a_user_error(backends, fake_aws):
    with user_error(match="control characters"):
        await logs.search(backends, "workflow-engine", logs.LogFilters("a\nb"), now=NOW)
    assert fake_aws.calls("StartQuery") == []
