"""A change's facts (approvals/facts.py) in both languages: every kind there is, worded by
handlers/render/change_facts.py, stored as data and read back, and older rows' text still shown.

The kinds are enumerated from `FACT_KINDS`, and each kind's samples are built from its fields'
types (every branch a field opens: None or not, empty or not, true or false), so a new kind is
covered without touching this file."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator, Mapping
from dataclasses import fields, replace
from typing import Any

import pytest

from approvals import facts
from approvals.emergency_rollback import EmergencyRollback
from approvals.facts import FACT_KINDS, Fact, fact_from_data
from approvals.mutations import Change
from approvals.outcomes import ConfirmNeeded
from approvals.policy import Policy
from approvals.workload_mutations import ScaleDeployment
from handlers.render.approval_words import change_line, failure
from handlers.render.change_facts import said_text, worded_kinds
from handlers.render.gate_answers import render_confirmation
from handlers.render.i18n import LOCALES, use_locale
from handlers.render.message import Message, section
from ops.config import Config, Language
from ops.errors import Problem, UserError
from tests.approvals.support import (
    PREVIEW,
    card,
    request_approval,
    request_row,
    running_bot,
    seed_deployment,
    text_of,
    with_config,
)
from tests.golden import assert_golden, shown

HANGUL = re.compile(r"[\uac00-\ud7a3]")
SECTION_LIMIT = 3000  # Slack's section text
CONFIG = Config.model_validate({"environments": {"int": {"account_id": "111111111111"}}})
REFUSAL = UserError(Problem.QUEUE_NOT_PAUSED, queue="jira-queue").as_data()


# A text field's value by its name, where its shape matters to the words; else a name.
TEXTS = {
    "expires_at": ["2025-03-14T09:30:00Z"],
    "image": ["123.dkr.ecr.example/rtb-hub:v1.42.0"],
    "issue_key": ["PROJ-7"],
    "namespace": ["preview-proj-7"],
    "deployments": [("workflow-engine", "webhook-listener"), ("workflow-engine",)],
    "namespaces": [(), ("preview-proj-7",), ("preview-proj-7", "preview-proj-8")],
}


def _values(name: str, hint: Any) -> list[Any]:
    """Values of a field's type that open every branch a renderer may take on it."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if type(None) in typing.get_args(hint):
        return [None, *_values(name, args[0])]
    if name in TEXTS:
        return TEXTS[name]
    origin = typing.get_origin(hint)
    if hint is bool:
        return [False, True]
    if hint is int:
        return [1, 3600, 1200] if name == "ttl_seconds" else [1, 1200]
    if hint is str:
        return ["workflow-engine"]
    if origin in (Mapping, dict):
        two = {"app": "ecr.example/rtb-hub:v1", "sidecar": "ecr.example/envoy:v2"}
        return [{}, {"app": "123.dkr.ecr.example/rtb-hub:v1.42.0"}, two]
    if origin is tuple:
        return [(facts.Revision(3, {"app": "rtb-hub:v1"}, "workflow-engine"),)]
    if hint is Fact:
        return [facts.Revision(2, {"app": "rtb-hub:v1"})]
    return [REFUSAL, "no previous revision"]  # Any: a stored refusal (data, or older text)


def samples(kind: type[Fact]) -> Iterator[Fact]:
    hints = typing.get_type_hints(kind, vars(facts))
    options = {f.name: _values(f.name, hints[f.name]) for f in fields(kind)}
    base = kind(**{name: values[0] for name, values in options.items()})
    yield base
    for name, values in options.items():
        for value in values[1:]:
            yield replace(base, **{name: value})


ALL_SAMPLES = [sample for kind in FACT_KINDS.values() for sample in samples(kind)]


def test_every_kind_of_fact_has_its_words():
    assert worded_kinds() == set(FACT_KINDS.values())


