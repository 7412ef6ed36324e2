"""Every `/rtb search …` a diagnose playbook suggests parses against the command table and,
run against the sandbox's world (its clusters, CloudTrail and the Pino log groups of every
account), finds the lines it promises: a suggestion is never a dead end."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from handlers.parse import parse
from handlers.table import TABLE
from ops.config import Config
from sandbox.fake_aws import FakeAws
from sandbox.fake_kube import FakeKubeServer
from sandbox.seed_kube import PREVIEWS, seed_cluster
from sandbox.seed_trail_logs import FAILED_PREVIEW, seed_engine_pod_log, seed_logs, seed_trail
from tests.fixtures.bot import ACCOUNTS, answer_text
from tests.ops.test_executions import create_hub_tables

SUGGESTED_SEARCH = re.compile(r"`/rtb (search [^`]+)`")
KEYS = sorted({p.issue for previews in PREVIEWS.values() for p in previews} | {FAILED_PREVIEW})


@pytest.fixture
def bot_config(config_through_fake_aws: Config) -> Config:
    return config_through_fake_aws


async def seed_world(kube: dict[str, FakeKubeServer], fake_aws: FakeAws, pg_url: str) -> None:
    """The sandbox's world: its clusters, CloudTrail, Pino logs and the hub's (empty) tables."""
    now = datetime.now(UTC)
    for env, server in kube.items():
        seed_cluster(server, env, now=now)
    seed_engine_pod_log(kube["int"], now)
    seed_trail(fake_aws, ACCOUNTS, now)
    seed_logs(fake_aws, ACCOUNTS, now)
    await create_hub_tables(pg_url)


@pytest.fixture
async def world(runtime, kube, fake_aws, pg_url):
    await seed_world(kube, fake_aws, pg_url)


@pytest.mark.parametrize("key", KEYS)
async def test_a_preview_diagnosis_suggests_a_search_that_finds_the_keys_lines(slack, world, key):
    diagnosis = answer_text(await slack.ask(f"diagnose preview {key}"))
    searches = SUGGESTED_SEARCH.findall(diagnosis)
    assert searches, f"no search suggested for {key}:\n{diagnosis}"
    for command in searches:
        parsed = parse(command, TABLE)  # raises a UserError (usage) if it does not
        assert parsed.command.verb == "search"
        assert key in (parsed.values["issue"], parsed.values["text"])
        text = answer_text(await slack.ask(command))
        assert "No line" not in text and " line" in text, f"/rtb {command} found nothing:\n{text}"
        assert key in text.split("—", 1)[1], text  # the lines shown are the key's


async def test_the_old_dead_end_searches_now_find_the_lines(slack, world):
    """The issue's two searches: a bare key as the text, and the level as text and flag."""
    by_key = answer_text(await slack.ask(f"search workflow-engine {FAILED_PREVIEW}"))
    assert "*6 lines*" in by_key and "preview-deploy failed: cannot reach the prd cluster" in by_key
    errors = answer_text(await slack.ask("search workflow-engine error --level error"))
    assert "No line" in errors  # no message says "error" …
    assert "`/rtb search workflow-engine --level error --since 1h`" in errors  # … so: without it
    flag = answer_text(await slack.ask("search workflow-engine --level error --since 1h"))
    assert "No line" not in flag and "Claude API 529 overloaded" in flag
