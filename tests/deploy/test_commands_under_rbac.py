"""The bot's whole command set, from the console against the seeded sandbox, with every cluster
deciding the bot's requests by deploy/rbac (RBAC and the admission policies) as the user
rtb-hub-deployer: every read answers, every change the policy allows is made, nothing is
refused by the cluster."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.app import create_runtime
from bot.console import CONSOLE_SIGNING_SECRET, Console
from bot.settings import Settings, load_settings
from handlers.table import TABLE
from sandbox.fake_kube import FakeKubeServer
from sandbox.fake_kube.manifests import load_access
from sandbox.stack import SandboxStack
from tests.deploy.support import DEPLOYER_USER, cluster_access


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxStack]:
    stack = SandboxStack(queue_traffic=False, language="en")  # the English words are checked
    for env in stack.kube:  # the same dict the hub API fake reads
        stack.kube[env] = FakeKubeServer(default_user=DEPLOYER_USER)
    with pytest.MonkeyPatch.context() as patch, stack:
        for env, server in stack.kube.items():
            load_access(server, cluster_access(env))
        for name, value in stack.environ.items():
            patch.setenv(name, value)  # boto3 reads the sandbox's fake credentials
        yield stack


class Session:
    """A console on the sandbox, one line at a time: `await session.say(line)` is its output."""

    def __init__(self, stack: SandboxStack) -> None:
        environ = stack.environ | {"SLACK_SIGNING_SECRET": CONSOLE_SIGNING_SECRET}
        settings = load_settings(stack.config_path, environ)
        self.runtime = create_runtime(Settings(settings.config, settings.secrets), retries=0)
        self.out = io.StringIO()
        self.console = Console(
            self.runtime, stack.slack, stack.users, "operator1", self.out, sandbox=stack
        )
        self.transcript: list[tuple[str, str]] = []

    async def say(self, line: str) -> str:
        start = self.out.tell()
        await self.console.execute(line)
        answer = self.out.getvalue()[start:]
        self.transcript.append((line, answer))
        return answer


@pytest.fixture
async def session(sandbox: SandboxStack) -> AsyncIterator[Session]:
    started = Session(sandbox)
    await started.runtime.start()
    try:
        yield started
    finally:
        await started.runtime.stop()


READS = [
    "/rtb help",
    "/rtb help scale",
    "/rtb ping",
    "/rtb status",
    "/rtb queues",
    "/rtb queue jira-queue",
    "/rtb executions",
    "/rtb costs",
    "/rtb pods int",
    "/rtb pods stg preview-proj-118",
    "/rtb logs int workflow-engine --tail 5",
    "/rtb logs stg worker --namespace preview-proj-118",
    "/rtb events stg worker --namespace preview-proj-118",
    "/rtb history int workflow-engine",
    "/rtb rollout-status prd webhook-listener",
    "/rtb can-i prd create namespaces",
    "/rtb previews",
    "/rtb alarms",
    "/rtb trail int",
    "/rtb search workflow-engine PROJ-118 --since 24h",
    "/rtb diagnose preview PROJ-118",
    "/rtb diagnose backlog",
    "/rtb diagnose costs",
    "/rtb digest daily",
    "/rtb schedules",
    "/rtb whoami",
    "/rtb lang",
    "/rtb policy",
    "/rtb approvals",
    "/rtb audit",
    "/rtb incidents",
    "/rtb incident 1",
]
CHANGES = [
    "/as lead1",
    "/rtb scale int webhook-listener 3",
    "/rtb scale int workflow-engine 2",
    "/rtb autoscale resume int workflow-engine",
    "/rtb rollback int webhook-listener",
    "/rtb set-image int auth-service v1.41.1",
    "/rtb emergency-rollback int",
    "/click 1",
    "/rtb queue pause jira-queue",
    "/rtb queue resume jira-queue",
    "/rtb queue retry-failed jira-queue --limit 1",
    "/rtb scale stg app 2 --namespace preview-proj-125",
    "/rtb set-image stg app v1.41.1 --namespace preview-proj-125",
    "/rtb rollback stg app --namespace preview-proj-125",
    "/rtb preview create stg PROJ-900",
    "/rtb preview delete stg PROJ-900",
    "/rtb preview cleanup int",
    "/rtb preview delete prd PROJ-109",
]
REFUSED_BY_THE_CLUSTER = ("Kubernetes denied", "HTTP 403", "is forbidden", "lacks that permission")


async def test_every_command_runs_under_the_deployers_access(
    session: Session, sandbox: SandboxStack
) -> None:
    for line in READS + CHANGES:
        await session.say(line)
    await prd_changes_through_approval(session)

    said = {line for line, _ in session.transcript}
    assert {verb for verb in TABLE if not any(said_verb(line, verb) for line in said)} == set()
    refused = [
        (line, marker)
        for line, out in session.transcript
        for marker in REFUSED_BY_THE_CLUSTER
        if marker in out
    ]
    assert refused == []
    assert session.runtime.deps.unexpected_errors == 0
    for env, server in sandbox.kube.items():  # every request was decided as the deployer
        users = {user for _, _, user in server.requests}
        assert users == {DEPLOYER_USER}, env
    kube = sandbox.kube
    assert replicas(kube["int"], "rtb-ai-hub", "webhook-listener") == 3
    assert replicas(kube["stg"], "preview-proj-125", "app") == 2
    assert replicas(kube["prd"], "preview-proj-101", "app") == 0  # approved by a lead
    assert gone(kube["stg"], "preview-proj-900") and gone(kube["prd"], "preview-proj-109")
    assert gone(kube["int"], "preview-proj-130")  # the cleanup
    created = kube["prd"].get("namespaces", None, "preview-proj-902") or {}
    assert created["metadata"]["labels"]["rtb.io/preview"] == "true"  # approved too
    for refused_or_cancelled in ("preview-proj-903", "preview-proj-904"):
        assert kube["prd"].get("namespaces", None, refused_or_cancelled) is None


def said_verb(line: str, verb: str) -> bool:
    return line.startswith(f"/rtb {verb} ") or line == f"/rtb {verb}"


async def prd_changes_through_approval(session: Session) -> None:
    """prd previews: scaled and created with a lead's approval; a rejected and a cancelled
    request change nothing."""
    await session.say("/as operator1")
    scale = request_id(
        await session.say('/rtb scale prd app 0 --namespace preview-proj-101 --reason "drill"')
    )
    create = request_id(await session.say('/rtb preview create prd PROJ-902 --reason "drill"'))
    rejected = request_id(await session.say('/rtb preview create prd PROJ-904 --reason "x"'))
    cancelled = request_id(await session.say('/rtb preview create prd PROJ-903 --reason "x"'))
    await session.say(f"/rtb cancel {cancelled}")
    await session.say("/as lead1")
    await session.say(f"/rtb approve {scale}")
    await session.say(f"/rtb approve {create}")
    await session.say(f"/rtb reject {rejected} not today")


def request_id(answer: str) -> str:
    found = re.search(r"\bAR-[A-Z0-9]+\b", answer)
    assert found is not None, answer
    return found.group(0)


def replicas(server: FakeKubeServer, namespace: str, name: str) -> int:
    deployment = server.get("deployments", namespace, name) or {}
    return int(deployment["spec"]["replicas"])


def gone(server: FakeKubeServer, namespace: str) -> bool:
    found = server.get("namespaces", None, namespace)
    return found is None or found["status"]["phase"] == "Terminating"