@pytest.mark.parametrize("locale", LOCALES)
def test_every_fact_is_worded_in_each_language_within_slacks_limits(locale):
    with use_locale(locale):
        for sample in ALL_SAMPLES:
            text = said_text(sample)
            assert text and "{" not in text and "}" not in text, (sample, text)
            assert len(text) < SECTION_LIMIT // 4, sample  # a card shows two of them and more


def test_korean_words_every_fact_that_has_words():
    """In Korean, a fact reads in Korean unless it is only names and numbers (a revision and
    its images, a container's image, a list of them) or an older stored text."""
    for sample in ALL_SAMPLES:
        korean = _korean(sample)
        assert korean == _english(sample) or HANGUL.search(korean), (sample, korean)
    korean_kinds = {type(s) for s in ALL_SAMPLES if HANGUL.search(_korean(s))}
    names_only = {facts.Revision, facts.ImageAt, facts.ContainerImage, facts.PartState}
    assert korean_kinds | names_only | {facts.Parts} == set(FACT_KINDS.values())


def _english(sample: Fact) -> str:
    with use_locale("en"):
        return said_text(sample)


def _korean(sample: Fact) -> str:
    with use_locale("ko"):
        return said_text(sample)


def test_a_fact_is_stored_as_data_and_read_back_the_same():
    for sample in ALL_SAMPLES:
        stored = json.loads(json.dumps(sample.as_data()))
        assert fact_from_data(stored) == sample
    change = Change(facts.Replicas(2, scaled_object="app"), facts.ScaledTo(0, "app"))
    assert Change.from_data(json.loads(json.dumps(change.as_data()))) == change


def test_rows_written_before_facts_still_show_their_text():
    """Older rows hold the English text: shown as written, in any language (it cannot be
    parsed back into data, and rewriting what a lead approved is not ours to do)."""
    old = Change.from_data({"before": "2 replicas (app=v1)", "after": "0 replicas"})
    assert old == Change("2 replicas (app=v1)", "0 replicas")
    assert Change.from_data(None) == Change("?", "?")
    drift = {"drift": {"was": "2 replicas (app=v1)", "now": "3 replicas (app=v1)"}}
    with use_locale("ko"):
        assert change_line(old) == "2 replicas (app=v1) → 0 replicas"
        assert "2 replicas (app=v1)" in failure(drift) and "3 replicas (app=v1)" in failure(drift)


def test_a_drift_stored_as_data_is_worded_for_its_reader():
    was, now = facts.Replicas(1, {"app": "rtb-hub:v1"}), facts.Replicas(3, {"app": "rtb-hub:v1"})
    drift = {"drift": {"was": was.as_data(), "now": now.as_data()}}
    assert "was 1 replica (app=rtb-hub:v1), now 3 replicas (app=rtb-hub:v1)" in failure(drift)
    with use_locale("ko"):
        assert "replica 1개 (app=rtb-hub:v1)" in failure(drift)
        assert "replica 3개 (app=rtb-hub:v1)" in failure(drift)


# -- goldens: every state and confirmation text, in Korean ----------------------------------


def _mutation_texts() -> Message:
    """One line per sample: its kind and its words (a golden per locale reads like a table)."""
    lines = [f"`{s.kind}` {said_text(s)}" for s in ALL_SAMPLES]
    chunks = ["\n".join(lines[i : i + 20]) for i in range(0, len(lines), 20)]
    return Message(text="change facts", blocks=tuple(section(c) for c in chunks))


def test_golden_every_fact_in_both_languages():
    english = _mutation_texts()
    assert_golden("change_facts", english)
    with use_locale("ko"):
        korean = _mutation_texts()
        assert_golden("change_facts", korean)
    assert "`queue.paused_keeping` paused (1 waiting stay queued)" in shown(english)
    assert "`queue.paused_keeping` 일시정지 (대기 잡 1개는 큐에 남음)" in shown(korean)
    assert "`workload.replicas` 1,200 replicas" in shown(english)
    assert "`preview.expired` 만료 2개: preview-proj-7, preview-proj-8" in shown(korean)
    assert "`preview.to_create` preview-proj-7 (PROJ-7, expires 1h after creation)" in shown(
        english
    )


