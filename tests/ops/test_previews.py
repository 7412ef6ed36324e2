"""ops.previews: preview namespaces in every env, concurrently, naming the envs that fail."""

from datetime import UTC, datetime, timedelta

from ops import previews
from ops.pods import summarize_pod
from tests.ops.test_cluster import deployment, iso, oom_pod

NOTICE = timedelta(hours=2)


def preview_namespace(name, *, expires_in=None, issue=None, raw_expiry=None):
    labels = {"rtb.io/preview": "true"}
    if issue:
        labels["rtb.io/issue-key"] = issue
    annotations = {}
    if expires_in is not None:
        annotations["rtb.io/expires-at"] = iso(datetime.now(UTC) + expires_in)
    if raw_expiry is not None:
        annotations["rtb.io/expires-at"] = raw_expiry
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
    }


def seed(kube):
    kube["int"].apply(
        preview_namespace(
            "preview-proj-123", issue="PROJ-123", expires_in=timedelta(hours=1, minutes=30)
        )
    )
    kube["int"].apply(
        preview_namespace("preview-proj-130", issue="PROJ-130", expires_in=-timedelta(hours=5))
    )
    kube["int"].apply(preview_namespace("preview-proj-141", expires_in=timedelta(hours=20)))
    kube["int"].apply(deployment("app", "rtb-hub:preview", namespace="preview-proj-141"))
    kube["int"].apply(deployment("webhook-listener", "rtb-hub:v1"))  # not a preview
    kube["stg"].apply(
        preview_namespace("preview-proj-118", issue="PROJ-118", expires_in=timedelta(hours=12))
    )
    kube["stg"].apply(deployment("app", "rtb-hub:preview", namespace="preview-proj-118"))
    kube["stg"].apply(oom_pod(namespace="preview-proj-118"))
    kube["stg"].apply(preview_namespace("preview-proj-125", raw_expiry="tomorrow"))
    kube["prd"].apply(preview_namespace("preview-proj-101", expires_in=timedelta(hours=6)))


async def test_every_env_with_flags(runtime, kube):
    seed(kube)
    report = await previews.list_previews(runtime.backends, ("int", "stg", "prd"))
    assert report.failures == ()
    by_key = {p.issue_key: p for p in report.previews}
    assert [(p.env, p.issue_key) for p in report.previews] == [
        ("int", "PROJ-123"),
        ("int", "PROJ-130"),
        ("int", "PROJ-141"),
        ("stg", "PROJ-118"),
        ("stg", "PROJ-125"),
        ("prd", "PROJ-101"),
    ]
    assert by_key["PROJ-123"].expiring_soon and not by_key["PROJ-123"].expired
    assert by_key["PROJ-130"].expired and report.cleanup_failures == (by_key["PROJ-130"],)
    assert not by_key["PROJ-141"].needs_attention  # issue key read from the name
    assert (by_key["PROJ-141"].pods_ready, len(by_key["PROJ-141"].pods)) == (1, 1)
    stg = by_key["PROJ-118"]
    assert stg.oom_killed == ("worker",) and stg.crash_looping == ("worker",)
    assert (stg.pods_ready, len(stg.pods)) == (1, 2)
    assert by_key["PROJ-125"].expiry_unreadable and by_key["PROJ-125"].expires_at is None
    assert report.active == 6 and report.expiring == (by_key["PROJ-123"],)


async def test_a_failing_env_is_named_and_the_others_still_answer(runtime, kube):
    seed(kube)
    kube["prd"].inject_fault(method="GET", path_regex="namespaces", status=403, count=None)
    report = await previews.list_previews(runtime.backends, ("int", "stg", "prd"))
    assert {p.env for p in report.previews} == {"int", "stg"}
    (failure,) = report.failures
    assert (failure.env, failure.backend, failure.reason) == (
        "prd",
        "kubernetes prd",
        "HTTP 403 Forbidden",
    )


async def test_a_slow_env_fails_within_its_timeout(runtime, kube):
    seed(kube)
    kube["stg"].inject_fault(method="GET", path_regex="namespaces", status=None, hold=True)
    report = await previews.list_previews(runtime.backends, ("int", "stg"))
    assert kube["stg"].held_requests == 1  # answered on its own timeout, stg still silent
    kube["stg"].release_held()
    assert [f.env for f in report.failures] == ["stg"]
    # the read timeout of urllib3 (MaxRetryError) and our own wait_for race at 2 s
    assert report.failures[0].reason.startswith(("timed out", "cannot connect"))
    assert {p.env for p in report.previews} == {"int"}


def test_expiry_is_decided_by_now_and_deletion():
    now = datetime(2024, 6, 1, 12, tzinfo=UTC)
    namespace = {
        "metadata": {
            "name": "preview-proj-9",
            "creationTimestamp": "2024-06-01T00:00:00Z",
            "annotations": {"rtb.io/expires-at": "2024-06-01T11:00:00+00:00"},
        }
    }
    expired = previews.preview_from("int", namespace, [], now, NOTICE)
    assert expired.expired and expired.issue_key == "PROJ-9" and not expired.expiring_soon
    namespace["metadata"]["deletionTimestamp"] = "2024-06-01T11:59:00Z"
    deleting = previews.preview_from("int", namespace, [], now, NOTICE)
    assert deleting.terminating and not deleting.expired  # being cleaned up: not a failure
    soon = previews.preview_from(
        "int",
        namespace
        | {"metadata": {"name": "x", "annotations": {"rtb.io/expires-at": "2024-06-01T13:59:00Z"}}},
        [],
        now,
        NOTICE,
    )
    assert soon.expiring_soon and soon.issue_key == "x"
    oom = summarize_pod(oom_pod(), 60)
    with_pods = previews.preview_from("stg", namespace, [oom], now, NOTICE)
    assert with_pods.oom_killed == ("worker",) and with_pods.needs_attention


async def test_the_hubs_namespace_is_never_a_preview_whatever_its_labels(runtime, kube):
    """One definition of a preview (the label, on any namespace but the hub's) for every
    reader: `/rtb previews`, the active count of `/rtb status` and the TTL notices agree with
    what a change may touch (before, a labelled hub namespace was listed and counted, yet a
    change to it was refused as not a preview)."""
    from ops import status, ttl_notice
    from ops.preview_namespace_state import read_namespace

    hub = runtime.backends.config.hub.namespace
    kube["int"].apply(preview_namespace(hub, expires_in=timedelta(minutes=30)))
    kube["int"].apply(preview_namespace("preview-proj-123", expires_in=timedelta(minutes=30)))
    report = await previews.list_previews(runtime.backends, ("int",))
    assert [p.namespace for p in report.previews] == ["preview-proj-123"]
    assert await status.count_preview_namespaces(runtime.backends, "int") == 1
    expiring = await ttl_notice.find_expiring(runtime.backends, datetime.now(UTC))
    assert [p.namespace for p in expiring.previews] == ["preview-proj-123"]
    assert not (await read_namespace(runtime.backends, "int", hub)).is_preview
