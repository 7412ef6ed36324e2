"""The whole sandbox world in one object: servers, seeded data and a config file for the bot.

    with SandboxStack() as stack:
        os.environ.update(stack.environ)   # DATABASE_URL, REDIS_URL, RTB_CONFIG, ...
        print(stack.describe())

Starts Redis, PostgreSQL (databases `rtb_bot` and `rtb_hub`), moto, one fake Kubernetes API
server per env (int, stg, prd) and the fake Slack Web API (the config's `slack_api_url`, so a
bot run against the sandbox never calls the real Slack), seeds them (sandbox/seed_*.py) and
writes `config.yml` into its temp dir. `stop()` stops whatever was started, also after a failed
`start()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
import yaml

from ops.config import ENV_NAMES, Config
from sandbox.alarm_intake import AlarmQueues, seed_alarm_intake
from sandbox.fake_aws import FakeAws
from sandbox.fake_hub_api import CLEANUP_PATH, FakeHubApi
from sandbox.fake_jira import FakeJira
from sandbox.fake_kube import FakeKubeServer
from sandbox.fake_pagerduty import FakePagerDuty
from sandbox.fake_slack import FakeSlackAPI
from sandbox.queue_traffic import QueueTraffic
from sandbox.seed_aws import (
    ANCHOR_LOG_GROUP,
    ANCHOR_LOG_STREAM,
    REGION,
    TOPIC_NAME,
    role_arn,
    seed_aws,
)
from sandbox.seed_hub import HubSeedSummary, seed_hub
from sandbox.seed_kube import PREVIEWS, seed_cluster
from sandbox.seed_queues import seed_queues
from sandbox.seed_trail_logs import seed_trail_logs
from sandbox.seed_weekly import seed_cleanup_failures, seed_engine_samples, seed_weekly_trail
from sandbox.servers import MotoServer, PostgresServer, RedisServer
from sandbox.users import CONSOLE_USERS_VARIABLE, format_users

ACCOUNTS = {"int": "111111111111", "stg": "222222222222", "prd": "333333333333"}
USERS = {
    "viewer1": "UVIEWER1",
    "operator1": "UOPERATOR1",
    "operator2": "UOPERATOR2",
    "lead1": "ULEAD1",
    "lead2": "ULEAD2",
}
QUEUES = ("jira-queue", "pr-review-queue", "preview-queue")
FAKED_AWS = ("cloudtrail", "logs", "cloudwatch", "oam")  # via FakeAws: what moto cannot do
BOT_DB, HUB_DB = "rtb_bot", "rtb_hub"
HUB_ONLY_PREVIEW = "PROJ-97"  # listed by stg's hub, no namespace
FIXED_ENVIRON = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "SLACK_BOT_TOKEN": "xoxb-sandbox",
    "SLACK_SIGNING_SECRET": "sandbox-signing-secret",
    "AUDIT_HMAC_KEYS": "sandbox:sandbox-audit-key-not-a-secret-0123456789",
    "PAGERDUTY_ROUTING_KEY": "sandboxroutingkey000000000000000",  # 32 characters, as PagerDuty's
}
JIRA_EMAIL, JIRA_API_TOKEN = "rtb-bot@example.com", "sandbox-jira-token-not-a-secret"
# The two roles of README "Security": the owner runs the migrations, the bot runs as a member
# of rtb_bot_runtime (append and read on the audit log, nothing more).
OWNER_ROLE, RUNTIME_GROUP, RUNTIME_ROLE = "rtb_bot_owner", "rtb_bot_runtime", "rtb_bot_app"


def set_up_bot_roles(postgres: PostgresServer, database: str) -> tuple[str, str]:
    """What an operator does once (README: Security); the URLs of the owner and the bot."""
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {OWNER_ROLE} LOGIN")
        conn.execute(f"CREATE ROLE {RUNTIME_GROUP} NOLOGIN")
        conn.execute(f"CREATE ROLE {RUNTIME_ROLE} LOGIN IN ROLE {RUNTIME_GROUP}")
        conn.execute(f"GRANT CREATE ON DATABASE {database} TO {OWNER_ROLE}")
    admin = postgres.url_for(database)
    return admin.replace("postgres@", f"{OWNER_ROLE}@", 1), admin.replace(
        "postgres@", f"{RUNTIME_ROLE}@", 1
    )


def _role_members(*names: str) -> dict[str, list[str]]:
    return {"users": [USERS[name] for name in names]}


class SandboxStack:
    def __init__(
        self, *, now: datetime | None = None, queue_traffic: bool = True, language: str = "ko"
    ) -> None:
        """`queue_traffic`: a live producer and worker on preview-queue (sandbox/queue_traffic).
        `language`: its config's `language.default` (the team's: Korean; tests that read
        English words pass `en`)."""
        self.now = now
        self.language = language
        self.redis = RedisServer()
        self.postgres = PostgresServer()
        self.moto = MotoServer()
        self.kube: dict[str, FakeKubeServer] = {env: FakeKubeServer() for env in ENV_NAMES}
        self.fake_aws: FakeAws | None = None  # started once moto is (it forwards to moto)
        self.hub_api = FakeHubApi(self.kube)  # the hub's GET /api/previews, per env
        self.slack = FakeSlackAPI()  # what the bot sends to Slack lands here
        self.pagerduty = FakePagerDuty()  # the Events API v2; records what the bot pages
        issues = [p.issue for previews in PREVIEWS.values() for p in previews]
        self.jira = FakeJira(email=JIRA_EMAIL, api_token=JIRA_API_TOKEN, issues=issues)
        self.users = dict(USERS)
        for name, user_id in self.users.items():  # users.info names them as the console does
            self.slack.add_user(user_id, name)
        self.environ: dict[str, str] = {}
        self.hub_summary: HubSeedSummary | None = None
        self.queue_counts: dict[str, dict[str, int]] = {}
        self.engine_samples = 0  # workflow-engine minutes seeded for the weekly digest
        self.traffic: QueueTraffic | None = None
        self._queue_traffic = queue_traffic
        self._dir: Path | None = None
        self.alarm_queues: AlarmQueues | None = None  # the alarm topic's SQS queue (int)

    @property
    def config_path(self) -> Path:
        if self._dir is None:
            raise RuntimeError("SandboxStack is not running; call start() first")
        return self._dir / "config.yml"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
        # Whole seconds, as the API's timestamps are: a replayed moment then dates what the
        # cluster creates at it to the same second the seed computes (a pod's start was a
        # second before its creation when `now` ended in .999…).
        now = self.now = self.now or datetime.now(UTC).replace(microsecond=0)
        try:
            self._dir = Path(tempfile.mkdtemp(prefix="rtb-sandbox-"))
            self._start_servers()
            # int is the observability account: stg's and prd's logs are linked to it (OAM)
            oam_links = {ACCOUNTS["int"]: (ACCOUNTS["stg"], ACCOUNTS["prd"])}
            self.fake_aws = FakeAws(upstream=self.moto.url, oam_links=oam_links)
            self.fake_aws.start()
            self.postgres.create_database(BOT_DB)
            owner_url, runtime_url = set_up_bot_roles(self.postgres, BOT_DB)
            hub_url = self.postgres.create_database(HUB_DB)
            self._seed(owner_url, hub_url, now)  # the samples table is migrated by its owner
            seed_trail_logs(self.fake_aws, ACCOUNTS, now=now, kube=self.kube)
            seed_weekly_trail(self.fake_aws, ACCOUNTS, now)
            seed_cleanup_failures(self.fake_aws, now)
            self._write_config()
            if self._queue_traffic:
                self.traffic = QueueTraffic(self.redis.url).start()
            self.environ = {
                "DATABASE_URL": runtime_url,
                "DATABASE_MIGRATION_URL": owner_url,
                "HUB_DATABASE_URL": hub_url,
                "REDIS_URL": self.redis.url,
                **FIXED_ENVIRON,
                "JIRA_EMAIL": JIRA_EMAIL,
                "JIRA_API_TOKEN": JIRA_API_TOKEN,
                "RTB_CONFIG": str(self.config_path),
            }
        except BaseException:
            self.stop()
            raise
        return self

    def _start_servers(self) -> None:
        """PostgreSQL's initdb is the slow one: start everything side by side."""
        starters = [
            self.postgres.start,
            self.redis.start,
            self.moto.start,
            *(server.start for server in self.kube.values()),
            self.hub_api.start,
            self.slack.start,
            self.pagerduty.start,
            self.jira.start,
        ]
        with ThreadPoolExecutor(len(starters)) as pool:
            for future in [pool.submit(start) for start in starters]:
                future.result()

    def _seed(self, bot_url: str, hub_url: str, now: datetime) -> None:
        """Seeds side by side; the async ones get their own loop in a worker thread, so
        start() also works when the caller's thread already runs an event loop."""
        with ThreadPoolExecutor(3) as pool:
            aws = pool.submit(seed_aws, self.moto.url, ACCOUNTS, now=now)
            kube = pool.submit(self._seed_kube, now)
            stores = pool.submit(asyncio.run, self._seed_async(bot_url, hub_url, now))
            self.hub_summary, self.queue_counts, self.engine_samples = stores.result()
            aws.result()
            kube.result()
        self.alarm_queues = seed_alarm_intake(
            self.moto.url, ACCOUNTS["int"], region=REGION, topic_name=TOPIC_NAME
        )

    def _seed_kube(self, now: datetime) -> None:
        for env, server in self.kube.items():
            seed_cluster(server, env, now=now)
        # the hub and stg's cluster disagree once: a preview deleted by hand two days ago
        # that the hub still lists (`/rtb previews` and the daily digest show it)
        created = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.hub_api.add_record("stg", HUB_ONLY_PREVIEW, "running", created)

    async def _seed_async(
        self, bot_url: str, hub_url: str, now: datetime
    ) -> tuple[HubSeedSummary, dict[str, dict[str, int]], int]:
        return await asyncio.gather(
            seed_hub(hub_url, now=now),
            seed_queues(self.redis.url),
            seed_engine_samples(bot_url, now),
        )

    def stop(self) -> None:
        """Stop everything started (idempotent; never raises for a half-started stack)."""
        if self.traffic is not None:  # before Redis goes away under its worker
            self.traffic.stop()
            self.traffic = None
        if self.fake_aws is not None:
            with contextlib.suppress(Exception):
                self.fake_aws.stop()
            self.fake_aws = None
        stoppers = [
            self.pagerduty.stop,
            self.jira.stop,
            self.slack.stop,
            self.hub_api.stop,
            *(server.stop for server in self.kube.values()),
            self.moto.stop,
            self.redis.stop,
            self.postgres.stop,
        ]
        for stop in stoppers:
            with contextlib.suppress(Exception):
                stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self.environ = {}

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the bot's configuration -----------------------------------------------------------

    def config_data(self) -> dict[str, Any]:
        """Every setting of the sandbox's config.yml (validated by ops.config.Config)."""
        environments = {
            env: {
                "account_id": ACCOUNTS[env],
                "region": REGION,
                "role_arn": role_arn(ACCOUNTS[env]),
                "kube_server": self.kube[env].url,
                "hub_api_url": self.hub_api.base_url(env),
            }
            for env in ENV_NAMES
        }
        raw = {
            "environments": environments,
            "roles": {
                "leads": _role_members("lead1", "lead2"),
                "operators": _role_members("operator1", "operator2"),
                "viewers": _role_members("viewer1"),
                "everyone_can_view": True,
            },
            "hub": {"queues": list(QUEUES), "cleanup_path": CLEANUP_PATH},
            "approvals": {"spool_file": str(self._state_dir() / "unrecorded-results.jsonl")},
            "audit": {"anchor": {"log_group": ANCHOR_LOG_GROUP, "log_stream": ANCHOR_LOG_STREAM}},
            "slack_api_url": self.slack.base_url,
            "language": {"default": self.language},
            # paging to the fake; a prd approval is stale at once, so `/fire approval-escalation`
            # right after a request shows the escalation (production: 10 minutes)
            "pagerduty": {
                "events_url": self.pagerduty.events_url,
                "oncall_lead": USERS["lead1"],
                "retry_seconds": 0.2,
            },
            "escalation": {"after_minutes": 0},
            "aws": {
                "endpoint_url": self.moto.url,
                "service_endpoints": dict.fromkeys(FAKED_AWS, self.fake_aws.url)
                if self.fake_aws
                else {},
            },
        }
        if self.jira.url:  # started: the TTL notice comments there
            raw["ttl_notice"] = {"jira": {"url": self.jira.url}}
        if self.alarm_queues is not None:
            raw["incidents"] = {
                "queue_url": self.alarm_queues.queue_url,
                "dead_letter_queue_url": self.alarm_queues.dead_letter_queue_url,
            }
        data: dict[str, Any] = Config.model_validate(raw).model_dump(mode="json", exclude_none=True)
        return data

    def _state_dir(self) -> Path:
        assert self._dir is not None, "start() first"
        return self._dir

    def _write_config(self) -> None:
        from bot.settings import load_config  # the loader `rtb-bot check-config` uses

        header = "# rtb-ops-bot sandbox configuration (written by sandbox/stack.py)\n"
        text = yaml.safe_dump(self.config_data(), sort_keys=False, allow_unicode=True)
        self.config_path.write_text(header + text, encoding="utf-8")
        load_config(self.config_path)

    # -- for `rtb-bot sandbox` -------------------------------------------------------------

    def describe(self) -> str:
        lines = [
            "rtb-ops-bot sandbox",
            f"  config file   {self.config_path}",
            f"  PostgreSQL    {self.postgres.url} (databases {BOT_DB}, {HUB_DB})",
            f"  Redis         {self.redis.url} (BullMQ prefix bull: {', '.join(QUEUES)})",
            f"  AWS (moto)    {self.moto.url} region {REGION}",
            f"  AWS (fake)    {self.fake_aws.url if self.fake_aws else '-'} "
            "CloudTrail, Logs Insights, CloudWatch p99, OAM links",
        ]
        lines += [
            f"  kube {env:<8} {server.url} (account {ACCOUNTS[env]}, "
            f"role {role_arn(ACCOUNTS[env])})"
            for env, server in self.kube.items()
        ]
        lines += [
            f"  hub API       {self.hub_api.url}/<env>/api/previews (from the fake clusters, "
            f"and {HUB_ONLY_PREVIEW} in stg, which has no namespace)"
        ]
        if self.alarm_queues is not None:
            lines += [
                f"  alarm queue   {self.alarm_queues.queue_url} (subscribed to {TOPIC_NAME}; "
                "/sandbox alarm publishes there)"
            ]
        lines += [
            f"  Slack (fake)  {self.slack.base_url} (Web API and response URLs; "
            "what the bot sends to Slack lands here)"
        ]
        lines += [f"  PagerDuty     {self.pagerduty.events_url} (fake Events API v2)"]
        lines += [f"  Jira (fake)   {self.jira.url} (issue comments; the TTL notice's)"]
        lines += ["  Slack users   " + ", ".join(f"{k}={v}" for k, v in self.users.items())]
        if self.traffic is not None:
            traffic = self.traffic
            lines += [
                f"  live queue    {traffic.queue}: a job every {traffic.interval:g} s, "
                "and a worker completing them"
            ]
        lines += ["  environment (paste into another shell, or `rtb-bot sandbox --env-file F`):"]
        lines += [f"    {line}" for line in self.export_lines()]
        lines += ["  seeded:"] + [f"    {line}" for line in self._seed_facts()]
        return "\n".join(lines)

    def export_lines(self) -> list[str]:
        """`export K=V` lines, quoted for a POSIX shell: what `rtb-bot serve` or a second
        `rtb-bot shell` needs to reach this sandbox, its users (by name) included."""
        environ = {**self.environ, CONSOLE_USERS_VARIABLE: format_users(self.users)}
        return [f"export {key}={shlex.quote(value)}" for key, value in environ.items()]

    def _seed_facts(self) -> list[str]:
        facts = []
        if self.hub_summary is not None:
            s = self.hub_summary
            facts.append(
                f"AI cost today ${s.today_cost_usd:.2f} (spike: {s.spike_model} in "
                f"{s.spike_env} ${s.spike_cost_usd:.2f} in the last hour); "
                f"workflow error rate 15 min {s.window_error_rate_percent:.0f}%"
            )
        for queue, counts in self.queue_counts.items():
            facts.append(
                f"{queue}: waiting {counts['waiting']} prioritized "
                f"{counts['prioritized']} delayed {counts['delayed']} failed "
                f"{counts['failed']} completed {counts['completed']}"
            )
        return facts
