"""Per-env AWS sessions: STS AssumeRole into the env's role, traceable to the Slack user.

One session per (env, actor), cached until shortly before its credentials expire. The
RoleSessionName and SourceIdentity name the Slack user, so CloudTrail in stg/prd shows who asked;
for an approved action the session tags also carry the approver.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
import botocore.session

from ops.backends.blocking import LIBRARY_TIMEOUT_SLACK_SECONDS
from ops.config import Config, EnvName

_REFRESH_MARGIN_SECONDS = 300
_SESSION_NAME_CHARS = re.compile(r"[^\w+=,.@-]")


@dataclass(frozen=True)
class Actor:
    """Who an AWS call is made for: the Slack user, and the approver of an approved action."""

    user: str = "rtb-bot"
    approver: str | None = None

    def session_name(self) -> str:
        name = f"rtb-bot.{self.user}" + (f".by.{self.approver}" if self.approver else "")
        return _SESSION_NAME_CHARS.sub("-", name)[:64]

    def tags(self) -> list[dict[str, str]]:
        tags = [{"Key": "slack-user", "Value": self.user}]
        if self.approver:
            tags.append({"Key": "slack-approver", "Value": self.approver})
        return tags


BOT = Actor()


class AwsSessions:
    """boto3 sessions and clients per (env, actor), built once and reused (thread-safe).

    Building a boto3 client is costly (it copies botocore's event hooks) and so is a session
    (it loads the service models): clients are cached per (env, service, actor) until their
    session is refreshed, and every assumed-role session shares the base session's models.
    Clients are built one at a time: built in parallel (a fan-out's first call in every env),
    each thread parsed botocore's endpoint and model files itself before any had cached them —
    for six clients 8–28 MB more memory, kept for good by the worker that runs all day. A build
    makes no AWS API call, so the wait is a few milliseconds — except the first build of the
    base session, which resolves its credentials (instance metadata or a pod-identity endpoint
    may be asked: once, with botocore's own short timeouts).
    """

    def __init__(self, config: Config, *, max_attempts: int = 3) -> None:
        self._config = config
        self._core = botocore.session.get_session()
        self._base = boto3.session.Session(botocore_session=self._core)
        self._sessions: dict[tuple[str, Actor], tuple[boto3.session.Session, float]] = {}
        self._clients: dict[tuple[str, str, Actor], tuple[Any, boto3.session.Session]] = {}
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._assume_locks: dict[tuple[str, Actor], threading.Lock] = {}
        self._botocore = botocore.config.Config(
            retries={"total_max_attempts": max_attempts, "mode": "standard"},
            connect_timeout=3,
            read_timeout=config.timeouts.backend_seconds + LIBRARY_TIMEOUT_SLACK_SECONDS,
        )

    def client(self, env: EnvName, service: str, actor: Actor = BOT) -> Any:
        """A boto3 client for `service` in `env`, acting for `actor`. Blocking: call in a thread."""
        session = self.session(env, actor)
        return self._cached_client(
            (env, service, actor),
            session,
            lambda: session.client(
                service,
                region_name=self._config.environments[env].region,
                endpoint_url=self._config.aws.service_endpoints.get(
                    service, self._config.aws.endpoint_url
                ),
                config=self._botocore,
            ),
        )

    def _cached_client(
        self,
        key: tuple[str, str, Actor],
        session: boto3.session.Session,
        build: Callable[[], Any],
    ) -> Any:
        """The client cached under `key` for `session`, else one built now (one at a time)."""
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None and cached[1] is session:
            return cached[0]
        with self._build_lock:
            with self._lock:  # built by another thread while this one waited?
                cached = self._clients.get(key)
            if cached is not None and cached[1] is session:
                return cached[0]
            client = build()
            with self._lock:  # stored before the next builder may look
                self._clients[key] = (client, session)
        return client

    def session(self, env: EnvName, actor: Actor = BOT) -> boto3.session.Session:
        role_arn = self._config.environments[env].role_arn
        if role_arn is None:
            return self._base
        key = (env, actor)
        with self._lock:
            assume_lock = self._assume_locks.setdefault(key, threading.Lock())
        with assume_lock:  # commands arriving together assume the role once, not once each
            cached = self._sessions.get(key)
            if cached and cached[1] - time.time() > _REFRESH_MARGIN_SECONDS:
                return cached[0]
            session, expires = self._assume(env, role_arn, actor)
            self._sessions[key] = (session, expires)
            return session

    def _assume(
        self, env: EnvName, role_arn: str, actor: Actor
    ) -> tuple[boto3.session.Session, float]:
        sts = self._base_sts(env)
        answer = sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName=actor.session_name(),
            SourceIdentity=_SESSION_NAME_CHARS.sub("-", actor.user)[:64],
            Tags=actor.tags(),
            DurationSeconds=self._config.aws.session_seconds,
        )
        creds = answer["Credentials"]
        core = botocore.session.Session()
        core.register_component("data_loader", self._core.get_component("data_loader"))
        core.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        return boto3.session.Session(botocore_session=core), creds["Expiration"].timestamp()

    def _base_sts(self, env: EnvName) -> Any:
        """STS with the bot's own credentials, in the env's region (the role is assumed there)."""
        region = self._config.environments[env].region
        return self._cached_client(
            (f"base:{region}", "sts", BOT),
            self._base,
            lambda: self._base.client(
                "sts",
                region_name=region,
                endpoint_url=self._config.aws.endpoint_url,
                config=self._botocore,
            ),
        )

    def caller_account(self, env: EnvName, actor: Actor = BOT) -> str:
        """The account the env's credentials land in (sts:GetCallerIdentity). Blocking."""
        return str(self.client(env, "sts", actor).get_caller_identity()["Account"])

    def oam_linked_accounts(self, env: EnvName) -> dict[str, tuple[str, ...]]:
        """The source accounts linked to `env`'s OAM sinks, with what each shares
        (`AWS::Logs::LogGroup`, …): oam:ListSinks + oam:ListAttachedLinks. Blocking."""
        oam = self.client(env, "oam")
        linked: dict[str, tuple[str, ...]] = {}
        for sinks in oam.get_paginator("list_sinks").paginate():
            for sink in sinks.get("Items", []):
                pages = oam.get_paginator("list_attached_links").paginate(
                    SinkIdentifier=sink["Arn"]
                )
                for page in pages:
                    for link in page.get("Items", []):
                        account = str(link.get("LinkArn", "")).split(":")[4:5]
                        if account:
                            linked[account[0]] = tuple(link.get("ResourceTypes", ()))
        return linked
