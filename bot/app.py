"""The app factory: one AsyncApp, its dependencies built once, every handler registered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    async_default_handlers,
)
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from approvals.anchoring import ChainAnchor
from approvals.gate import Gate
from approvals.roles import RoleResolver
from bot import __version__
from bot.incidents import build_intake
from bot.scheduler import build_push, schedule_jobs, schedule_sampler, spawn_catch_up
from bot.settings import Settings
from handlers.approval_cards import SlackApprovalNotifier, usergroup_members
from handlers.context import Deps, TaskTracker
from handlers.incident_intake import AlarmIntake
from handlers.incident_paging import pagerduty_hook
from handlers.listeners import bind_request
from handlers.pod_alerts import PodWatchers
from ops.backends.anchor_stream import AnchorStream
from ops.backends.container import Backends, BackendUrls, build_backends
from ops.backends.db import Database, migrate, owns_table
from ops.backends.jira import JiraComments
from ops.schedule import Clock, utc_now

log = structlog.get_logger(__name__)
# Socket Mode needs no signing secret; Bolt still wants a non-empty one to construct.
_NO_SIGNING_SECRET = "socket-mode-has-no-signing-secret"
SENDER_STOP_SECONDS = 5  # the outbox round in progress may finish (a send is ~10 ms)


@dataclass
class Runtime:
    """Everything one bot process holds; `start()` once, `stop()` once."""

    settings: Settings
    backends: Backends
    deps: Deps
    app: AsyncApp
    client: AsyncWebClient

    anchor: ChainAnchor | None = None
    scheduler: AsyncIOScheduler | None = None
    run_schedules: bool = False  # True in `rtb-bot serve`; tests and the console use /fire
    # the preview pod watchers (config pod_watch): started with the schedules, in every replica;
    # the console starts one env's when a /sandbox verb needs it
    pod_watchers: PodWatchers | None = None
    intake: AlarmIntake | None = None  # CloudWatch alarms from SQS (None: no queue configured)
    _sender: asyncio.Task[None] | None = None
    _intake_loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.backends.open()
        applied = await self._migrate()
        await self._warn_about_trust()
        gate = self.deps.gate
        await gate.sweep()  # requests orphaned by a stopped replica: surfaced, never re-run
        self.scheduler = AsyncIOScheduler()
        seconds = self.settings.config.approvals.housekeeping_seconds
        self.scheduler.add_job(
            gate.sweep, "interval", seconds=seconds, id="approvals-housekeeping", coalesce=True
        )
        if self.anchor is not None:
            await self.anchor.sync()
            self.scheduler.add_job(
                self.anchor.sync,
                "interval",
                seconds=self.anchor.interval_seconds,
                id="audit-anchor",
                coalesce=True,
            )
        push = self.deps.require_push()
        if self.run_schedules:
            schedule_jobs(self.scheduler, self.deps, push)
            schedule_sampler(self.scheduler, self.deps, push)
        self.scheduler.start()
        self._sender = asyncio.create_task(push.sender.run(), name="outbox sender")
        if self.run_schedules:
            spawn_catch_up(self.deps, push)
            if self.pod_watchers is not None:
                self.pod_watchers.start()
        if self.run_schedules and self.intake is not None:
            self._intake_loop = asyncio.create_task(self.intake.run(), name="alarm intake")
        log.info("started", migrations_applied=applied, version=__version__, replica=push.replica)

    async def stop(self) -> None:
        if self.pod_watchers is not None:  # their events may still enqueue: before the sender
            await self.pod_watchers.stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self._stop_intake()
        if self._sender is not None:  # unsent rows stay in the outbox for the next sender
            self.deps.require_push().sender.stop()
            await asyncio.wait({self._sender}, timeout=SENDER_STOP_SECONDS)
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
        try:
            await self.deps.tasks.drain(timeout=10)
        except TimeoutError:
            await self.deps.tasks.cancel_all()
        if self.anchor is not None:
            await self.anchor.sync()  # the last batch of this replica's rows
        await self.backends.close()

    async def _stop_intake(self) -> None:
        """The pass in progress may finish its message; a long poll still waiting is left to
        its thread (what it receives is not handled and returns after the visibility timeout)."""
        if self.intake is None or self._intake_loop is None:
            return
        self.intake.stop()
        await asyncio.wait({self._intake_loop}, timeout=SENDER_STOP_SECONDS)
        self._intake_loop.cancel()
        await asyncio.gather(self._intake_loop, return_exceptions=True)

    async def _migrate(self) -> list[str]:
        """As the owner role when DATABASE_MIGRATION_URL is set (the bot's own role then needs
        no DDL rights at all), else as DATABASE_URL (and `_warn_about_trust` says so)."""
        url = self.settings.secrets.database_migration_url
        if not url:
            return await migrate(self.backends.db)
        owner = Database("PostgreSQL (bot, migrations)", url, max_size=1)
        await owner.open()
        try:
            return await migrate(owner)
        finally:
            await owner.close()

    async def _warn_about_trust(self) -> None:
        if await owns_table(self.backends.db, "rtb_bot.audit_events"):
            log.warning(
                "the bot runs as the owner of its audit log: it could disable the triggers and"
                " rewrite it; run it as a member of rtb_bot_runtime (README: Security)"
            )
        if self.anchor is None:
            log.warning(
                "the audit chain is not anchored (no audit.anchor in the config): rows cut"
                " from its end would not show (README: Security)"
            )


def create_runtime(
    settings: Settings,
    *,
    backends: Backends | None = None,
    retries: int = 2,
    run_schedules: bool = False,
    clock: Clock = utc_now,
    replica: str | None = None,
) -> Runtime:
    secrets = settings.secrets
    backends = backends or build_backends(
        settings.config,
        BackendUrls(secrets.database_url, secrets.hub_database_url, secrets.redis_url),
        retries=retries,
        pagerduty_routing_key=secrets.pagerduty_routing_key,
    )
    if backends.jira is None:
        backends.jira = jira_comments(settings)
    client = slack_client(secrets.slack_bot_token, str(settings.config.slack_api_url))
    roles = RoleResolver(settings.config.roles, usergroup_members(client))
    notifier = SlackApprovalNotifier(client, settings.config, roles)
    gate = Gate(settings.config, backends, roles, notifier, secrets.signing_keys())
    deps = Deps(settings.config, backends, TaskTracker(), __version__, gate=gate)
    notifier.languages = deps.languages  # a card in a lead's DM in that lead's language
    deps.push = build_push(deps, client, replica=replica, clock=clock)
    deps.incident_hooks = (pagerduty_hook(deps),)  # pages what pagerduty.page_alarms names
    app = create_app(settings, deps, client)
    watching = settings.config.pod_watch.enabled
    return Runtime(
        settings,
        backends,
        deps,
        app,
        client,
        anchor=_chain_anchor(gate, backends),
        run_schedules=run_schedules,
        pod_watchers=PodWatchers(deps, deps.push.replica, clock) if watching else None,
        intake=build_intake(deps, retries=retries),
    )


def jira_comments(settings: Settings) -> JiraComments | None:
    """The TTL notice's Jira client: configured in the file, credentials in the environment."""
    jira, secrets = settings.config.ttl_notice.jira, settings.secrets
    if jira is None or not (secrets.jira_email and secrets.jira_api_token):
        return None
    return JiraComments(jira, secrets.jira_email, secrets.jira_api_token)


