"""`serve`'s start under the two database roles (README: Security): migrations as the owner
(DATABASE_MIGRATION_URL), the bot as a member of rtb_bot_runtime, and a warning whenever the bot
itself could rewrite its audit log."""

from dataclasses import replace

import psycopg
from structlog.testing import capture_logs

from approvals.gate import Requester
from approvals.workload_mutations import ScaleDeployment
from bot.app import create_runtime
from ops.config import Timeouts
from tests.approvals.support import PREVIEW, replicas, seed_deployment, with_config
from tests.ops.test_db_roles import runtime_url

OWNER_WARNING = "the bot runs as the owner of its audit log"


def _as_runtime_role(bot_settings, pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:  # as the operator does, once
        conn.execute(
            "DO $$ BEGIN CREATE ROLE rtb_bot_runtime NOLOGIN;"
            " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    secrets = replace(
        bot_settings.secrets, database_url=runtime_url(pg_url), database_migration_url=pg_url
    )
    return replace(bot_settings, secrets=secrets)


async def _start_and_approve(settings, kube) -> list[dict]:
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=1)
    # the first EKS token and Kubernetes client of a process take ~2 s on a loaded machine
    settings = with_config(settings, timeouts=Timeouts(backend_seconds=10, fanout_seconds=15))
    with capture_logs() as logs:
        runtime = create_runtime(settings, retries=0)
        await runtime.start()
    try:
        gate = runtime.deps.gate
        spec = ScaleDeployment.build(settings.config, "prd", PREVIEW, "app", 0)
        asked = await gate.submit(spec, Requester("UOPERATOR1", "C_OPS", "t"), "INC-1")
        done = await gate.approve(asked.request.id, "ULEAD1", "t")
        assert done.request.status == "succeeded"
    finally:
        await runtime.stop()
    return logs


async def test_the_bot_migrates_as_the_owner_and_runs_as_the_runtime_role(
    bot_settings, pg_url, kube
):
    logs = await _start_and_approve(_as_runtime_role(bot_settings, pg_url), kube)
    assert replicas(kube["prd"], PREVIEW, "app") == 0
    assert not [e for e in logs if e["event"].startswith(OWNER_WARNING)]
    started = next(e for e in logs if e["event"] == "started")
    assert "0004_keyed_audit_and_runtime_role.sql" in started["migrations_applied"]
    with psycopg.connect(pg_url) as conn:
        owner = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'"
        ).fetchone()
    assert owner == ("postgres",)  # the migration URL's role, not the bot's


async def test_serve_warns_when_it_owns_its_audit_log(bot_settings, kube):
    logs = await _start_and_approve(bot_settings, kube)
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert any(e["event"].startswith(OWNER_WARNING) for e in warnings), warnings
    assert any("audit chain is not anchored" in e["event"] for e in warnings), warnings
