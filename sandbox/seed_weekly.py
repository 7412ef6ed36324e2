"""What the weekly digest (runbook §6.2) reads, seeded so every item shows something real.

The story (every time relative to `now`, local days in Asia/Seoul):

Both the week before today (`/rtb digest weekly`) and the week before last Monday (what the
console's `/fire weekly-digest` posts) have something in every item.

* workflow-engine samples (the bot's `rtb_bot.engine_samples`), one a minute for 15 days:
  nights at 0 replicas; working hours scaled by KEDA to the BullMQ load (1 replica per 5 jobs,
  at most 6), each burst followed by KEDA's 5-minute cooldown with nothing to do (idle); a
  lunch hour with 2 replicas kept up and nothing active or waiting (idle); a KEDA pause drill
  3 days ago, 14:00–15:00, at 2 replicas; quiet weekends; and 40 minutes on Thursday where
  Redis did not answer (the queue counts unknown).
* CloudTrail in stg's and prd's accounts (the role's side of each AssumeRole into
  `rtb-hub-deployer`), three weeks: the bot for operator1, lead1 and lead2 every working day,
  the hub's service account for its previews; this week also operator2 (a SourceIdentity not
  seen the week before), two AccessDenied for the hub in prd (PROJ-288), and a caller never
  seen before: `ci-deployer` from int, once refused, once let in.
* workflow-engine's Pino lines: `cleanupExpired()` failures over the week — PROJ-96 (stg)
  stuck on a finalizer for 9 hourly runs, PROJ-88 (prd) AccessDenied 3 times, PROJ-111 (int)
  once —, PROJ-77 (stg) refused 9 to 13 days ago, and PROJ-130 (int) since it expired 5 hours
  ago (the namespace is still there).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from ops.backends.db import Database, migrate
from sandbox.fake_aws import FakeAws
from sandbox.seed_aws import role_arn

SEOUL = ZoneInfo("Asia/Seoul")
SAMPLE_DAYS = 15  # the last 7 days and the week of last Monday's digest (/fire)
MAX_REPLICAS = 6
JOBS_PER_REPLICA = 5
COOLDOWN_MINUTES = 5
ENGINE_GROUP = "/rtb-ai-hub/workflow-engine"
BOT_ROLE, HUB_ROLE, CI_ROLE = "rtb-ops-bot", "rtb-hub-sa", "ci-deployer"
SAMPLE_COLUMNS = ("minute", "desired", "ready", "keda_paused", "active", "waiting", "sampled_by")
Row = tuple[Any, ...]


# -- workflow-engine samples -----------------------------------------------------------------


async def seed_engine_samples(bot_url: str, now: datetime) -> int:
    """Migrate the bot's database (the table is the bot's) and fill 8 days of samples."""
    db = Database("PostgreSQL (bot)", bot_url)
    await db.open()
    try:
        await migrate(db)
    finally:
        await db.close()
    rows = list(engine_samples(now))
    columns = ", ".join(SAMPLE_COLUMNS)
    async with await psycopg.AsyncConnection.connect(bot_url) as conn:
        async with conn.cursor().copy(
            f"COPY rtb_bot.engine_samples ({columns}) FROM STDIN"
        ) as copy:
            for row in rows:
                await copy.write_row(row)
        await conn.commit()
    return len(rows)


def engine_samples(now: datetime) -> Iterator[Row]:
    rng = random.Random(31)  # noqa: S311 (deterministic fixture data)
    last = now.astimezone(UTC).replace(second=0, microsecond=0)
    first = last - timedelta(days=SAMPLE_DAYS)
    replicas, quiet = 0, 0
    minute = first
    while minute < last:
        local = minute.astimezone(SEOUL)
        days_ago = (now.astimezone(SEOUL).date() - local.date()).days
        jobs = _load(rng, local)
        paused = days_ago == 3 and local.hour == 14
        if paused:
            replicas, jobs = 2, 0
        elif _lunch(local):
            replicas, jobs = max(replicas, 2), 0
        else:
            replicas, quiet = _keda(replicas, quiet, jobs)
        active = min(jobs, replicas * 2)
        redis_down = days_ago == 4 and local.hour == 16 and local.minute < 40
        yield (
            minute,
            replicas,
            replicas if rng.random() > 0.05 else max(0, replicas - 1),
            paused,
            None if redis_down else active,
            None if redis_down else jobs - active,
            "rtb-ops-bot-7c9f-sandbox",
        )
        minute += timedelta(minutes=1)


def _load(rng: random.Random, local: datetime) -> int:
    """BullMQ active + waiting: working hours on weekdays, bursts of Jira work."""
    if local.weekday() >= 5:
        return rng.choice((0,) * 40 + (1, 2))
    if not 8 <= local.hour < 20:
        return 0
    burst = local.minute // 20 % 2 == 0 and rng.random() < 0.7
    return rng.randint(3, 28) if burst else rng.choice((0, 0, 0, 1, 2))


def _lunch(local: datetime) -> bool:
    return local.weekday() < 5 and local.hour == 12


def _keda(replicas: int, quiet: int, jobs: int) -> tuple[int, int]:
    """KEDA: scale up at once to the load, down to 0 after COOLDOWN_MINUTES with no jobs."""
    wanted = min(MAX_REPLICAS, -(-jobs // JOBS_PER_REPLICA))
    if wanted >= replicas and jobs:
        return wanted, 0
    if jobs:
        return replicas, 0
    quiet += 1
    return (0, quiet) if quiet >= COOLDOWN_MINUTES else (replicas, quiet)


# -- CloudTrail (the role's side) --------------------------------------------------------------


def seed_weekly_trail(fake: FakeAws, accounts: Mapping[str, str], now: datetime) -> None:
    home = accounts["int"]
    today = now.astimezone(SEOUL).replace(hour=0, minute=0, second=0, microsecond=0)
    for days_ago in range(1, 22):
        day = today - timedelta(days=days_ago)
        if day.weekday() >= 5:
            continue
        users = ["UOPERATOR1", "ULEAD1", "ULEAD2"] + (["UOPERATOR2"] if days_ago <= 7 else [])
        for n, user in enumerate(users):
            env = "prd" if n % 2 else "stg"
            at = day + timedelta(hours=9 + n * 2, minutes=17)
            fake.add_trail_event(accounts[env], _bot_call(home, accounts[env], user, at))
        for env in ("stg", "prd"):
            at = day + timedelta(hours=11, minutes=days_ago)
            fake.add_trail_event(accounts[env], _hub_call(home, accounts[env], at))
    prd = accounts["prd"]
    for minutes in (0, 4):
        at = today - timedelta(days=3) + timedelta(hours=15, minutes=minutes)
        fake.add_trail_event(prd, _hub_call(home, prd, at, issue="PROJ-288", denied=True))
    ci_day = today - timedelta(days=2) + timedelta(hours=22, minutes=41)
    fake.add_trail_event(prd, _ci_call(home, prd, ci_day, denied=True))
    fake.add_trail_event(prd, _ci_call(home, prd, ci_day + timedelta(minutes=3), denied=False))


def _role_id(account: str, role: str) -> str:
    return f"AROA{account[-6:]}{role.upper().replace('-', '')[:10]}"


def _cross_account(
    home: str, target: str, role: str, session: str, at: datetime, **request: Any
) -> dict[str, Any]:
    """AssumeRole as the target role's account records a caller from `home`."""
    return {
        "eventName": "AssumeRole",
        "eventTime": at,
        "userIdentity": {
            "type": "AWSAccount",
            "principalId": f"{_role_id(home, role)}:{session}",
            "accountId": home,
        },
        "sourceIPAddress": "10.0.21.17",
        "requestParameters": {
            "roleArn": role_arn(target),
            "roleSessionName": session,
            "durationSeconds": 3600,
            **request,
        },
        "resources": [{"type": "AWS::IAM::Role", "ARN": role_arn(target)}],
        "readOnly": True,
    }


