"""Three rare paths where a reader once saw a user error's raw code (`kube.no_deployment {…}`)
instead of its sentence, each through the real front (signed Slack requests, the fake
Kubernetes API server), in the reader's language:

* a deployment deleted while the bot follows its rollout;
* an emergency rollback run as an approved request that applied only partly;
* a user error raised inside one part of a fan-out (`/rtb status` with an env without a cluster).
"""

from __future__ import annotations

import pytest

from approvals.access_matrix import default_matrix
from ops.config import Timeouts
from tests.approvals.rollout_support import (
    ENGINE,
    FAST_TIMEOUTS,
    HUB,
    INT_REPO,
    LISTENER,
    fast_config,
    image,
    seed_hub,
)
from tests.approvals.support import (
    APPROVALS,
    card,
    click_card,
    request_id_in,
    running_bot,
    seed_deployment,
    text_of,
    with_config,
)
from tests.fixtures.bot import answer_text
from tests.handlers.test_rollouts import answers

CODES = ("kube.", "rollout.", "config.", "'env':")  # what a raw code with its data looks like


@pytest.fixture
def bot_config(kube, aws_endpoint, aws_env, fake_slack):
    return fast_config(kube, aws_endpoint, fake_slack.base_url)


def no_codes(text: str) -> None:
    assert not any(code in text for code in CODES), text


@pytest.mark.parametrize(
    ("locale", "sentence"),
    [
        ("en", "int: there is no deployment `webhook-listener` in namespace `rtb-ai-hub`."),
        ("ko", "int: `rtb-ai-hub` namespace에 `webhook-listener` Deployment가 없습니다."),
    ],
)
async def test_a_deployment_deleted_while_followed_is_said_in_words(
    bot_settings, fake_slack, kube, locale, sentence
):
    seed_hub(kube["int"])
    kube["int"].rollout_delay_seconds = 30

    def deleted_meanwhile() -> None:  # someone deletes it right after the bot's rollback
        kube["int"].remove("deployments", HUB, LISTENER)

    kube["int"].inject_fault(
        "PUT", f"/deployments/{LISTENER}$", status=None, after=deleted_meanwhile
    )
    short = Timeouts(**{**FAST_TIMEOUTS, "rollout_seconds": 0.4, "rollout_progress_seconds": 60})
    async with running_bot(with_config(bot_settings, timeouts=short), fake_slack) as slack:
        await slack.ask(f"lang {locale}")
        _, *follow = await answers(slack, "rollback int webhook-listener")
    assert kube["int"].get("deployments", HUB, LISTENER) is None
    final = answer_text(follow[-1])
    assert sentence in final, final
    no_codes(final)


async def test_an_emergency_rollback_that_applied_partly_says_each_part(
    bot_settings, fake_slack, kube
):
    """Where the policy puts the hub's rollbacks behind approval, the emergency rollback runs as
    one approved request: workflow-engine goes back, webhook-listener has nowhere to go."""
    seed_deployment(kube["int"], HUB, ENGINE, image=f"{INT_REPO}:v1.41.0")
    seed_deployment(kube["int"], HUB, ENGINE, image=f"{INT_REPO}:v1.42.0")
    seed_deployment(kube["int"], HUB, LISTENER, image=f"{INT_REPO}:v1.42.0")
    policy = {**default_matrix(), "hub.rollback": {"int": "approval", "stg": "deny", "prd": "deny"}}
    async with running_bot(with_config(bot_settings, policy=policy), fake_slack) as slack:
        asked = await answers(slack, 'emergency-rollback int --reason "INC-7"')
        request_id = request_id_in(asked[-1])
        message = card(slack.api, request_id)
        assert "You approved" in await click_card(slack, request_id, user="ULEAD1")
        thread = "\n".join(text_of(m) for m in slack.api.thread(APPROVALS, message["ts"]))
    assert image(kube["int"], ENGINE) == f"{INT_REPO}:v1.41.0"
    assert "kubernetes int: partly applied: workflow-engine: rolled back to revision 1" in thread
    assert (
        "webhook-listener: `webhook-listener` in `rtb-ai-hub` (int) has no previous revision "
        "to roll back to (revisions: 1)" in thread
    ), thread
    assert "may or may not have been applied" in thread  # unknown, never "nothing changed"
    no_codes(thread)


@pytest.mark.parametrize(
    ("locale", "sentence"),
    [
        ("en", "stg: no Kubernetes cluster is configured (eks_cluster or kube_context)"),
        ("ko", "stg: Kubernetes 클러스터가 설정되어 있지 않습니다"),
    ],
)
async def test_a_user_error_inside_one_part_of_status_is_said_in_words(
    bot_settings, fake_slack, kube, locale, sentence
):
    envs = dict(bot_settings.config.environments)
    envs["stg"] = envs["stg"].model_copy(update={"kube_server": None})
    async with running_bot(with_config(bot_settings, environments=envs), fake_slack) as slack:
        await slack.ask(f"lang {locale}")
        text = answer_text(await slack.ask("status"))
    assert sentence in text, text
    no_codes(text)
