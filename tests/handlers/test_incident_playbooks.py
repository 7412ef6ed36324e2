"""Which reads Investigate runs and which actions a card offers, per alarm (pure)."""

from __future__ import annotations

import pytest

from handlers.incident_playbooks import AlarmSubject, action_for, playbook_for
from handlers.parse import parse
from handlers.table import TABLE

QUEUES = ("jira-queue", "preview-queue")


def alarm(name: str, env: str = "int", metric: str = "", **dimensions: str) -> AlarmSubject:
    return AlarmSubject(name, env, metric, dimensions=dimensions)  # type: ignore[arg-type]


def test_the_runbook_queue_depth_alarm_diagnoses_the_backlog():
    book = playbook_for(alarm("rtb-hub-bullmq-queue-depth", metric="WaitingJobs"), QUEUES)
    assert book.kind == "backlog" and book.reads == ("diagnose backlog",)
    assert [a.line for a in book.actions] == [
        "queue pause jira-queue",
        "scale int workflow-engine 3",
    ]


def test_a_queue_named_by_its_dimension_is_the_one_paused():
    book = playbook_for(alarm("bullmq-backlog", QueueName="preview-queue"), QUEUES)
    assert book.actions[0].line == "queue pause preview-queue"


def test_error_rate_reads_error_lines_and_failed_executions():
    book = playbook_for(alarm("rtb-hub-workflow-engine-error-rate"), QUEUES)
    assert book.kind == "errors"
    assert book.reads == (
        "search workflow-engine --level error --since 1h",
        "executions --status failed --since 1h",
    )
    assert [a.line for a in book.actions] == [
        "rollback int workflow-engine",
        "scale int workflow-engine 0",
    ]


def test_cost_and_preview_alarms():
    assert playbook_for(alarm("rtb-hub-ai-cost-daily"), QUEUES).reads == ("diagnose costs",)
    preview = playbook_for(
        alarm("preview-oom", "prd", Namespace="preview-proj-101", Deployment="app"), QUEUES
    )
    assert preview.reads == ("diagnose preview PROJ-101",)
    assert [a.line for a in preview.actions] == ["scale prd app 0 --namespace preview-proj-101"]
    unnamed = playbook_for(alarm("preview-count-high", "stg"), QUEUES)
    assert unnamed.reads == ("previews stg",) and unnamed.actions == ()


def test_anything_else_reads_status_and_the_services_errors():
    book = playbook_for(alarm("rtb-hub-webhook-listener-p99", "int"), QUEUES)
    assert book.kind == "service"
    assert book.reads == ("status int", "search webhook-listener --level error --since 1h")
    assert [a.line for a in book.actions] == ["rollback int webhook-listener"]


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_an_alarm_in_stg_or_prd_searches_that_envs_lines(env):
    """Their lines are in their own accounts' groups: a search without --env reads int's."""
    errors = playbook_for(alarm("rtb-hub-workflow-engine-error-rate", env), QUEUES)
    service = playbook_for(alarm("rtb-hub-webhook-listener-p99", env), QUEUES)
    assert errors.reads[0] == f"search workflow-engine --level error --since 1h --env {env}"
    assert service.reads[1] == f"search webhook-listener --level error --since 1h --env {env}"


@pytest.mark.parametrize("env", ["stg", "prd"])
def test_hub_actions_are_not_offered_outside_int(env):
    """The hub in stg/prd is core infrastructure: the gate would only refuse them."""
    for name in ("rtb-hub-bullmq-queue-depth", "workflow-engine-error-rate", "ai-cost", "x"):
        assert playbook_for(alarm(name, env), QUEUES).actions == ()


def test_a_button_key_is_rebuilt_from_the_alarm_not_read_from_the_button():
    subject = alarm("rtb-hub-bullmq-queue-depth")
    assert action_for(subject, QUEUES, "pause-queue").line == "queue pause jira-queue"
    assert action_for(subject, QUEUES, "rollback") is None
    assert action_for(alarm("rtb-hub-bullmq-queue-depth", "prd"), QUEUES, "pause-queue") is None


@pytest.mark.parametrize(
    "subject",
    [
        alarm("rtb-hub-bullmq-queue-depth"),
        alarm("workflow-engine-error-rate"),
        alarm("ai-cost"),
        alarm("preview-oom", "prd", Namespace="preview-proj-101", Deployment="app"),
        alarm("preview-count"),
        alarm("auth-service-latency"),
    ],
)
def test_every_line_is_a_command_of_the_table(subject):
    book = playbook_for(subject, QUEUES)
    for line in (*book.reads, *(a.line for a in book.actions)):
        parsed = parse(line, TABLE)
        assert parsed.command.mutating == (line in {a.line for a in book.actions})


def test_a_previews_error_alarm_is_about_the_preview():
    book = playbook_for(alarm("preview-PROJ-7-error-rate", "stg"), QUEUES)
    assert book.kind == "preview" and book.reads == ("diagnose preview PROJ-7",)