def _bot_call(home: str, target: str, user: str, at: datetime) -> dict[str, Any]:
    return _cross_account(home, target, BOT_ROLE, f"rtb-bot.{user}", at, sourceIdentity=user)


def _hub_call(
    home: str, target: str, at: datetime, *, issue: str = "PROJ-200", denied: bool = False
) -> dict[str, Any]:
    session = f"rtb-hub.preview-{issue}"
    return _denied(_cross_account(home, target, HUB_ROLE, session, at), denied)


def _ci_call(home: str, target: str, at: datetime, *, denied: bool) -> dict[str, Any]:
    return _denied(_cross_account(home, target, CI_ROLE, "gha-release-1187", at), denied)


def _denied(record: dict[str, Any], denied: bool) -> dict[str, Any]:
    if denied:
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = "not authorized to perform: sts:AssumeRole"
    return record


# -- cleanupExpired() failures ---------------------------------------------------------------


def seed_cleanup_failures(fake: FakeAws, now: datetime) -> None:
    today = now.astimezone(SEOUL).replace(hour=0, minute=0, second=0, microsecond=0)
    fake.add_log_group(ENGINE_GROUP)
    stuck = today - timedelta(days=4) + timedelta(hours=6)
    for hour in range(9):
        fake.add_log_line(
            ENGINE_GROUP,
            _cleanup_line(
                stuck + timedelta(hours=hour),
                "stg",
                "PROJ-96",
                "namespace preview-proj-96 is still Terminating: finalizer "
                "kubernetes.io/pvc-protection",
            ),
        )
    for minutes in (0, 60, 120):
        at = today - timedelta(days=2) + timedelta(hours=3, minutes=minutes)
        fake.add_log_line(
            ENGINE_GROUP,
            _cleanup_line(
                at,
                "prd",
                "PROJ-88",
                "AssumeRole arn:aws:iam::333333333333:role/rtb-hub-deployer: AccessDenied",
            ),
        )
    fake.add_log_line(
        ENGINE_GROUP,
        _cleanup_line(today - timedelta(days=6, hours=-2), "int", "PROJ-111", "HTTP 404"),
    )
    for days, hours in ((9, 4), (11, 4), (13, 4)):  # the week of last Monday's digest
        at = today - timedelta(days=days) + timedelta(hours=hours)
        fake.add_log_line(
            ENGINE_GROUP, _cleanup_line(at, "stg", "PROJ-77", "HTTP 403 Forbidden (namespaces)")
        )
    for at in overdue_cleanup_times(now):
        fake.add_log_line(
            ENGINE_GROUP,
            _cleanup_line(at, "int", "PROJ-130", "namespace preview-proj-130: HTTP 409 Conflict"),
        )


def overdue_cleanup_times(now: datetime) -> list[datetime]:
    """PROJ-130's hourly failures since it expired 5 h ago. Between 00:10 and 04:10 local time
    some of them fall before today's midnight, so last week's digest rightly counts those."""
    return [now - timedelta(hours=hours, minutes=10) for hours in range(5)]


def _cleanup_line(at: datetime, env: str, issue: str, error: str) -> dict[str, Any]:
    return {
        "level": "error",
        "time": int(at.timestamp() * 1000),
        "service": "workflow-engine",
        "env": env,
        "issueKey": issue,
        "err": {"type": "Error", "message": error},
        "msg": "cleanupExpired(): failed to delete expired preview",
    }
