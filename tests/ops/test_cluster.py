"""ops.cluster: pure logic on Kubernetes objects, and reads against the fake API server."""

from datetime import UTC, datetime, timedelta

import pytest

from ops import access_reviews, kube_objects, label_selectors, pino, pod_logs, pods
from ops.pods import list_pods
from ops.rollouts.history import rollout_history
from ops.rollouts.status import assess_rollout, rollout_state, rollout_status
from tests.words import said, user_error

HUB = "rtb-ai-hub"
REPO = "111111111111.dkr.ecr.ap-northeast-2.amazonaws.com/rtb-hub"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def deployment(name, image, *, namespace=HUB, replicas=1, cause=None):
    annotations = {kube_objects.CHANGE_CAUSE: cause} if cause else {}
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
        },
    }


def oom_pod(name="worker", namespace=HUB):
    waiting = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}}
    last = {
        "terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2024-06-01T00:00:40Z"}
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {"containers": [{"name": name, "image": "node:20"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {
                    "name": name,
                    "image": "node:20",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 3,
                    "state": waiting,
                    "lastState": last,
                }
            ],
        },
    }


def ready_pod(name, *, namespace=HUB, created, ready_after):
    became_ready = iso(created + timedelta(seconds=ready_after))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": iso(created),
            "labels": {"app": name},
        },
        "spec": {"containers": [{"name": "app", "image": "node:20"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": became_ready}],
            "containerStatuses": [
                {
                    "name": "app",
                    "image": "node:20",
                    "imageID": "",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {}},
                }
            ],
        },
    }


# -- pure logic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "app=web",
        "app==web",
        "app!=web",
        "app=web,tier!=db",
        "app",
        "!legacy",
        "rtb.io/preview=true",
        "app.kubernetes.io/part-of=rtb-ai-hub",
        "k=",
    ],
)
def test_label_selectors_accepted(text):
    assert label_selectors.check_label_selector(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "app=web;rm -rf /",
        "app in (a,b)",
        "a=b=c",
        "app=web,",
        "APP/x=y",
        "app=we b",
        "app=\u00e9",
        "x" * 64 + "=v",
        "app=" + "v" * 64,
        "-app=web",
        "app=web)",
        "a=$(id)",
        "app=web,,tier=db",
        "' or 1=1 --",
    ],
)
def test_label_selectors_rejected(text):
    with pytest.raises(ValueError):
        label_selectors.check_label_selector(text)


def test_oom_killed_and_crash_looping_pod():
    pod = pods.summarize_pod(oom_pod(), 60)
    assert pod.oom_killed and pod.crash_looping and not pod.healthy
    assert (pod.ready, pod.containers, pod.restarts) == (0, 1, 3)
    assert pod.last_termination == pods.Termination(
        "worker", "OOMKilled", 137, datetime(2024, 6, 1, 0, 0, 40, tzinfo=UTC)
    )
    assert pod.start_seconds is None and not pod.slow_start


def test_start_duration_is_creation_to_ready():
    created = datetime(2024, 6, 1, tzinfo=UTC)
    slow = pods.summarize_pod(ready_pod("a", created=created, ready_after=95), 60)
    quick = pods.summarize_pod(ready_pod("b", created=created, ready_after=12), 60)
    assert (slow.start_seconds, slow.slow_start) == (95, True)
    assert (quick.start_seconds, quick.slow_start) == (12, False)
    assert quick.healthy and slow.healthy


def test_terminating_pod_and_newest_termination():
    pod = oom_pod()
    pod["metadata"]["deletionTimestamp"] = "2024-06-01T00:01:00Z"
    status = pod["status"]["containerStatuses"][0]
    status["lastState"]["terminated"]["reason"] = "Error"
    status["state"] = {
        "terminated": {"reason": "Completed", "exitCode": 0, "finishedAt": "2024-06-01T00:02:00Z"}
    }
    summary = pods.summarize_pod(pod, 60)
    assert summary.phase == "Terminating"
    assert summary.last_termination.reason == "Completed"  # the newest wins (no OOM)


def _dep(
    generation=2, observed=2, replicas=3, updated=3, total=3, available=3, reason=None, paused=False
):
    conditions = [{"type": "Progressing", "status": "True", "reason": reason}] if reason else []
    return {
        "metadata": {"name": "workflow-engine", "namespace": HUB, "generation": generation},
        "spec": {"replicas": replicas, "paused": paused},
        "status": {
            "observedGeneration": observed,
            "updatedReplicas": updated,
            "replicas": total,
            "availableReplicas": available,
            "readyReplicas": available,
            "conditions": conditions,
        },
    }


