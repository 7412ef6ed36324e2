"""Investigate/Kubernetes commands: renderer goldens, then end to end over signed Slack requests."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.render.cluster import (
    render_can_i,
    render_history,
    render_logs,
    render_pods,
    render_previews,
    render_rollout_status,
    span,
)
from handlers.table import TABLE
from ops import pods
from ops.access_reviews import AccessReview, parse_resource, parse_subject
from ops.pino import parse_log_line
from ops.pod_logs import PodLogs
from ops.pods import PodList, PodSummary, Termination
from ops.preview_hub import HubListing, join_hub
from ops.previews import EnvFailure, PreviewReport, preview_from
from ops.rollouts.history import Revision, RolloutHistory
from ops.rollouts.status import RolloutStatus
from tests.fixtures.bot import answer_text
from tests.golden import assert_golden, shown
from tests.ops.test_cluster import HUB, REPO, deployment, oom_pod
from tests.ops.test_previews import seed as seed_previews

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2024, 6, 1, 5, 0, tzinfo=UTC)  # 14:00 KST
SA = "system:serviceaccount:rtb-ai-hub:rtb-hub-sa"


def ago(**kw):
    return NOW - timedelta(**kw)


def pod(
    name,
    *,
    phase="Running",
    ready=1,
    restarts=0,
    created=None,
    start=None,
    waiting=None,
    ended=None,
    slow=False,
):
    return PodSummary(
        name, HUB, phase, ready, 1, restarts, created or ago(hours=3), start, slow, waiting, ended
    )


# -- goldens ---------------------------------------------------------------------------------


def test_pods_golden():
    oom = Termination("worker", "OOMKilled", 137, ago(seconds=40))
    pods = PodList(
        "stg",
        "preview-proj-118",
        None,
        (
            pod("app-7d9f8b6c5d-x2x7k", start=14.0),
            pod("app-7d9f8b6c5d-q9w8e", start=95.0, slow=True, created=ago(minutes=12)),
            pod(
                "worker",
                ready=0,
                restarts=3,
                waiting="CrashLoopBackOff",
                ended=oom,
                created=ago(minutes=6),
            ),
            pod(
                "migrate-9k2l1",
                phase="Pending",
                ready=0,
                waiting="ContainerCreating",
                created=ago(seconds=20),
            ),
            pod(
                "cron-28611",
                phase="Succeeded",
                ready=0,
                ended=Termination("cron", "Error", 1, ago(minutes=2)),
                created=ago(days=2),
            ),
        ),
        NOW,
        60.0,
    )
    message = render_pods(pods, SEOUL)
    assert_golden("cluster_pods", message)
    assert message.text == "Pods in preview-proj-118 (stg): 5 pods, 3 healthy — OOMKilled!"
    for fact in (
        "*OOMKilled* (container `worker`, exit 137) · *CrashLoopBackOff* · 3 restarts",
        "`app-7d9f8b6c5d-q9w8e` — slow start: 95s to Ready",
        "`cron-28611` — last terminated: Error, exit 1",
    ):
        assert fact in shown(message)
    empty = render_pods(PodList("int", HUB, "app=nope", (), NOW, 60.0), SEOUL)
    assert_golden("cluster_pods_empty", empty)
    assert empty.text == "No pods in `rtb-ai-hub` (int) matching `app=nope`."


def test_one_pod_is_counted_as_one_pod():
    one = render_pods(PodList("prd", "preview-proj-101", None, (pod("app-1"),), NOW, 60.0), SEOUL)
    assert one.text == "Pods in preview-proj-101 (prd): 1 pod, 1 healthy"
    assert "*Pods in `preview-proj-101` (prd)*: 1 pod, 1 healthy" in shown(one)


def test_pods_many_rows_stay_within_slack_limits():
    many = tuple(pod(f"webhook-listener-6b7c9d8f5-{i:05d}") for i in range(1500))
    message = render_pods(PodList("prd", HUB, None, many, NOW, 60.0), SEOUL)
    assert len(message.blocks) <= 50
    assert all(len(b.to_dict().get("text", {}).get("text", "")) <= 3000 for b in message.blocks)
    assert "more rows not shown" in str(message.to_json())


def pino(seconds_ago, level, msg, issue="PROJ-123", duration=None):
    extra = f',"durationMs":{duration}' if duration else ""
    stamp = int(ago(seconds=seconds_ago).timestamp() * 1000)
    return (
        f'{{"level":"{level}","time":{stamp},"service":"workflow-engine","env":"int",'
        f'"issueKey":"{issue}","workflowType":"jira-auto-dev"{extra},"msg":"{msg}"}}'
    )


def logs_of(lines, tail=100, since=None):
    text = "".join(line + "\n" for line in lines)
    return PodLogs(
        "int",
        HUB,
        "workflow-engine-5f6d7c8b9-abcde",
        "workflow-engine",
        "workflow-engine",
        tail,
        since,
        text,
        tuple(parse_log_line(line) for line in lines),
    )


def test_logs_golden_inline_and_as_file():
    short = [
        pino(60, "info", "workflow started"),
        pino(40, "error", "Claude API 529 overloaded", duration=12400),
        "plain line from node <stderr> & friends",
    ]
    inline = render_logs(logs_of(short, since=timedelta(minutes=30)), SEOUL)
    assert inline.files == ()
    assert_golden("cluster_logs_inline", inline)
    long = [pino(900 - i, "error" if i % 50 == 0 else "info", f"step {i}") for i in range(300)]
    as_file = render_logs(logs_of(long, tail=300), SEOUL)
    ((name, content),) = as_file.files
    assert name == "workflow-engine-5f6d7c8b9-abcde.log" and content.count("\n") == 300
    assert_golden("cluster_logs_file", as_file)
    assert_golden("cluster_logs_empty", render_logs(logs_of([]), SEOUL))


def test_history_golden():
    revisions = (
        Revision(
            3,
            "workflow-engine-7c9d",
            (f"{REPO}:v1.42.0",),
            ago(hours=2),
            "release v1.42.0",
            True,
            1,
        ),
        Revision(
            2,
            "workflow-engine-6b8c",
            (f"{REPO}:v1.41.1",),
            ago(days=3),
            "hotfix v1.41.1: back off on Claude 529 `x` <y>",
            False,
            0,
        ),
        Revision(
            1,
            "workflow-engine-5a7b",
            (f"{REPO}:v1.41.0", "fluent-bit:3.0"),
            ago(days=9),
            None,
            False,
            0,
        ),
    )
    history = RolloutHistory("int", HUB, "workflow-engine", revisions)
    message = render_history(history, SEOUL)
    assert_golden("cluster_history", message)
    table = shown(message).split("```")[1].splitlines()[2:]
    assert [row.split()[0] for row in table] == ["*3", "2", "1"]  # newest first, * = current
    assert "rtb-hub:v1.42.0" in table[0] and "release v1.42.0" in table[0]
    assert "&lt;y&gt;" in table[1]  # a change cause is escaped


def status(state, **kw):
    values = dict(
        generation=4,
        observed_generation=4,
        desired=3,
        updated=3,
        ready=3,
        available=3,
        total=3,
        progressing_reason="NewReplicaSetAvailable",
        progressing_message='ReplicaSet "workflow-engine-7c9d" has successfully progressed.',
    )
    values.update(kw)
    return RolloutStatus("int", HUB, "workflow-engine", state, **values)


def test_rollout_status_goldens():
    assert_golden("cluster_rollout_complete", render_rollout_status(status("complete")))
    assert_golden(
        "cluster_rollout_progressing",
        render_rollout_status(
            status(
                "progressing",
                updated=1,
                ready=3,
                available=3,
                total=4,
                progressing_reason="ReplicaSetUpdated",
                progressing_message=None,
            )
        ),
    )
    assert_golden(
        "cluster_rollout_failed",
        render_rollout_status(
            status(
                "failed",
                updated=1,
                available=2,
                total=4,
                progressing_reason="ProgressDeadlineExceeded",
                progressing_message='ReplicaSet "workflow-engine-7c9d" has timed out progressing.',
            )
        ),
    )
    unobserved = render_rollout_status(status("unobserved", generation=5))
    assert "observe generation 5" in str(unobserved.to_json())


def test_can_i_goldens():
    subject = parse_subject(SA)
    yes = AccessReview(
        "int",
        subject,
        "create",
        parse_resource("namespaces"),
        None,
        True,
        False,
        'RBAC: allowed by ClusterRoleBinding "rtb-hub"',
        None,
    )
    allowed = render_can_i(yes)
    assert_golden("cluster_can_i_yes", allowed)
    assert allowed.text == "can-i create namespaces (int): yes"
    assert 'RBAC: allowed by ClusterRoleBinding "rtb-hub"' in shown(allowed)
    no = AccessReview(
        "prd",
        parse_subject("alice"),
        "patch",
        parse_resource("deployments/scale"),
        HUB,
        False,
        False,
        None,
        None,
    )
    denied = render_can_i(no)
    assert_golden("cluster_can_i_no", denied)
    assert denied.text == "can-i patch deployments.apps/scale (prd): no"
    assert "`alice` cannot `patch` `deployments.apps/scale` in `rtb-ai-hub` (prd)" in shown(denied)


def test_previews_golden():
    notice = timedelta(hours=2)
    oom = pods.summarize_pod(oom_pod(namespace="preview-proj-118"), 60)
    healthy = pod("app-6d8f-k2j3l")
    slow = pod("app-5c7e-p0o9i", start=95.0, slow=True)

    def namespace(name, issue, expires_in, created_hours):
        return {
            "metadata": {
                "name": name,
                "labels": {"rtb.io/preview": "true", "rtb.io/issue-key": issue},
                "creationTimestamp": ago(hours=created_hours).isoformat(),
                "annotations": {"rtb.io/expires-at": (NOW + expires_in).isoformat()},
            }
        }

    previews = (
        preview_from(
            "int",
            namespace("preview-proj-123", "PROJ-123", timedelta(hours=1, minutes=30), 22),
            [healthy],
            NOW,
            notice,
        ),
        preview_from(
            "int",
            namespace("preview-proj-130", "PROJ-130", -timedelta(hours=5), 29),
            [healthy],
            NOW,
            notice,
        ),
        preview_from(
            "stg",
            namespace("preview-proj-118", "PROJ-118", timedelta(hours=12), 12),
            [healthy, oom],
            NOW,
            notice,
        ),
        preview_from(
            "stg",
            namespace("preview-proj-125", "PROJ-125", timedelta(hours=30), 2),
            [],
            NOW,
            notice,
        ),
    )
    failure = EnvFailure("prd", "kubernetes prd", "HTTP 403 Forbidden")
    report = PreviewReport(("int", "stg", "prd"), previews, (failure,), NOW, 2.0)
    assert_golden("cluster_previews", render_previews(report, SEOUL))
    slow_only = preview_from(
        "prd", namespace("preview-proj-101", "PROJ-101", timedelta(hours=6), 1), [slow], NOW, notice
    )
    one = PreviewReport(("prd",), (slow_only,), (), NOW, 2.0)
    assert "took 95s to Ready" in str(render_previews(one, SEOUL).to_json())
    none = PreviewReport(("int", "stg", "prd"), (), (), NOW, 2.0)
    assert_golden("cluster_previews_none", render_previews(none, SEOUL))

    listings = (
        HubListing("int", {"PROJ-123": "running", "PROJ-130": "expired"}),
        HubListing("stg", {"PROJ-118": "running", "PROJ-97": "running"}),
        HubListing("prd", {"PROJ-101": "running"}),  # prd's cluster did not answer
    )
    joined = join_hub(report, listings)
    assert [(h.env, h.issue_key) for h in joined.hub_only] == [("stg", "PROJ-97")]
    assert [p.issue_key for p in joined.cluster_only] == ["PROJ-125"]  # not PROJ-141: unknown
    with_hub = render_previews(report, SEOUL, joined)
    assert_golden("cluster_previews_hub", with_hub)
    shown_ = shown(with_hub)
    assert "`PROJ-97` (stg): the hub lists it (`running`) but there is no namespace" in shown_
    assert "`PROJ-125` (stg): the namespace is there, but the hub does not list it" in shown_
    assert "PROJ-130  int  1d5h  5h ago!     1/1  expired" in shown_  # the hub's status
    unread = (HubListing("int", None, "HTTP 502"), HubListing("stg", None, configured=False))
    shown_unread = shown(render_previews(report, SEOUL, join_hub(report, unread)))
    assert "*int*: the hub's list was not read (HTTP 502)" in shown_unread
    assert "*stg*" not in shown_unread.split("the hub's list was not read")[-1]
    unconfigured = tuple(HubListing(e, None, configured=False) for e in ("int", "stg", "prd"))
    plain = render_previews(report, SEOUL, join_hub(report, unconfigured))
    assert plain.to_json() == render_previews(report, SEOUL).to_json()  # no HUB column


def test_span():
    assert [
        span(s) for s in (5, 59, 60, 3599, 3600, 5400, 36000, 86399, 86400, 100000, 900000)
    ] == ["5s", "59s", "1m", "59m", "1h", "1h30m", "10h", "23h", "1d", "1d3h", "10d"]


def test_commands_are_in_the_investigate_group():
    for verb in ("pods", "logs", "history", "rollout-status", "can-i", "previews"):
        assert TABLE[verb].group == "Investigate" and not TABLE[verb].mutating


# -- end to end ------------------------------------------------------------------------------


def seed_world(kube):
    hub = kube["int"]
    hub.apply(deployment("webhook-listener", f"{REPO}:v1.42.0", replicas=2))
    hub.apply(deployment("workflow-engine", f"{REPO}:v1.41.0", cause="release v1.41.0"))
    hub.apply(deployment("workflow-engine", f"{REPO}:v1.42.0", cause="release v1.42.0"))
    (engine,) = (p for p in hub.list("pods", HUB) if p["metadata"]["name"].startswith("workflow"))
    lines = [pino(30, "info", "workflow started"), pino(10, "error", "Claude API 529 overloaded")]
    hub.set_pod_logs(HUB, engine["metadata"]["name"], "".join(f"{line}\n" for line in lines))
    hub.apply(oom_pod())
    hub.allow(SA, "create", "namespaces")
    seed_previews(kube)
    return engine["metadata"]["name"]


async def test_pods_end_to_end(slack, kube):
    seed_world(kube)
    answer = await slack.ask("pods int")
    text = answer_text(answer)
    assert answer["response_type"] == "in_channel"
    assert "webhook-listener-" in text and "OOMKilled" in text and "CrashLoopBackOff" in text
    selected = answer_text(await slack.ask("pods int rtb-ai-hub --selector app=webhook-listener"))
    assert "webhook-listener-" in selected and "worker" not in selected
    previews = answer_text(await slack.ask("pods stg preview-proj-118"))
    assert "OOMKilled" in previews and "app-" in previews


async def test_logs_end_to_end_inline_by_pod_and_as_file(slack, kube):
    engine = seed_world(kube)
    text = answer_text(await slack.ask("logs int workflow-engine --since 30m --tail 50"))
    assert "Claude API 529 overloaded" in text and engine in text and "ERROR" in text
    by_pod = answer_text(await slack.ask(f"logs int {engine}"))
    assert "newest pod" not in by_pod and "Claude API 529" in by_pod
    long = "".join(pino(0, "info", f"step {i} " + "x" * 80) + "\n" for i in range(500))
    kube["int"].set_pod_logs(HUB, engine, long)
    answer = answer_text(await slack.ask("logs int workflow-engine --tail 300"))
    assert "300 lines, attached as" in answer and "Levels: info 300" in answer
    (upload,) = slack.api.uploads
    assert upload.filename == f"{engine}.log" and upload.content.count(b"\n") == 300


async def test_history_and_rollout_status_end_to_end(slack, kube):
    seed_world(kube)
    history = answer_text(await slack.ask("history int workflow-engine"))
    assert "rtb-hub:v1.42.0" in history and "release v1.41.0" in history and "*2" in history
    status = answer_text(
        await slack.ask("rollout-status int workflow-engine --namespace rtb-ai-hub")
    )
    assert "successfully rolled out" in status and "NewReplicaSetAvailable" in status
    missing = answer_text(await slack.ask("rollout-status stg workflow-engine"))
    assert "No deployment `workflow-engine` in `rtb-ai-hub` (stg)." in missing


async def test_can_i_end_to_end(slack, kube):
    seed_world(kube)
    yes = answer_text(await slack.ask("can-i int create namespaces"))
    assert "*yes*" in yes and SA in yes and "cluster-wide" in yes
    no = answer_text(await slack.ask("can-i prd create namespaces"))
    assert "*no*" in no
    other = answer_text(
        await slack.ask("can-i int get pods/log --as alice --namespace preview-proj-1")
    )
    assert "*no*" in other and "`alice`" in other and "preview-proj-1" in other


async def test_previews_end_to_end_names_the_failing_env(slack, kube):
    seed_world(kube)
    kube["prd"].inject_fault(method="GET", path_regex="namespaces", status=403, count=None)
    text = answer_text(await slack.ask("previews"))
    assert "PROJ-130" in text and "cleanupExpired()" in text and "PROJ-118" in text
    assert "*prd* did not answer" in text and "HTTP 403 Forbidden" in text
    only_stg = answer_text(await slack.ask("previews stg"))
    assert "PROJ-118" in only_stg and "PROJ-130" not in only_stg


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pods dev", "`dev` is not a valid <env>: must be one of: int, stg, prd."),
        ("pods int Rtb_AI", "`Rtb_AI` is not a valid <namespace>"),
        ("pods int --selector 'app=web;rm -rf /'", "is not a valid --selector"),
        ('pods int --selector "\' or 1=1 --"', "is not a valid --selector"),
        ("logs int ../etc/passwd", "is not a valid <target>"),
        (
            "logs int workflow-engine --tail abc",
            "`abc` is not a valid --tail: must be a whole number",
        ),
        ("logs int workflow-engine --tail 999999", "must be between 1 and 5000"),
        ("logs int workflow-engine --tail 0", "must be between 1 and 5000"),
        ("logs int workflow-engine --since yesterday", "`yesterday` is not a valid --since"),
        ("logs int nope", "No deployment or pod `nope` in `rtb-ai-hub` (int)."),
        ("logs int", "Missing <target>"),
        ("history int " + "a" * 64, "is not a valid <deployment>"),
        ("can-i int destroy pods", "`destroy` is not a valid <verb>"),
        ("can-i int get Pods", "`Pods` is not a valid <resource>"),
        ("can-i int get pods --as 'x y'", "is not a valid --as"),
        ("previews qa", "`qa` is not a valid <env>"),
    ],
)
async def test_bad_input_gets_a_usage_error(slack, kube, command, expected):
    seed_world(kube)
    answer = await slack.ask(command)
    assert answer["response_type"] == "ephemeral"
    assert expected in answer_text(answer)


async def test_a_cluster_down_is_named(slack, kube):
    kube["stg"].inject_fault(method="GET", path_regex="pods", status=503, count=None)
    text = answer_text(await slack.ask("pods stg"))
    assert "kubernetes stg" in text and "HTTP 503" in text


async def test_every_command_only_reads(slack, kube):
    engine = seed_world(kube)
    for command in (
        "pods int",
        "pods stg preview-proj-118 --selector app=worker",
        "logs int workflow-engine",
        f"logs int {engine} --tail 5 --since 1h",
        "history int workflow-engine",
        "rollout-status int webhook-listener",
        "can-i int create namespaces",
        "can-i prd delete pods --as alice",
        "previews",
        "pods prd",
    ):
        text = answer_text(await slack.ask(command))
        assert "went wrong" not in text, command
    requests = [r for server in kube.values() for r in server.requests]
    assert len(requests) > 20
    writes = [(m, p) for m, p, _ in requests if m != "GET"]
    assert writes and all(m == "POST" and p.endswith("/subjectaccessreviews") for m, p in writes)
