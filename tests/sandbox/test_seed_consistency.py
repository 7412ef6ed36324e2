"""The sandbox's seeded world agrees with itself, read the way the bot reads it (the official
Kubernetes client, boto3 against the fake AWS, SQL on the hub's tables): nothing is younger
than what contains it or older than what made it, the rollout history is ordered and spread
over days, and the trail, the logs and the executions speak of previews that exist, at times
inside their lives."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import psycopg
import pytest
from kubernetes import client as k8s

from sandbox.stack import SandboxStack
from tests.sandbox.test_stack import aws_session, kube_api

ENVS = ("int", "stg", "prd")
REVISION = "deployment.kubernetes.io/revision"
LATE = timedelta(seconds=5)  # the seeded `now` is read before the clusters' clocks catch up
HUB = "rtb-ai-hub"


def _cluster(stack: SandboxStack, env: str) -> dict[str, list]:  # type: ignore[type-arg]
    with kube_api(stack, env) as api:
        core, apps = k8s.CoreV1Api(api), k8s.AppsV1Api(api)
        return {
            "namespaces": core.list_namespace().items,
            "pods": core.list_pod_for_all_namespaces().items,
            "events": core.list_event_for_all_namespaces().items,
            "deployments": apps.list_deployment_for_all_namespaces().items,
            "replicasets": apps.list_replica_set_for_all_namespaces().items,
        }


def _previews(stack: SandboxStack) -> dict[tuple[str, str], datetime]:
    """(env, issue key) → its namespace's creation."""
    found = {}
    for env in ENVS:
        for ns in _cluster(stack, env)["namespaces"]:
            key = (ns.metadata.labels or {}).get("rtb.io/issue-key")
            if key:
                found[(env, key)] = ns.metadata.creation_timestamp
    return found


@pytest.mark.parametrize("env", ENVS)
def test_pods_are_younger_than_their_namespace_and_started_after_creation(
    stack: SandboxStack, env: str
) -> None:
    now = stack.now + LATE
    world = _cluster(stack, env)
    created = {ns.metadata.name: ns.metadata.creation_timestamp for ns in world["namespaces"]}
    assert all(moment <= now for moment in created.values())
    for pod in world["pods"]:
        born = pod.metadata.creation_timestamp
        assert created[pod.metadata.namespace] <= born <= now, pod.metadata.name
        assert born <= pod.status.start_time <= now, pod.metadata.name
        for status in pod.status.container_statuses:
            if status.state.running:
                assert pod.status.start_time <= status.state.running.started_at <= now
            last = status.last_state.terminated if status.last_state else None
            if last:
                assert pod.status.start_time <= last.started_at < last.finished_at <= now
    for event in world["events"]:
        assert created[event.metadata.namespace] <= event.last_timestamp <= now


@pytest.mark.parametrize("env", ENVS)
def test_rollout_history_is_ordered_by_revision_and_spread_over_time(
    stack: SandboxStack, env: str
) -> None:
    world = _cluster(stack, env)
    sets = defaultdict(list)
    for rs in world["replicasets"]:
        owner = rs.metadata.owner_references[0].uid
        sets[owner].append((int(rs.metadata.annotations[REVISION]), rs.metadata.creation_timestamp))
    by_uid = {rs.metadata.uid: rs for rs in world["replicasets"]}
    for dep in world["deployments"]:
        history = sorted(sets[dep.metadata.uid])
        times = [moment for _, moment in history]
        assert times == sorted(times) and len(set(times)) == len(times), dep.metadata.name
        assert dep.metadata.creation_timestamp <= times[0]  # at least as old as any revision
        assert dep.metadata.annotations[REVISION] == str(history[-1][0])  # the newest is current
        if dep.metadata.namespace == HUB:  # releases, days apart
            gaps = [later - earlier for earlier, later in pairwise(times)]
            assert all(gap >= timedelta(days=1) for gap in gaps), dep.metadata.name
    for pod in world["pods"]:
        for ref in pod.metadata.owner_references or ():
            assert by_uid[ref.uid].metadata.creation_timestamp <= pod.metadata.creation_timestamp
    hub_pods = [p for p in world["pods"] if p.metadata.namespace == HUB]
    assert all(stack.now - p.metadata.creation_timestamp > timedelta(days=1) for p in hub_pods)


