"""The spool of unrecorded results: a local JSON-lines file that survives a crash mid-write."""

from pathlib import Path

from approvals.audit import AuditEvent
from approvals.outcomes import RunResult
from approvals.spool import ResultSpool, UnrecordedResult


def entry(replicas: int, approval_id: str | None = None) -> UnrecordedResult:
    event = AuditEvent(
        actor="rtb-bot",
        action="scale",
        outcome="succeeded",
        env="int",
        params={"deployment": "workflow-engine", "replicas": replicas},
        correlation_id="c0ffee",
        approval_id=approval_id,
        detail={"policy_action": "hub.scale", "result": {"replicas": replicas}},
    )
    return UnrecordedResult.of(RunResult("succeeded", {"replicas": replicas}), event)


async def test_kept_results_come_back_as_they_were_kept(tmp_path: Path):
    spool = ResultSpool(tmp_path / "state" / "spool.jsonl")  # the folder is made when needed
    first, second = entry(3), entry(0, approval_id="AR-7K3Q9")
    assert await spool.keep(first) and await spool.keep(second)
    assert await ResultSpool(spool.path).pending() == [first, second]  # as a restarted bot reads


async def test_a_line_cut_short_by_a_crash_is_skipped_and_the_others_survive(tmp_path: Path):
    spool = ResultSpool(tmp_path / "spool.jsonl")
    first, last = entry(1), entry(2)
    await spool.keep(first)
    with spool.path.open("a", encoding="utf-8") as file:
        file.write(entry(9).to_json()[:40] + "\n")  # the process died mid-write
    await spool.keep(last)
    assert await spool.pending() == [first, last]


async def test_forget_rewrites_without_the_recorded_ones_and_removes_an_empty_spool(
    tmp_path: Path,
):
    spool = ResultSpool(tmp_path / "spool.jsonl")
    first, second = entry(1), entry(2)
    await spool.keep(first)
    await spool.keep(second)
    await spool.forget({first.spool_id})
    assert await spool.pending() == [second]
    assert not spool.path.with_suffix(".jsonl.partial").exists()
    await spool.forget({second.spool_id})
    assert not spool.path.exists() and await spool.pending() == []


async def test_a_disk_that_refuses_the_result_is_reported_not_raised(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool's folder should be")
    spool = ResultSpool(blocker / "spool.jsonl")
    assert await spool.keep(entry(3)) is False
    assert await spool.pending() == []
