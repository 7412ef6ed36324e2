"""`/sandbox <verb>`: the table of misbehaviours answers bad words with its usage and never
acts outside the local sandbox. The verbs themselves are tested with the feature they show."""

from __future__ import annotations

import pytest

from sandbox.verbs import Verb, VerbContext, build_verbs, run_verb

ACTED: list[list[str]] = []


async def _record(context: VerbContext, words: list[str]) -> str:
    ACTED.append(words)
    return "done"


OOM = Verb("oom", "<env> <namespace>", "a container is OOMKilled", _record)
VERBS = build_verbs([OOM])


async def test_help_lists_every_verb_with_its_usage():
    for line in ("", "help", "--help"):
        answer = await run_verb(VERBS, None, line)
        assert "/sandbox oom <env> <namespace>" in answer
        assert "a container is OOMKilled" in answer


async def test_an_unknown_verb_gets_did_you_mean_and_the_list():
    answer = await run_verb(VERBS, None, "omm prd x")
    assert answer.startswith("no sandbox verb `omm`. Did you mean `oom`?")
    assert "/sandbox oom <env> <namespace>" in answer


async def test_outside_the_sandbox_nothing_is_done():
    ACTED.clear()
    answer = await run_verb(VERBS, None, "oom int preview-proj-1")
    assert answer == "/sandbox works only against the local sandbox (scripts/console)"
    assert ACTED == []


def test_two_verbs_of_one_name_are_refused_at_import():
    with pytest.raises(ValueError, match="oom"):
        build_verbs([OOM], [OOM])