@pytest.mark.parametrize(
    ("deployment", "state"),
    [
        (_dep(), "complete"),
        (_dep(reason="NewReplicaSetAvailable"), "complete"),
        (_dep(generation=3, observed=2), "unobserved"),
        (_dep(updated=1, total=3, available=1), "progressing"),
        (_dep(updated=3, total=4, available=3), "progressing"),  # an old pod still terminating
        (_dep(updated=3, total=3, available=2), "progressing"),
        (_dep(updated=1, available=1, reason="ProgressDeadlineExceeded"), "failed"),
        (_dep(updated=1, available=1, paused=True), "paused"),
        (_dep(replicas=0, updated=0, total=0, available=0), "complete"),
    ],
)
def test_rollout_state(deployment, state):
    assert rollout_state(deployment) == state
    status = assess_rollout("int", deployment)
    assert status.state == state and status.done == (state in ("complete", "failed"))


def test_resources_and_subjects():
    assert access_reviews.parse_resource("deployments/scale") == access_reviews.ResourceRef(
        "deployments", "apps", "scale"
    )
    assert access_reviews.parse_resource("pods/log") == access_reviews.ResourceRef(
        "pods", "", "log"
    )
    assert access_reviews.parse_resource("scaledobjects.keda.sh").group == "keda.sh"
    assert access_reviews.parse_resource("namespaces").cluster_scoped
    for junk in ("Pods", "pods/", "pods;ls", "deployment s", "", "pods/log/x", "../secrets"):
        with pytest.raises(ValueError):
            access_reviews.parse_resource(junk)
    account = access_reviews.parse_subject("system:serviceaccount:rtb-ai-hub:rtb-hub-sa")
    assert account.groups == ("system:serviceaccounts", "system:serviceaccounts:rtb-ai-hub")
    assert access_reviews.parse_subject("alice@example.com").groups == ()
    for junk in ("system:serviceaccount:Bad:x", "system:serviceaccount:ns", "a b", "<@U1>"):
        with pytest.raises(ValueError):
            access_reviews.parse_subject(junk)
    for verb in ("get", "*", "deletecollection"):
        assert access_reviews.check_verb(verb) == verb
    with pytest.raises(ValueError):
        access_reviews.check_verb("destroy")


def test_pino_lines():
    line = pino.parse_log_line(
        '{"level":50,"time":1717200000000,"issueKey":"PROJ-1","durationMs":1200,"msg":"boom"}'
    )
    assert (line.level, line.msg, line.issue_key, line.duration_ms) == (
        "error",
        "boom",
        "PROJ-1",
        1200,
    )
    assert line.time == datetime(2024, 6, 1, tzinfo=UTC)
    assert pino.parse_log_line('{"level":"warn","msg":"x"}').level == "warn"
    assert pino.parse_log_line("plain text").level is None
    assert pino.parse_log_line("{not json").level is None


# -- against the fake API server -------------------------------------------------------------


async def test_list_pods_of_a_deployment_with_selector(runtime, kube):
    kube["int"].apply(deployment("webhook-listener", f"{REPO}:v1", replicas=2))
    kube["int"].apply(deployment("auth-service", f"{REPO}:v1"))
    kube["int"].apply(oom_pod())
    every = await list_pods(runtime.backends, "int", HUB)
    assert len(every.pods) == 4 and every.env == "int" and every.namespace == HUB
    assert [p.name for p in every.pods if p.oom_killed] == ["worker"]
    web = await list_pods(runtime.backends, "int", HUB, "app=webhook-listener")
    assert len(web.pods) == 2 and all(p.healthy for p in web.pods)
    assert all(p.name.startswith("webhook-listener-") for p in web.pods)
    empty = await list_pods(runtime.backends, "stg", HUB)
    assert empty.pods == ()


async def test_slow_start_applied_directly(runtime, kube):
    # the fake stamps creationTimestamp itself: Ready 90 s after "now" is a 90 s start
    now = datetime.now(UTC)
    kube["prd"].apply(ready_pod("app", namespace="preview-proj-101", created=now, ready_after=90))
    pods = await list_pods(runtime.backends, "prd", "preview-proj-101")
    (pod,) = pods.pods
    assert pod.slow_start and 85 <= pod.start_seconds <= 95