def _chain_anchor(gate: Gate, backends: Backends) -> ChainAnchor | None:
    settings = backends.config.audit.anchor
    if settings is None:
        return None
    timeout = backends.config.timeouts.backend_seconds
    stream = AnchorStream(settings, backends.aws, backends.blocking, timeout)
    return ChainAnchor(gate.audit, stream, settings.interval_seconds)


def slack_client(token: str, base_url: str) -> AsyncWebClient:
    """The bot's one Web API client. Past about one message a second in a channel Slack
    answers 429 with Retry-After: the client waits that long and tries again (twice at most),
    so a burst of cards, thread replies and alerts arrives late rather than not at all."""
    retries = [*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)]
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retries)


def create_app(settings: Settings, deps: Deps, client: AsyncWebClient) -> AsyncApp:
    app = AsyncApp(
        client=client,
        signing_secret=settings.secrets.slack_signing_secret or _NO_SIGNING_SECRET,
        # The ack is the listener's return: listeners only ack and hand off (TESTING.md).
        process_before_response=True,
    )

    async def inject_deps(context: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
        context["deps"] = deps
        await next()

    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("unhandled error in a listener", exc_info=error, type=body.get("type"))

    app.middleware(inject_deps)
    app.middleware(bind_request)  # one correlation id per request, in every log it writes
    app.error(on_error)
    handlers.register(app)
    return app
