"""Signed Slack requests over HTTP to the running app; answers read from the fake Slack API."""

import io
import json
import time

import pytest
import structlog
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.logs import configure_logging
from bot.requests import bolt_request
from handlers.context import Deps, TaskTracker
from handlers.slash import answer
from sandbox.slack_payloads import form_body, signed_headers, slash_command
from tests.fixtures.bot import SIGNING_SECRET, answer_text


async def test_help_lists_commands_from_the_table(slack):
    answer_ = await slack.ask("help")
    assert answer_["response_type"] == "ephemeral"
    assert "/rtb ping" in answer_text(answer_)


async def test_empty_text_is_help(slack):
    assert "/rtb help" in answer_text(await slack.ask(""))


async def test_the_word_payload_in_a_command_still_gets_an_answer(slack):
    # bolt-python 1.30 mis-parses any form body containing "payload" (see bot/requests.py)
    assert "I don't know `payload`" in answer_text(await slack.ask("payload"))


async def test_help_for_one_command_and_unknown_verb(slack):
    assert "`/rtb help [<command>…]`" in answer_text(await slack.ask("help help"))
    assert "Did you mean `ping`?" in answer_text(await slack.ask("pnig"))


async def test_help_of_a_family_lists_its_commands(slack):
    text = answer_text(await slack.ask("help preview"))
    assert "I don't know" not in text
    assert "`/rtb preview create`" in text and "`/rtb preview delete`" in text
    assert "`/rtb pods`" not in text


@pytest.mark.parametrize("line", ["status -h", "queue --help", "queue pause preview-queue -h"])
async def test_help_flags_after_any_command_show_its_help(slack, line):
    verb = " ".join(w for w in line.split() if w not in ("-h", "--help", "preview-queue"))
    text = answer_text(await slack.ask(line))
    assert f"/rtb {verb}* — " in text, text
    assert "is not a valid" not in text and "has no option" not in text


async def test_ping_reports_every_backend_per_env(slack):
    answer_ = await slack.ask("ping")
    text = answer_text(answer_)
    assert answer_["response_type"] == "in_channel"
    for name in ("PostgreSQL (bot)", "PostgreSQL (hub)", "Redis", "AWS stg", "Kubernetes prd"):
        assert name in text
    assert "account 222222222222" in text and "account 333333333333" in text
    assert "*OAM stg → int* — account 222222222222 linked (log groups shared)" in text
    assert "*OAM prd → int* — account 333333333333 linked" in text
    assert "OAM int" not in text  # int is where the searches run
    assert "all configured backends reachable" in text


async def test_ping_names_a_source_account_whose_logs_do_not_reach_int(slack, fake_aws_server):
    fake_aws_server.remove_oam_link("111111111111", "333333333333")
    fake_aws_server.add_oam_link("111111111111", "222222222222", ["AWS::CloudWatch::Metric"])
    try:
        text = answer_text(await slack.ask("ping"))
    finally:
        fake_aws_server.reset()
    assert "some backends are not reachable" in text
    assert "*OAM prd → int* — account 333333333333 has no link to int" in text
    assert "*OAM stg → int* — account 222222222222's link shares no log groups" in text


async def test_ping_names_the_backend_that_fails(slack, kube):
    kube["prd"].inject_fault(method="GET", path_regex="/version", status=403, count=None)
    text = answer_text(await slack.ask("ping"))
    assert "some backends are not reachable" in text
    assert "HTTP 403" in text and "Kubernetes prd" in text


async def test_bad_signature_and_stale_timestamp_are_401(slack):
    body = form_body(slash_command("ping", user_id="U1", response_url=slack.api.response_url()))
    headers = signed_headers(body, "wrong-secret")
    assert (await slack.http.post("/slack/events", data=body, headers=headers)).status == 401
    stale = signed_headers(body, SIGNING_SECRET, timestamp=int(time.time()) - 600)
    assert (await slack.http.post("/slack/events", data=body, headers=stale)).status == 401
    await slack.settle()
    assert slack.api.responses == []


async def test_a_slash_command_the_bot_has_no_listener_for_is_answered_not_dropped(slack):
    # e.g. a second command added to the app manifest but not to the bot: the front has acked,
    # so without this the user would see nothing at all
    fields = slash_command(
        "ping", user_id="U1", command="/rtb-old", response_url=slack.api.response_url()
    )
    assert await slack.send(form_body(fields)) == 200
    await slack.settle()
    told = slack.api.responses[-1].body
    assert told["response_type"] == "ephemeral"
    assert "has no handler for that" in answer_text(dict(told))
    assert "pong" not in answer_text(dict(told))