async def test_logs_of_a_deployment_read_its_newest_pod(runtime, kube):
    kube["int"].apply(deployment("workflow-engine", f"{REPO}:v1"))
    kube["int"].apply(deployment("workflow-engine", f"{REPO}:v2"))
    (pod,) = kube["int"].list("pods", HUB)
    text = "".join(f'{{"level":30,"time":1717200000000,"msg":"line {i}"}}\n' for i in range(10))
    kube["int"].set_pod_logs(HUB, pod["metadata"]["name"], text)
    logs = await pod_logs.pod_logs(
        runtime.backends, "int", HUB, "workflow-engine", tail=3, since=timedelta(minutes=30)
    )
    assert logs.pod == pod["metadata"]["name"] and logs.deployment == "workflow-engine"
    assert logs.container == "workflow-engine"
    assert [line.msg for line in logs.lines] == ["line 7", "line 8", "line 9"]
    assert logs.level_counts == {"info": 3}


async def test_logs_of_a_pod_by_name_and_not_found(runtime, kube):
    kube["stg"].apply(oom_pod(namespace="preview-proj-118"))
    kube["stg"].set_pod_logs("preview-proj-118", "worker", "FATAL ERROR: heap out of memory\n")
    logs = await pod_logs.pod_logs(runtime.backends, "stg", "preview-proj-118", "worker")
    assert logs.deployment is None and logs.lines[0].text.startswith("FATAL")
    with user_error() as err:
        await pod_logs.pod_logs(runtime.backends, "stg", HUB, "nope")
    assert said(err.value) == "No deployment or pod `nope` in `rtb-ai-hub` (stg)."


async def test_logs_of_a_deployment_scaled_to_zero(runtime, kube):
    kube["int"].apply(deployment("workflow-engine", f"{REPO}:v1", replicas=0))
    with user_error(match="has no pods"):
        await pod_logs.pod_logs(runtime.backends, "int", HUB, "workflow-engine")


async def test_history_lists_revisions_of_this_deployment_only(runtime, kube):
    kube["int"].apply(deployment("workflow-engine", f"{REPO}:v1.41.0", cause="release v1.41.0"))
    kube["int"].apply(deployment("workflow-engine", f"{REPO}:v1.42.0", cause="release v1.42.0"))
    kube["int"].apply(deployment("webhook-listener", f"{REPO}:v1.42.0"))
    history = await rollout_history(runtime.backends, "int", HUB, "workflow-engine")
    assert [(r.number, r.current, r.pods) for r in history.revisions] == [
        (2, True, 1),
        (1, False, 0),
    ]
    assert history.revisions[0].images == (f"{REPO}:v1.42.0",)
    assert history.revisions[0].change_cause == "release v1.42.0"
    assert history.revisions[1].change_cause == "release v1.41.0"
    with user_error(match="No deployment `nope` in `rtb-ai-hub` \\(int\\)"):
        await rollout_history(runtime.backends, "int", HUB, "nope")


async def test_rollout_status_complete_then_progressing(runtime, kube):
    kube["int"].apply(deployment("workflow-engine", f"{REPO}:v1", replicas=2))
    done = await rollout_status(runtime.backends, "int", HUB, "workflow-engine")
    assert done.state == "complete" and (done.desired, done.available) == (2, 2)
    kube["int"].rollout_delay_seconds = 30
    kube["int"].apply(deployment("workflow-engine", f"{REPO}:v2", replicas=2))
    rolling = await rollout_status(runtime.backends, "int", HUB, "workflow-engine")
    # maxSurge 25% of 2: one new pod exists (updated) but is not Ready yet
    assert rolling.state == "progressing" and not rolling.done
    assert (rolling.updated, rolling.available, rolling.total) == (1, 2, 3)


async def test_can_i_sends_the_service_account_and_its_groups(runtime, kube):
    sa = access_reviews.parse_subject("system:serviceaccount:rtb-ai-hub:rtb-hub-sa")
    kube["int"].allow(sa.user, "create", "namespaces")
    kube["int"].allow(sa.user, "patch", "deployments", HUB)
    backends = runtime.backends
    namespaces = access_reviews.parse_resource("namespaces")
    yes = await access_reviews.can_i(backends, "int", "create", namespaces, sa, None)
    assert yes.allowed and not yes.denied and yes.reason
    no = await access_reviews.can_i(backends, "prd", "create", namespaces, sa, None)
    assert not no.allowed and "no rule allows" in no.reason
    deployments = access_reviews.parse_resource("deployments")
    assert (await access_reviews.can_i(backends, "int", "patch", deployments, sa, HUB)).allowed
    assert not (
        await access_reviews.can_i(backends, "int", "patch", deployments, sa, "other")
    ).allowed
    assert all(
        m == "POST" and p.endswith("/subjectaccessreviews") for m, p, _ in kube["int"].requests
    )
