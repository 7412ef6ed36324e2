"""Every backend client, built once at start and closed once at shutdown."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from ops.backends.aws import AwsSessions
from ops.backends.blocking import BlockingCalls
from ops.backends.db import Database
from ops.backends.hub_api import HubApi
from ops.backends.jira import JiraComments
from ops.backends.kube import Kube
from ops.backends.pagerduty import PagerDutyEvents
from ops.backends.redis_client import connect_redis
from ops.config import Config


@dataclass(frozen=True)
class BackendUrls:
    database: str
    hub_database: str
    redis: str


@dataclass
class Backends:
    config: Config
    blocking: BlockingCalls
    db: Database
    hub_db: Database
    redis: aioredis.Redis
    aws: AwsSessions
    kube: Kube
    hub_api: HubApi
    pagerduty: PagerDutyEvents | None = None  # None: no PAGERDUTY_ROUTING_KEY, nothing pages
    jira: JiraComments | None = None  # ttl_notice.jira with its credentials (bot.app sets it)

    async def open(self) -> None:
        await self.db.open()
        await self.hub_db.open()

    async def close(self) -> None:
        await self.db.close()
        await self.hub_db.close()
        await self.redis.aclose()
        await self.hub_api.close()
        if self.pagerduty is not None:
            await self.pagerduty.close()
        if self.jira is not None:
            await self.jira.close()
        self.kube.close()
        self.blocking.close()


def build_backends(
    config: Config, urls: BackendUrls, *, retries: int = 2, pagerduty_routing_key: str = ""
) -> Backends:
    """`retries` applies to AWS and Kubernetes calls (tests use 0: faults must show at once)."""
    timeout = config.timeouts.backend_seconds
    blocking = BlockingCalls()
    aws = AwsSessions(config, max_attempts=retries + 1)
    return Backends(
        config=config,
        blocking=blocking,
        db=Database("PostgreSQL (bot)", urls.database, timeout=timeout),
        # `/rtb status` reads the hub's error rate and AI cost at once: two connections kept
        # open, so the second query never waits for the first (bench/status.py)
        hub_db=Database("PostgreSQL (hub)", urls.hub_database, timeout=timeout, min_size=2),
        redis=connect_redis(urls.redis, timeout),
        aws=aws,
        kube=Kube(config, aws, blocking, retries=retries),
        hub_api=HubApi(config, timeout),
        pagerduty=build_pagerduty(config, pagerduty_routing_key),
    )


def build_pagerduty(config: Config, routing_key: str) -> PagerDutyEvents | None:
    if not routing_key:
        return None
    settings = config.pagerduty
    return PagerDutyEvents(
        str(settings.events_url),
        routing_key,
        timeout=settings.timeout_seconds,
        attempts=settings.attempts,
        retry_seconds=settings.retry_seconds,
    )
