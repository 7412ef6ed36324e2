"""Free text the database cannot hold (issue 13 §4): a NUL, or half of a UTF-16 surrogate pair,
in a reason (slash command or the reason modal), a reject note or a filter is answered as bad
input before anything is stored — never as "something went wrong" with a correlation id.
Signed Slack requests over HTTP, real PostgreSQL."""

import re

import pytest

from sandbox.slack_payloads import plain_text_value
from tests.approvals.support import (
    PREVIEW,
    audit_outcomes,
    request_approval,
    request_row,
    seed_deployment,
)
from tests.fixtures.bot import answer_text
from tests.words import user_error

SCALE_TO_ZERO = f"scale prd app 0 --namespace {PREVIEW}"
NUL = "a NUL character (U+0000)"
SURROGATE = "an invalid character (U+D800, half of a UTF-16 surrogate pair)"


async def stored(slack) -> tuple[int, int]:
    db = slack.runtime.backends.db
    requests = await db.fetch("SELECT id FROM rtb_bot.approval_requests")
    events = await db.fetch("SELECT id FROM rtb_bot.audit_events")
    return len(requests), len(events)


def private_replies(slack) -> list[str]:
    calls = slack.api.calls_to("chat.postEphemeral") + slack.api.calls_to("chat.postMessage")
    return [c.args["text"] for c in calls]


@pytest.mark.parametrize(
    "command",
    [
        f'{SCALE_TO_ZERO} --reason "INC\x00-42"',
        f'{SCALE_TO_ZERO} --reason "INC-42\x00"',
        "executions --type pr-review\x00",
        "audit --user \x00",
    ],
)
async def test_a_nul_in_a_slash_command_is_bad_input(slack, kube, command):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    answer = answer_text(await slack.ask(command))
    assert f"That command contains {NUL}. Type it again without it." in answer
    assert "went wrong" not in answer and slack.runtime.deps.unexpected_errors == 0
    assert await stored(slack) == (0, 0)
    assert slack.api.calls_to("views.open") == []


async def test_a_nul_in_a_reject_note_leaves_the_request_pending(slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    answer = answer_text(await slack.ask(f"reject {request_id} not\x00now", user="ULEAD1"))
    assert f"That command contains {NUL}" in answer
    assert slack.runtime.deps.unexpected_errors == 0
    assert (await request_row(slack, request_id))["status"] == "pending"
    assert await audit_outcomes(slack, request_id) == ["requested"]


@pytest.mark.parametrize(("note", "named"), [("not\x00now", NUL), ("not\ud800now", SURROGATE)])
async def test_the_gate_refuses_a_note_it_cannot_store(slack, kube, note, named):
    """Whatever path a note comes by (the slash command stops it earlier)."""
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    request_id = await request_approval(slack, SCALE_TO_ZERO)
    gate = slack.runtime.deps.gate
    with user_error(match=re.escape(f"The note contains {named}, which cannot")):
        await gate.reject(request_id, "ULEAD1", note, "c0ffee")
    assert (await request_row(slack, request_id))["status"] == "pending"
    assert await audit_outcomes(slack, request_id) == ["requested"]


@pytest.mark.parametrize(("reason", "named"), [("INC\x00-42", NUL), ("INC\ud800-42", SURROGATE)])
async def test_the_reason_modal_refuses_what_it_cannot_store_and_keeps_the_form(
    slack, kube, reason, named
):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    await slack.ask(SCALE_TO_ZERO)
    token = slack.api.views()[-1]["private_metadata"]  # the loading view, filled

    async def submit(text: str) -> None:
        values = {"reason": {"reason_input": plain_text_value(text)}}
        status = await slack.submit_view(
            user="UOPERATOR1", callback_id="approval_reason", private_metadata=token, values=values
        )
        assert status == 200
        await slack.settle()

    await submit(reason)
    said = private_replies(slack)[-1]
    assert f"The reason contains {named}, which cannot be stored" in said
    assert "went wrong" not in said and slack.runtime.deps.unexpected_errors == 0
    assert await stored(slack) == (0, 0)
    await submit("INC-42")  # the same form, sent again: the draft was kept
    (request,) = await slack.runtime.backends.db.fetch("SELECT * FROM rtb_bot.approval_requests")
    assert request["reason"] == "INC-42" and request["status"] == "pending"