def test_golden_confirmations_in_korean():
    scale = ScaleDeployment.build(CONFIG, "int", "rtb-ai-hub", "workflow-engine", 0)
    emergency = EmergencyRollback.build(CONFIG, "int")
    decision = Policy(CONFIG).decide(scale.action, "int", "operator", "C_OPS")
    before = facts.Replicas(1, scaled_object="workflow-engine")
    change = Change(before, facts.ScaledTo(0, "workflow-engine"))
    zero = scale.confirmation({"replicas": 1}, CONFIG)
    both = emergency.confirmation({}, CONFIG)
    assert zero is not None and both is not None
    with use_locale("ko"):
        confirm = render_confirmation(ConfirmNeeded(scale, decision, change, "D-abc", zero))
        assert_golden("rollout_confirm_facts", confirm)
        assert "0으로 스케일하면 `workflow-engine`이(가) 멈춥니다" in shown(confirm)
        assert "replica 1개 (KEDA ScaledObject `workflow-engine`이(가) 오토스케일)" in shown(
            confirm
        )
        assert said_text(both) == (
            "긴급 롤백은 `workflow-engine`, `webhook-listener`을(를) 한 번에 롤백합니다."
        )
    english = render_confirmation(ConfirmNeeded(scale, decision, change, "D-abc", zero))
    assert english.text == (
        "Confirm scale rtb-ai-hub/workflow-engine in int: 1 replica (autoscaled by KEDA "
        "ScaledObject `workflow-engine`) → 0 replicas (KEDA ScaledObject `workflow-engine` "
        "paused at 0)"
    )
    assert said_text(both) == (
        "An emergency rollback rolls `workflow-engine` and `webhook-listener` back at once."
    )


# -- end to end: a card in the approvals channel's language, its row holding data -------------


async def test_a_korean_channels_card_words_the_change_and_its_row_keeps_data(
    bot_settings, fake_slack, kube
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    korean = with_config(bot_settings, language=Language(channels={"approvals": "ko"}))
    async with running_bot(korean, fake_slack) as slack:
        request_id = await request_approval(slack, f"scale prd app 0 --namespace {PREVIEW}")
        row = await request_row(slack, request_id)
    assert "replica 2개 → replica 0개" in text_of(card(fake_slack, request_id))
    assert row["change"]["before"]["kind"] == "workload.replicas"
    assert row["change"]["before"]["count"] == 2
    assert row["change"]["after"] == {
        "kind": "workload.scaled_to",
        "count": 0,
        "scaled_object": None,
    }


def test_a_deployment_the_emergency_rollback_cannot_roll_back_is_told_in_words():
    """A part's refusal kept as data used to reach the card as its code and data
    (`workload.no_longer_autoscaled {…}`): it is worded in the reader's language now."""
    refused = UserError(Problem.NO_LONGER_AUTOSCALED, deployment="workflow-engine")
    preflight = {
        "workflow-engine": {"unavailable": refused.as_data()},
        "webhook-listener": {
            "revision": 2,
            "images": {"app": "ecr.example/rtb-hub:v1.42.0"},
            "to_revision": 1,
            "to_images": {"app": "ecr.example/rtb-hub:v1.41.1"},
        },
    }
    emergency = EmergencyRollback.build(CONFIG, "int")
    change = emergency.describe_change(preflight)
    with use_locale("en"):
        english = change_line(change)
    with use_locale("ko"):
        korean = change_line(change)
    assert refused.code is not None and refused.code.code not in english + korean
    assert english.startswith("workflow-engine: ") and "; webhook-listener revision 2" in english
    assert english.endswith(
        "→ workflow-engine: unchanged; webhook-listener revision 1 (rtb-hub:v1.41.1)"
    )
    assert "workflow-engine: 변경 없음" in korean and HANGUL.search(korean.split(";")[0])
    state = said_text(emergency.describe_state(preflight))
    assert state.startswith("workflow-engine: ") and refused.code.code not in state
