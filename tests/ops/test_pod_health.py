"""Reading a pod's status: OOMKilled restarts and where a slow start's time went."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ops.pod_health import oom_kills, slow_start, start_phases

CREATED = "2026-12-03T09:00:00Z"


def pod(statuses: list[dict[str, Any]], **status: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "namespace": "preview-proj-1",
            "uid": "u1",
            "creationTimestamp": CREATED,
        },
        "spec": {
            "containers": [
                {"name": "app", "resources": {"limits": {"memory": "512Mi"}}},
                {"name": "sidecar"},
            ]
        },
        "status": {"containerStatuses": statuses, **status},
    }


def test_an_oom_kill_is_read_from_the_last_or_the_current_termination() -> None:
    last = {
        "name": "app",
        "restartCount": 2,
        "lastState": {"terminated": {"reason": "OOMKilled", "finishedAt": "2026-12-03T09:05:00Z"}},
    }
    current = {
        "name": "sidecar",
        "restartCount": 0,
        "state": {"terminated": {"reason": "OOMKilled"}},
    }
    error = {"name": "other", "restartCount": 5, "lastState": {"terminated": {"reason": "Error"}}}
    kills = oom_kills(pod([last, current, error]))
    assert [(k.container, k.restart_count, k.memory_limit) for k in kills] == [
        ("app", 2, "512Mi"),
        ("sidecar", 0, None),
    ]
    assert kills[0].finished_at == datetime(2026, 12, 3, 9, 5, tzinfo=UTC)
    assert kills[1].finished_at is None
    assert kills[0].pod.uid == "u1" and kills[0].pod.namespace == "preview-proj-1"


def test_no_status_is_no_kill() -> None:
    assert oom_kills({"metadata": {"name": "x"}}) == []


def conditions(**at: str) -> list[dict[str, str]]:
    return [{"type": t, "status": "True", "lastTransitionTime": v} for t, v in at.items()]


def test_a_slow_start_is_split_by_phase_from_the_pods_own_timestamps() -> None:
    started = [{"name": "app", "state": {"running": {"startedAt": "2026-12-03T09:01:28Z"}}}]
    slow = pod(
        started,
        startTime="2026-12-03T09:01:02Z",
        conditions=conditions(PodScheduled="2026-12-03T09:00:01Z", Ready="2026-12-03T09:01:35Z"),
    )
    found = slow_start(slow, 60)
    assert found is not None and found.seconds == 95
    assert [(p.name, p.seconds) for p in found.phases] == [
        ("scheduling", 1),
        ("node", 61),
        ("image_pull", 26),
        ("readiness", 7),
    ]
    assert slow_start(slow, 95) is None  # not more than the threshold


def test_missing_timestamps_leave_their_phase_out_and_unready_pods_are_no_slow_start() -> None:
    partial = pod([], conditions=conditions(Ready="2026-12-03T09:02:00Z"))
    assert [(p.name, p.seconds) for p in start_phases(partial)] == [("readiness", 120)]
    assert slow_start(pod([]), 60) is None
    not_ready = pod(
        [], conditions=[{"type": "Ready", "status": "False", "lastTransitionTime": CREATED}]
    )
    assert slow_start(not_ready, 60) is None