async def test_a_request_nobody_handled_is_answered_in_the_users_language(slack):
    await slack.ask("lang ko", user="U1")
    fields = slash_command(
        "ping", user_id="U1", command="/rtb-old", response_url=slack.api.response_url()
    )
    assert await slack.send(form_body(fields)) == 200
    await slack.settle()
    told = answer_text(dict(slack.api.responses[-1].body))
    assert "rtb-ops-bot이 처리할 수 없는 요청입니다" in told and "no handler" not in told


async def test_health_endpoints(slack, redis_server):
    assert (await slack.http.get("/healthz")).status == 200
    ready = await slack.http.get("/readyz")
    assert ready.status == 200 and (await ready.json())["ready"] is True


async def test_unexpected_errors_show_only_a_correlation_id(runtime):
    async def explode():
        raise RuntimeError("token xoxb-secret leaked in a message")

    deps = Deps(runtime.deps.config, runtime.backends, TaskTracker(), "t", runtime.deps.gate)
    message = await answer(deps, explode, "corr123")
    text = str(message.to_json())
    assert "corr123" in text and "xoxb" not in text and "RuntimeError" not in text
    assert deps.unexpected_errors == 1


async def test_ping_says_which_env_has_no_cluster_configured(runtime):
    from ops import health

    envs = dict(runtime.deps.config.environments)
    envs["stg"] = envs["stg"].model_copy(update={"kube_server": None})
    config = runtime.deps.config.model_copy(update={"environments": envs})
    runtime.backends.config = config
    report = await health.ping(runtime.backends, "t")
    stg = next(c for c in report.checks if c.name == "Kubernetes stg")
    assert (stg.configured, stg.reachable, stg.seen) == (False, False, health.Seen.NOT_CONFIGURED)


async def test_a_light_command_never_queues_behind_slow_fan_outs(slack, kube):
    kube["prd"].inject_fault(method="GET", path_regex="/pods", delay=1.5, count=None)
    for _ in range(6):  # more heavy commands than there are turns for them
        assert await slack.command("pods prd") == 200
    assert await slack.command("help") == 200

    def answered(word: str) -> int:
        return sum(word in str(r.body) for r in slack.api.responses)

    await slack.api.await_for(lambda: answered("rtb-ops-bot commands"), timeout=5)
    assert len(slack.api.responses) == 1, "help answered first, while the pods still wait"
    await slack.settle()


async def test_an_answer_the_response_url_refuses_reaches_the_asker_privately(slack):
    stream = io.StringIO()
    configure_logging(stream=stream)
    expired = slack.api.response_url().rsplit("/", 1)[0] + "/expired-or-unknown"
    fields = slash_command("ping", user_id="UOPERATOR1", response_url=expired)
    assert await slack.send(form_body(fields)) == 200
    await slack.settle()
    [told] = slack.api.calls_to("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"], told.error) == ("C_OPS", "UOPERATOR1", None)
    assert "PostgreSQL (bot)" in told.args["text"] + str(told.args["blocks"])
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    refused = [e for e in logged if e["msg"] == "the response_url refused an answer"]
    assert [e["status"] for e in refused] == [404]
    assert not [e for e in logged if e["level"] in ("error", "critical")]


async def test_a_help_whose_response_url_is_used_up_still_reaches_the_asker(slack):
    url = slack.api.response_url()
    for n in range(5):  # Slack takes 5 posts to a response_url
        await AsyncWebhookClient(url).send(text=str(n))
    fields = slash_command("nope", user_id="UOPERATOR1", response_url=url)
    assert await slack.send(form_body(fields)) == 200
    await slack.settle()
    [told] = slack.api.calls_to("chat.postEphemeral")
    assert told.args["user"] == "UOPERATOR1" and "I don't know `nope`" in told.args["text"]


async def test_the_id_the_worker_bound_is_the_one_the_command_logs(runtime, fake_slack):
    """One request, one correlation id: the worker binds it before dispatching (its "request
    not handled" answer names it), and the command's logs carry that same id."""
    stream = io.StringIO()
    configure_logging(stream=stream)
    fields = slash_command(
        "queue pause no-such-queue", user_id="UOPERATOR1", response_url=fake_slack.response_url()
    )
    body = form_body(fields)
    with structlog.contextvars.bound_contextvars(correlation_id="worker-0001"):
        response = await runtime.app.async_dispatch(
            bolt_request(body, signed_headers(body, SIGNING_SECRET))
        )
    assert response.status == 200
    await runtime.deps.tasks.drain(10)
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    received = [e for e in logged if e["msg"] == "command received"]
    assert [(e["correlation_id"], e["user"]) for e in received] == [("worker-0001", "UOPERATOR1")]
