"""The preview TTL notice (runbook §3.2: "TTL 2시간 전, Jira/Slack으로 안내"), as data.

A pass (handlers/ttl_notices.py runs one every `ttl_notice.cron`) lists the preview namespaces
of every env, keeps those whose `rtb.io/expires-at` falls within
`thresholds.preview_expiry_notice_hours` (not expired, not being deleted), and claims each
(env, namespace, expiry time) in `rtb_bot.ttl_notices` before anything is said: the replica
whose INSERT lands sends the notice, every later pass (any replica) finds the row. A TTL moved
later is a new expiry time, hence a new claim and a new notice; a TTL left alone is noticed
once. Known limit: a replica that dies between its claim and the outbox write loses that one
notice (the Jira comment, when it was made, still stands).

The owner is the namespace label `ttl_notice.owner_label` (default `rtb.io/owner`), whose value
is a Slack member id (`U0123ABC`: label values cannot hold an email address). Who the label
names is checked with Slack by the handler; this module only reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from ops.backends.container import Backends
from ops.config import ENV_NAMES, EnvName
from ops.errors import BackendError
from ops.fanout import Failed, gather_parts
from ops.previews import preview_from, preview_namespaces

Obj = dict[str, Any]


@dataclass(frozen=True)
class ExpiringPreview:
    env: EnvName
    namespace: str
    issue_key: str
    expires_at: datetime
    owner: str | None  # the owner label's value, as the cluster has it (unchecked)


@dataclass(frozen=True)
class Expiring:
    previews: tuple[ExpiringPreview, ...]
    failures: tuple[Failed, ...]  # envs whose cluster did not answer: looked at next pass


async def find_expiring(backends: Backends, now: datetime) -> Expiring:
    """Every env's previews whose TTL ends within the notice window, each env at once."""
    config = backends.config
    envs = [env for env in ENV_NAMES if env in config.environments]
    window = timedelta(hours=config.thresholds.preview_expiry_notice_hours)
    parts = await gather_parts(
        {env: _env_expiring(backends, env, now, window) for env in envs},
        config.timeouts.fanout_seconds,
    )
    found: list[ExpiringPreview] = []
    failures: list[Failed] = []
    for part in parts.values():
        if part.failure is not None:
            failures.append(part.failure)
        else:
            found.extend(part.value or ())
    return Expiring(tuple(found), tuple(failures))


async def _env_expiring(
    backends: Backends, env: EnvName, now: datetime, window: timedelta
) -> tuple[ExpiringPreview, ...]:
    namespaces = await preview_namespaces(backends, env)
    owner_label = backends.config.ttl_notice.owner_label
    found = []
    for ns in namespaces:
        preview = preview_from(env, ns, (), now, window)
        if preview.terminating:  # going anyway
            continue
        if not preview.expiring_soon or preview.expires_at is None:
            continue
        labels = (ns.get("metadata") or {}).get("labels") or {}
        owner = labels.get(owner_label)
        found.append(
            ExpiringPreview(
                env,
                preview.namespace,
                preview.issue_key,
                preview.expires_at,
                str(owner) if owner else None,
            )
        )
    return tuple(sorted(found, key=lambda p: (p.expires_at, p.namespace)))


# -- the claim -------------------------------------------------------------------------------


STALE_CLAIM = timedelta(minutes=5)  # a claim this old with no notice: its replica died


async def claim_notice(
    backends: Backends, preview: ExpiringPreview, replica: str, now: datetime
) -> bool:
    """True when this replica is the one to notice `preview` at its current expiry time, or
    takes over a claim whose replica died before enqueuing the notice (`STALE_CLAIM` ago): the
    notice is not lost; its Jira comment may then be written twice (Jira has no dedup key)."""
    inserted = await backends.db.execute(
        "INSERT INTO rtb_bot.ttl_notices AS t (env, namespace, expires_at, issue_key,"
        " claimed_by, claimed_at) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (env, namespace, expires_at) DO UPDATE"
        " SET claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at"
        " WHERE t.outbox_key IS NULL AND t.claimed_at < EXCLUDED.claimed_at - %s",
        (
            preview.env,
            preview.namespace,
            preview.expires_at,
            preview.issue_key,
            replica,
            now,
            STALE_CLAIM,
        ),
    )
    return inserted == 1


async def record_notice(
    backends: Backends, preview: ExpiringPreview, outbox_key: str, jira: JiraStatus
) -> None:
    await backends.db.execute(
        "UPDATE rtb_bot.ttl_notices SET outbox_key = %s, jira = %s"
        " WHERE env = %s AND namespace = %s AND expires_at = %s",
        (outbox_key, jira, preview.env, preview.namespace, preview.expires_at),
    )


def notice_key(preview: ExpiringPreview) -> str:
    """The outbox key: one message per preview and expiry time."""
    return notice_key_of(preview.env, preview.namespace, preview.expires_at.isoformat())


def notice_key_of(env: str, namespace: str, expires_at: str) -> str:
    """The same key from a button's value (whose expiry is `expires_at.isoformat()`)."""
    return f"ttl-notice:{env}:{namespace}:{expires_at}"


# -- the Jira comment ------------------------------------------------------------------------

JiraStatus = Literal["added", "failed", "off", "no credentials"]  # internal: keys


@dataclass(frozen=True)
class JiraComment:
    status: JiraStatus
    failure: BackendError | None = None  # why it failed (its details are worded for a reader)
    issue_url: str = ""  # where the issue is, when Jira is configured


async def comment_on_issue(backends: Backends, issue_key: str, body: Obj) -> JiraComment:
    """Add `body` (Atlassian Document Format) as a comment; a failure is a status, not raised:
    the Slack notice goes either way and says what happened here."""
    settings = backends.config.ttl_notice.jira
    if settings is None:
        return JiraComment("off")
    jira = backends.jira
    if jira is None:
        return JiraComment("no credentials")  # internal: a status key
    url = jira.issue_url(issue_key)
    try:
        await jira.add_comment(issue_key, body)
    except BackendError as exc:
        return JiraComment("failed", exc, url)
    return JiraComment("added", issue_url=url)


def envs_unread(failures: Sequence[Failed]) -> list[str]:
    return sorted({f.backend for f in failures})
