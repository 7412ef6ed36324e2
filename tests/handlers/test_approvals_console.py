"""The console drill of issue 4: a prd change requested, refused to its requester, approved by a
lead — through the console's own signed payloads, modal included."""

import io
from dataclasses import replace

from bot.app import create_runtime
from bot.console import CONSOLE_SIGNING_SECRET, Console
from tests.approvals.support import APPROVALS, PREVIEW, replicas, scale_patches, seed_deployment
from tests.fixtures.bot import USERS

DRILL = [
    "/rtb scale prd app 0 --namespace preview-PROJ-7",  # the issue key's case: lowercased
    "/submit incident INC-42",
    "/click 1",
    "/as lead1",
    "/click 1",
]


async def test_the_approval_drill_in_the_console(bot_settings, fake_slack, kube):
    seed_deployment(kube["prd"], PREVIEW, "app", replicas=2)
    secrets = replace(bot_settings.secrets, slack_signing_secret=CONSOLE_SIGNING_SECRET)
    runtime = create_runtime(replace(bot_settings, secrets=secrets), retries=0)
    await runtime.start()
    out = io.StringIO()
    console = Console(runtime, fake_slack, USERS, "operator1", out)
    steps = []
    try:
        for line in DRILL:
            start = out.tell()
            assert await console.execute(line)
            steps.append(out.getvalue()[start:])
    finally:
        await runtime.stop()
    asked, submitted, self_click, _, lead_click = steps
    assert "[modal] (answer with /submit <text>)" in asked and "Why?" in asked
    assert f"[posted to {APPROVALS}]" in submitted and "[1] Approve  [2] Reject" in submitted
    assert "@lead1" in submitted and "incident INC-42" in submitted  # the card names the leads
    assert "cannot approve your own request" in self_click
    assert f"[posted to {APPROVALS} (in thread)]" in lead_click and "succeeded" in lead_click
    assert f"[updated in {APPROVALS}]" in lead_click and "Succeeded" in lead_click
    assert len(scale_patches(kube["prd"])) == 1
    assert replicas(kube["prd"], PREVIEW, "app") == 0
    assert runtime.deps.unexpected_errors == 0