def test_preview_ages_match_their_ttl_and_the_seeded_story(stack: SandboxStack) -> None:
    previews = _previews(stack)
    age = stack.now - previews[("stg", "PROJ-118")]  # not seconds old (timestamps have seconds)
    assert timedelta(hours=12) <= age < timedelta(hours=12, seconds=1)
    with kube_api(stack, "stg") as api:
        worker = k8s.CoreV1Api(api).read_namespaced_pod("worker", "preview-proj-118")
    assert stack.now - worker.metadata.creation_timestamp > timedelta(hours=11)
    killed = worker.status.container_statuses[0].last_state.terminated.finished_at
    assert timedelta(0) < stack.now + LATE - killed < timedelta(minutes=5)
    with kube_api(stack, "prd") as api:
        app = k8s.CoreV1Api(api).list_namespaced_pod("preview-proj-101").items[0]
    restarted = stack.now - app.metadata.creation_timestamp  # `rollout restart`, then slow
    assert timedelta(minutes=1) < restarted < timedelta(hours=1)
    for env in ENVS:
        for ns in _cluster(stack, env)["namespaces"]:
            expires = (ns.metadata.annotations or {}).get("rtb.io/expires-at")
            if expires:
                ttl = datetime.fromisoformat(expires) - ns.metadata.creation_timestamp
                assert timedelta(hours=1) <= ttl <= timedelta(days=7)  # what preview create allows


def test_trail_logs_and_executions_speak_of_previews_that_exist_while_they_exist(
    stack: SandboxStack,
) -> None:
    assert stack.fake_aws is not None
    now, previews = stack.now + LATE, _previews(stack)
    session, url = aws_session(stack, "int"), stack.fake_aws.url
    records = [
        json.loads(e["CloudTrailEvent"])
        for e in session.client("cloudtrail", endpoint_url=url).lookup_events(
            StartTime=stack.now - timedelta(days=2), EndTime=now
        )["Events"]
    ]
    for record in records:
        if record["eventName"] != "AssumeRole":  # the deployer's write calls carry no session
            continue
        name = record["requestParameters"]["roleSessionName"]
        if not name.startswith("rtb-hub.preview-") or "errorCode" in record:
            continue
        issue = name.removeprefix("rtb-hub.preview-")
        [created] = [at for (_, key), at in previews.items() if key == issue]
        at = datetime.fromisoformat(record["eventTime"]).astimezone(UTC)
        assert timedelta(0) < created - at < timedelta(minutes=1), issue

    for env in ENVS:  # each env's groups are in its own account
        logs = aws_session(stack, env).client("logs", endpoint_url=url)
        query = logs.start_query(
            logGroupName=f"/rtb-ai-hub/preview/{env}",
            startTime=int((stack.now - timedelta(days=3)).timestamp()),
            endTime=int(now.timestamp()) + 60,
            queryString="fields @timestamp, issueKey, msg",
        )
        rows = logs.get_query_results(queryId=query["queryId"])["results"]
        assert rows, env
        for row in rows:
            fields = {f["field"]: f["value"] for f in row}
            at = datetime.fromisoformat(fields["@timestamp"]).replace(tzinfo=UTC)
            assert previews[(env, fields["issueKey"])] <= at <= now, fields

    with psycopg.connect(stack.environ["HUB_DATABASE_URL"]) as conn:
        runs = conn.execute(
            "select issue_key, env, started_at, finished_at from workflow_executions "
            "where workflow_type = 'preview-deploy' and status = 'completed'"
        ).fetchall()
    live = {key for _, key in previews}
    deployed = {(env, key): (start, end) for key, env, start, end in runs if key in live}
    for (env, key), created in previews.items():
        if stack.now - created < timedelta(days=7):
            start, end = deployed[(env, key)]  # in its own env, around its namespace's creation
            assert start < created < end
    assert len(deployed) == sum(stack.now - c < timedelta(days=7) for c in previews.values())
    recent = [key for key, _, start, _ in runs if stack.now - start < timedelta(minutes=15)]
    assert set(recent) <= live  # a preview deployed minutes ago would still be there
