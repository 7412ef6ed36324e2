"""Every next step a playbook suggests is a command the slash parser reads back as written.

Three views of one promise: every `suggest(…)` in ops/ and approvals/ names a command of the
table and only its options (read from the source, so a branch no scenario reaches is covered);
every `/rtb …` line the diagnose answers show, in the sandbox and in crafted worlds, parses
against the table; and a suggestion rendered and parsed again gives back its command and values,
whatever its values hold (spaces, quotes, `$`). `test_search_suggestions` goes further for
searches: it runs them and checks they find the lines they promise.
"""

from __future__ import annotations

import ast
import html
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from handlers.parse import parse
from handlers.render.suggestions import command_line
from handlers.spec import Command
from handlers.table import TABLE
from ops.config import Config
from ops.suggestions import Suggestion, suggest
from sandbox.fake_kube import FakeKubeServer
from sandbox.seed_kube import hub_deployment, seed_hub_namespace
from tests.handlers.test_search_suggestions import KEYS, seed_world
from tests.ops.test_diagnose import seed_spend
from tests.ops.test_executions import ago, insert_executions
from tests.ops.test_status import seed_hub_rows, seed_queues

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_TYPE = "nightly review's run"  # a workflow type is the hub's free text

# -- every suggest(…) in the source names a command and its options --------------------------


def _suggest_calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for package in ("ops", "approvals"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "suggest":
                    calls.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return calls


SUGGEST_CALLS = _suggest_calls()


def test_the_source_has_suggestions_to_check():
    assert len(SUGGEST_CALLS) >= 15, [where for where, _ in SUGGEST_CALLS]


@pytest.mark.parametrize(("where", "call"), SUGGEST_CALLS, ids=[w for w, _ in SUGGEST_CALLS])
def test_every_suggest_call_names_a_command_and_its_options(where: str, call: ast.Call):
    verb = call.args[0]
    assert isinstance(verb, ast.Constant) and verb.value in TABLE, f"{where}: unknown command"
    command = TABLE[verb.value]
    flags = {flag.name for flag in command.flags}
    for keyword in call.keywords:
        assert keyword.arg is not None, f"{where}: name each flag (no **), so it can be checked"
        assert keyword.arg.replace("_", "-") in flags, f"{where}: no --{keyword.arg}"
    positionals = len(call.args) - 1
    has_rest = any(arg.rest for arg in command.args)
    assert positionals <= len(command.args) or has_rest, f"{where}: too many arguments"
    required = sum(not arg.optional for arg in command.args)
    assert positionals >= required, f"{where}: missing arguments of {command.verb}"


# -- render, parse, same values ----------------------------------------------------------------

ROUND_TRIPS = [
    suggest("search", "all", issue="PROJ-300", since="24h"),
    suggest("search", "all", issue="PROJ-118", env="stg", since="24h"),
    suggest("search", "workflow-engine", "disk full", level="error"),
    suggest("executions", type=HOSTILE_TYPE, since="1h"),
    suggest("executions", type='say "hi" to $HOME \\ `now`', since="1h"),
    suggest("executions", status="failed", since="1h"),
    suggest("costs", since="24h", by="model"),
    suggest("trail", "int", errors=True),
    suggest("can-i", "prd", "create", "namespaces"),
    suggest("logs", "stg", "worker", namespace="preview-proj-118"),
    suggest("logs", "int", "workflow-engine", since="30m"),
    suggest("rollout-status", "int", "workflow-engine"),
    suggest("scale", "int", "workflow-engine", "3"),
    suggest("queue resume", "pr-review-queue"),
    suggest("queue", "jira-queue"),
    suggest("queues"),
    suggest("previews", "stg"),
    suggest("pods", "stg", "preview-proj-118"),
]


def _expected(command: Command, suggestion: Suggestion) -> dict[str, Any]:
    """What the table makes of each value the suggestion carries."""
    values: dict[str, Any] = {}
    for arg, text in zip(command.args, suggestion.args, strict=False):
        values[arg.name] = arg.parse(text)
    by_name = {flag.name: flag for flag in command.flags}
    for name, text in suggestion.flags:
        flag = by_name[name]
        values[name] = True if flag.is_switch else flag.parse(text or "")
    return values


@pytest.mark.parametrize("suggestion", ROUND_TRIPS, ids=command_line)
def test_a_suggestion_parses_back_to_its_command_and_values(suggestion: Suggestion):
    line = command_line(suggestion)
    assert line.startswith("/rtb ")
    parsed = parse(line.removeprefix("/rtb "), TABLE)
    assert parsed.command.verb == suggestion.command
    expected = _expected(parsed.command, suggestion)
    assert {name: parsed.values[name] for name in expected} == expected


def test_plain_values_stay_bare_and_odd_ones_are_quoted():
    assert command_line(suggest("search", "all", issue="PROJ-300", env="stg", since="24h")) == (
        "/rtb search all --issue PROJ-300 --env stg --since 24h"
    )
    assert command_line(suggest("trail", "int", errors=True, since=False)) == (
        "/rtb trail int --errors"
    )
    assert command_line(suggest("executions", type=HOSTILE_TYPE)) == (
        "/rtb executions --type 'nightly review'\"'\"'s run'"
    )


# -- every line the playbooks show parses --------------------------------------------------------


@pytest.fixture
def bot_config(config_through_fake_aws: Config) -> Config:
    return config_through_fake_aws


@pytest.fixture
async def world(runtime, kube, fake_aws, pg_url):
    await seed_world(kube, fake_aws, pg_url)


Seeder = Callable[[dict[str, FakeKubeServer], str, str], Awaitable[None]]


async def _nothing(kube: dict[str, FakeKubeServer], redis_url: str, pg_url: str) -> None:
    return None


async def _paused_queue_and_failing_runs(kube, redis_url, pg_url) -> None:
    await seed_queues(redis_url)
    await seed_hub_rows(pg_url)
    seed_hub_namespace(kube["int"])


async def _engine_scaled_to_zero(kube, redis_url, pg_url) -> None:
    await seed_queues(redis_url)
    seed_hub_namespace(kube["int"])
    kube["int"].apply(hub_deployment("workflow-engine", 0, "v1.42.0", "scaled down"))


async def _engine_not_ready(kube, redis_url, pg_url) -> None:
    await seed_queues(redis_url)
    seed_hub_namespace(kube["int"])
    kube["int"].apply(hub_deployment("workflow-engine", 2, "v1.43.0", "image pull failing"))


async def _a_cost_spike(kube, redis_url, pg_url) -> None:
    await seed_spend(pg_url)


async def _a_spike_of_an_oddly_named_workflow(kube, redis_url, pg_url) -> None:
    runs = [(HOSTILE_TYPE, "completed", ago(hours=h), 9_000, None) for h in range(2, 169)]
    runs += [(HOSTILE_TYPE, "completed", ago(minutes=4 * n + 1), 9_000, None) for n in range(12)]
    await insert_executions(pg_url, runs)


SCENARIOS: list[tuple[str, Seeder]] = [
    *((f"diagnose preview {key}", _nothing) for key in KEYS),
    ("diagnose preview PROJ-9999", _nothing),  # no namespace anywhere
    ("diagnose backlog", _nothing),
    ("diagnose backlog", _paused_queue_and_failing_runs),
    ("diagnose backlog", _engine_scaled_to_zero),
    ("diagnose backlog", _engine_not_ready),
    ("diagnose costs", _nothing),
    ("diagnose costs", _a_cost_spike),
    ("diagnose costs", _a_spike_of_an_oddly_named_workflow),
]


def next_lines(answer: dict[str, Any]) -> list[str]:
    """The `/rtb …` lines of the answer's *Next* section, as a user copies them."""
    for block in answer.get("blocks", []):
        text = (block.get("text") or {}).get("text", "")
        if text.startswith("*Next*\n"):
            return [html.unescape(line.strip("`")) for line in text.splitlines()[1:]]
    return []


@pytest.mark.parametrize(
    ("command", "seed"), SCENARIOS, ids=[f"{c}-{s.__name__.strip('_')}" for c, s in SCENARIOS]
)
async def test_every_next_step_shown_parses(slack, world, kube, redis_url, pg_url, command, seed):
    await seed(kube, redis_url, pg_url)
    answer = await slack.ask(command)
    lines = next_lines(answer)
    assert lines, f"{command}: no next step in {answer}"
    for line in lines:
        assert line.startswith("/rtb "), line
        parsed = parse(line.removeprefix("/rtb "), TABLE)  # a UserError (usage) if it does not
        assert parsed.command.verb != "help", line


async def test_an_oddly_named_workflow_is_suggested_as_one_value(slack, world, kube, pg_url):
    """Before suggestions were values, this line was `--type nightly review's run`: an unclosed
    quote to the parser."""
    await _a_spike_of_an_oddly_named_workflow(kube, "", pg_url)
    lines = next_lines(await slack.ask("diagnose costs"))
    runs = [line for line in lines if line.startswith("/rtb executions --type")]
    assert runs, lines
    assert parse(runs[0].removeprefix("/rtb "), TABLE).values["type"] == HOSTILE_TYPE
