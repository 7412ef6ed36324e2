"""What moto cannot hold, seeded into the sandbox's FakeAws: CloudTrail, Pino logs, latency.

The story (every time relative to `now`):

* CloudTrail (int's account): the bot's AssumeRole calls into stg and prd `rtb-hub-deployer`
  over the last day, each with the Slack user as SourceIdentity (among them the ones that
  created prd's previews, seconds before their namespaces: the hub may not create namespaces
  there); the hub's own successful calls into stg when it created its previews there; and two
  AccessDenied, about 40 minutes ago, when the hub's service account
  (`assumed-role/rtb-hub-sa/…`) tried to assume prd's `rtb-hub-deployer` for the preview of
  PROJ-300 — the "preview not created" case of runbook §5.3.
* CloudTrail (stg's and prd's accounts): the AWS calls that changed something through
  `rtb-hub-deployer` sessions in the last day (`/rtb trail all --changes`): the bot's, each with
  the Slack user as SourceIdentity (one approved by a lead, one refused with AccessDenied), and
  the hub's own for a preview (no Slack user); plus int's writes by the bot's own role, which
  are not the deployer's. CloudTrail holds AWS calls only: the Kubernetes side of a scale, a
  rollback or a namespace delete is not in it, so these are the AWS calls around them.
* Logs (Pino JSON lines, Logs Insights groups `/rtb-ai-hub/<service>` and
  `/rtb-ai-hub/preview/<env>`): three hours of webhook-listener, workflow-engine and
  auth-service lines (Claude API 529 errors, the PROJ-300 preview-deploy failure, slow webhook
  answers in the last 12 minutes) and preview pods' lines, at the moments seed_kube's clusters
  say they happened (each app listening once its pod started, the OOMKilled worker's last run
  in stg's PROJ-118, the slow Fargate start of prd's PROJ-101 after its restart, PROJ-130's
  failed cleanup when it expired). workflow-engine's pod log in int gets the
  PROJ-300 lines too, so the pod and CloudWatch tell the same story. Each env's groups are in
  its own account (int reads stg's and prd's through the OAM link): stg and prd have their
  own workflow-engine lines (their pods' log, seed_kube.ENGINE_LOG), auth-service lines, an
  empty webhook-listener group and their preview group, so `/rtb search all --env stg` works.
* Metrics: the webhook-listener latency datapoints of `seed_aws` (same seed, same values),
  so GetMetricData p99 (which moto cannot compute) answers ~4.2 s: red.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.fake_aws import FakeAws
from sandbox.fake_kube import FakeKubeServer
from sandbox.seed_aws import (
    LATENCY_DIMENSIONS,
    LATENCY_METRIC,
    LATENCY_NAMESPACE,
    latency_points,
    role_arn,
)
from sandbox.seed_kube import (
    ENGINE_LOG,
    HUB_NAMESPACE,
    KEDA_TARGET,
    OOM_LAST_RUN,
    POD_AFTER_NAMESPACE,
    PREVIEWS,
    RESTARTED_AGO,
    SLOW_START,
    Preview,
    pino_line,
    pods_of,
)

LATENCY_SEED = 11  # seed_aws.seed_latency's
HUB_SA_ROLE = "rtb-hub-sa"
BOT_ROLE = "rtb-ops-bot"
FAILED_PREVIEW = "PROJ-300"
SERVICES = ("webhook-listener", "workflow-engine", "auth-service")
PREVIEW_ENVS = ("int", "stg", "prd")
LOG_HOURS = 3

# The bot's AssumeRole calls: (hours ago, Slack user, target env).
BOT_SESSIONS: tuple[tuple[float, str, str], ...] = (
    (0.2, "UOPERATOR1", "prd"),
    (0.9, "ULEAD1", "prd"),
    (1.5, "UOPERATOR2", "stg"),
    (3.0, "UOPERATOR1", "stg"),
    (5.5, "UVIEWER1", "prd"),
    (8.0, "ULEAD2", "stg"),
    (11.0, "UOPERATOR1", "prd"),
    (16.0, "UOPERATOR2", "stg"),
    (22.0, "ULEAD1", "stg"),
)
# The hub's refused calls for PROJ-300's preview: minutes ago.
DENIED_MINUTES = (42, 37)
ASSUMED_BEFORE_CREATED = timedelta(seconds=8)  # the caller's AssumeRole, then the namespace

# Write calls through the deployer role: (hours ago, env, service, event name, resource type,
# resource, session, Slack user (SourceIdentity; "" for the hub), error code).
DEPLOYER_WRITES: tuple[tuple[float, str, str, str, str, str, str, str, str], ...] = (
    (
        0.4,
        "prd",
        "eks",
        "UpdateNodegroupConfig",
        "AWS::EKS::Nodegroup",
        "rtb-prd/preview-workers",
        "rtb-bot.UOPERATOR1.by.ULEAD1",
        "UOPERATOR1",
        "",
    ),
    (
        1.2,
        "prd",
        "logs",
        "PutRetentionPolicy",
        "AWS::Logs::LogGroup",
        "/rtb-ai-hub/preview/prd",
        "rtb-hub.preview-PROJ-109",
        "",
        "",
    ),
    (
        2.6,
        "stg",
        "monitoring",
        "DisableAlarmActions",
        "AWS::CloudWatch::Alarm",
        "rtb-hub-stg-preview-pod-restarts",
        "rtb-bot.UOPERATOR2",
        "UOPERATOR2",
        "",
    ),
    (
        6.5,
        "stg",
        "logs",
        "DeleteLogGroup",
        "AWS::Logs::LogGroup",
        "/rtb-ai-hub/preview/stg/proj-099",
        "rtb-bot.UOPERATOR1",
        "UOPERATOR1",
        "",
    ),
    (
        9.0,
        "prd",
        "eks",
        "UpdateNodegroupConfig",
        "AWS::EKS::Nodegroup",
        "rtb-prd/preview-workers",
        "rtb-bot.ULEAD2",
        "ULEAD2",
        "AccessDenied",
    ),
)

# workflow-engine's PROJ-300 run: (seconds ago, level, duration ms, message).
PREVIEW_300_LOG: tuple[tuple[int, str, int | None, str], ...] = (
    (2530, "info", None, "workflow started"),
    (2525, "info", None, "creating preview namespace preview-proj-300 in prd"),
    (
        2521,
        "error",
        None,
        "AssumeRole arn:aws:iam::333333333333:role/rtb-hub-deployer failed: AccessDenied",
    ),
    (2221, "info", None, "retrying preview-deploy (attempt 2 of 2)"),
    (
        2218,
        "error",
        None,
        "AssumeRole arn:aws:iam::333333333333:role/rtb-hub-deployer failed: AccessDenied",
    ),
    (2217, "error", 313400, "preview-deploy failed: cannot reach the prd cluster"),
)


def seed_trail_logs(
    fake: FakeAws,
    accounts: Mapping[str, str],
    *,
    now: datetime,
    kube: Mapping[str, FakeKubeServer] | None = None,
) -> None:
    """Seed `fake` (and, given the clusters, int's workflow-engine pod log)."""
    now = now.astimezone(UTC)
    seed_trail(fake, accounts, now)
    seed_deployer_writes(fake, accounts, now)
    seed_logs(fake, accounts, now)
    seed_latency_points(fake, accounts["int"], now)
    if kube is not None and "int" in kube:
        seed_engine_pod_log(kube["int"], now)


# -- CloudTrail ------------------------------------------------------------------------------


def seed_trail(fake: FakeAws, accounts: Mapping[str, str], now: datetime) -> None:
    home = accounts["int"]
    for hours, user, target in BOT_SESSIONS:
        fake.add_trail_event(home, bot_assume_role(home, accounts[target], user, now, hours))
    for preview in PREVIEWS["prd"]:  # created through the bot (`/rtb preview create prd`)
        ago = (preview.age + ASSUMED_BEFORE_CREATED) / timedelta(hours=1)
        record = bot_assume_role(home, accounts["prd"], preview.requested_by, now, ago)
        fake.add_trail_event(home, record)
    for preview in PREVIEWS["stg"]:  # created by the hub itself
        moment = preview.created(now) - ASSUMED_BEFORE_CREATED
        fake.add_trail_event(home, hub_assume_role(home, accounts["stg"], preview.issue, moment))
    for minutes in DENIED_MINUTES:
        moment = now - timedelta(minutes=minutes)
        record = hub_assume_role(home, accounts["prd"], FAILED_PREVIEW, moment, denied=True)
        fake.add_trail_event(home, record)


def seed_deployer_writes(fake: FakeAws, accounts: Mapping[str, str], now: datetime) -> None:
    """`DEPLOYER_WRITES` in their env's account, and int's writes by the bot's own role."""
    for hours, env, service, name, kind, resource, session, user, error in DEPLOYER_WRITES:
        record = deployer_write(accounts[env], service, name, (kind, resource), session, user)
        record["eventTime"] = now - timedelta(hours=hours)
        if error:
            record["errorCode"] = error
            record["errorMessage"] = f"not authorized to perform: {service}:{name}"
        fake.add_trail_event(accounts[env], record)
    home = accounts["int"]
    for minutes in (5, 65, 125):
        fake.add_trail_event(
            home,
            {
                "eventName": "PutMetricData",
                "eventSource": "monitoring.amazonaws.com",
                "eventTime": now - timedelta(minutes=minutes),
                "userIdentity": _assumed_identity(home, BOT_ROLE, "rtb-ops-bot-6f7d9c"),
                "readOnly": False,
            },
        )


def deployer_write(
    account: str,
    service: str,
    name: str,
    resource: tuple[str, str],
    session: str,
    user: str,
) -> dict[str, Any]:
    """A write call by a `rtb-hub-deployer` session (SourceIdentity `user`, "" for none)."""
    identity = _assumed_identity(account, "rtb-hub-deployer", session)
    if user:
        identity["sessionContext"]["sourceIdentity"] = user
    return {
        "eventName": name,
        "eventSource": f"{service}.amazonaws.com",
        "userIdentity": identity,
        "sourceIPAddress": "10.0.21.17" if user else "10.0.14.52",
        "resources": [{"type": resource[0], "ARN": resource[1]}],
        "readOnly": False,
    }


def _assumed_identity(account: str, role: str, session: str) -> dict[str, Any]:
    role_id = f"AROA{account[-6:]}{role.upper().replace('-', '')[:10]}"
    return {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": f"ASIA{account[-4:]}{zlib.crc32(session.encode()) % 10**8:08d}",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"mfaAuthenticated": "false"},
        },
    }


def bot_assume_role(
    home: str, target: str, user: str, now: datetime, hours_ago: float
) -> dict[str, Any]:
    """The bot (IRSA role rtb-ops-bot) assuming a deployer role for a Slack user."""
    session = f"rtb-bot.{user}"
    return {
        "eventName": "AssumeRole",
        "eventTime": now - timedelta(hours=hours_ago),
        "userIdentity": _assumed_identity(home, BOT_ROLE, "rtb-ops-bot-6f7d9c"),
        "sourceIPAddress": "10.0.21.17",
        "userAgent": "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux",
        "requestParameters": {
            "roleArn": role_arn(target),
            "roleSessionName": session,
            "sourceIdentity": user,
            "durationSeconds": 3600,
            "tags": [{"key": "slack-user", "value": user}],
        },
        "responseElements": {
            "assumedRoleUser": {
                "arn": f"arn:aws:sts::{target}:assumed-role/rtb-hub-deployer/{session}"
            },
            "sourceIdentity": user,
        },
        "resources": [{"type": "AWS::IAM::Role", "ARN": role_arn(target)}],
        "readOnly": True,
    }


def hub_assume_role(
    home: str, target: str, issue: str, moment: datetime, denied: bool = False
) -> dict[str, Any]:
    """The hub's workflow-engine (service account rtb-hub-sa) assuming a deployer role."""
    caller = _assumed_identity(home, HUB_SA_ROLE, f"botocore-session-{int(moment.timestamp())}")
    record: dict[str, Any] = {
        "eventName": "AssumeRole",
        "eventTime": moment,
        "userIdentity": caller,
        "sourceIPAddress": "10.0.14.52",
        "userAgent": "aws-sdk-js/3.614.0 ua/2.1 os/linux lang/js md/nodejs#20.15.1",
        "requestParameters": {
            "roleArn": role_arn(target),
            "roleSessionName": f"rtb-hub.preview-{issue}",
            "durationSeconds": 3600,
        },
        "resources": [{"type": "AWS::IAM::Role", "ARN": role_arn(target)}],
        "readOnly": True,
    }
    if denied:
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = (
            f"User: {caller['arn']} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role_arn(target)}"
        )
    return record


# -- logs ------------------------------------------------------------------------------------


def log_line(
    service: str, env: str, moment: datetime, level: str, msg: str, **fields: Any
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "level": level,
        "time": int(moment.timestamp() * 1000),
        "service": service,
        "env": env,
    }
    line.update({k: v for k, v in fields.items() if v is not None})
    line["msg"] = msg
    return line


def seed_logs(fake: FakeAws, accounts: Mapping[str, str], now: datetime) -> None:
    """Each env's groups in its own account (int reads stg's and prd's through OAM)."""
    for env in PREVIEW_ENVS:
        for group, lines in env_log_groups(env, now).items():
            fake.add_log_group(group, account=accounts[env])
            for line in lines:
                fake.add_log_line(group, line, account=accounts[env])


def env_log_groups(env: str, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """int: the story above. stg, prd: their own workflow-engine (the pods' lines of
    seed_kube), quiet webhook-listener and auth-service, their previews."""
    if env == "int":
        services = {
            "webhook-listener": webhook_lines(now),
            "workflow-engine": engine_lines(now),
            "auth-service": auth_lines(now),
        }
    else:
        services = {
            "webhook-listener": [],
            "workflow-engine": [json.loads(pino_line(env, now, *e)) for e in ENGINE_LOG],
            "auth-service": auth_lines(now, env, warn=False),
        }
    groups = {f"/rtb-ai-hub/{service}": lines for service, lines in services.items()}
    return groups | {f"/rtb-ai-hub/preview/{env}": preview_lines(env, now)}


def webhook_lines(now: datetime) -> list[dict[str, Any]]:
    """A Jira webhook every ~6 minutes; answers slow (~4.2 s) in the last 12 minutes."""
    rng = random.Random(23)  # noqa: S311 (deterministic fixture data)
    lines = []
    for n, minutes in enumerate(range(LOG_HOURS * 60, 0, -6)):
        issue = f"PROJ-{120 + n % 15}"
        slow = minutes <= 12
        duration = int(rng.uniform(3900, 4500) if slow else rng.uniform(120, 800))
        moment = now - timedelta(minutes=minutes)
        lines.append(
            log_line(
                "webhook-listener", "int", moment, "info", "jira webhook received", issueKey=issue
            )
        )
        level, msg = ("warn", "slow response to Jira") if slow else ("info", "webhook enqueued")
        lines.append(
            log_line(
                "webhook-listener",
                "int",
                moment + timedelta(milliseconds=duration),
                level,
                msg,
                issueKey=issue,
                durationMs=duration,
            )
        )
    return lines


def engine_lines(now: datetime) -> list[dict[str, Any]]:
    """The pod's story (seed_kube.ENGINE_LOG, PROJ-300) plus 529s over the last hours."""
    lines = [json.loads(text) for text in engine_texts(now)]
    for minutes, issue in ((170, "PROJ-102"), (131, "PROJ-107"), (95, "PROJ-111")):
        moment = now - timedelta(minutes=minutes)
        lines.append(
            log_line(
                KEDA_TARGET,
                "int",
                moment,
                "error",
                "Claude API 529 overloaded",
                issueKey=issue,
                workflowType="jira-auto-dev",
                durationMs=15200,
            )
        )
    return sorted(lines, key=lambda line: int(line["time"]))


def engine_texts(now: datetime) -> list[str]:
    """workflow-engine's Pino lines, oldest first: the PROJ-300 run, then seed_kube's."""
    ours = [
        pino_line("int", now, ago, level, FAILED_PREVIEW, "preview-deploy", duration, msg)
        for ago, level, duration, msg in PREVIEW_300_LOG
    ]
    theirs = [pino_line("int", now, *event) for event in ENGINE_LOG]
    return sorted(ours + theirs, key=lambda text: int(json.loads(text)["time"]))


def auth_lines(now: datetime, env: str = "int", *, warn: bool = True) -> list[dict[str, Any]]:
    lines = [
        log_line("auth-service", env, now - timedelta(minutes=m), "info", "token refreshed")
        for m in range(LOG_HOURS * 60, 0, -20)
    ]
    if warn:
        lines.append(
            log_line(
                "auth-service",
                "int",
                now - timedelta(minutes=64),
                "warn",
                "GitHub App installation token near expiry",
            )
        )
    return lines


def preview_lines(env: str, now: datetime) -> list[dict[str, Any]]:
    """Each preview's lines, when its pods (seed_kube) say they happened."""
    lines = [line for preview in PREVIEWS[env] for line in _preview_story(env, preview, now)]
    return sorted(lines, key=lambda line: int(line["time"]))


def _preview_story(env: str, preview: Preview, now: datetime) -> list[dict[str, Any]]:
    def line(moment: datetime, level: str, msg: str, **fields: Any) -> dict[str, Any]:
        return log_line("preview", env, moment, level, msg, issueKey=preview.issue, **fields)

    app_ready = preview.created(now) + POD_AFTER_NAMESPACE + timedelta(seconds=3)
    story = [line(app_ready, "info", "listening on :3000")]
    if preview.expires_in < timedelta(0):
        expired = now + preview.expires_in
        story.append(
            line(expired, "warn", "preview past its TTL; cleanupExpired() failed: timed out")
        )
    if preview.extra == "slow-start":
        ready = now - RESTARTED_AGO + SLOW_START
        seconds = int(SLOW_START.total_seconds())
        story += [
            line(
                ready,
                "warn",
                f"pod app Ready {seconds} s after creation (Fargate cold start)",
                durationMs=seconds * 1000,
            ),
            line(ready + timedelta(seconds=2), "info", "listening on :3000"),
        ]
    if preview.extra == "oom-pod":
        started, killed = (now - ago for ago in OOM_LAST_RUN)
        story += [
            line(started, "info", "worker started", pod="worker"),
            line(
                killed - timedelta(seconds=1),
                "fatal",
                "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
                pod="worker",
            ),
            line(
                killed,
                "error",
                "container worker OOMKilled (exit code 137, limit 256Mi)",
                pod="worker",
            ),
        ]
    return story


def seed_engine_pod_log(server: FakeKubeServer, now: datetime) -> None:
    """int's workflow-engine pods: seed_kube's lines plus the PROJ-300 run, oldest first."""
    text = "".join(line + "\n" for line in engine_texts(now))
    for pod in pods_of(server, HUB_NAMESPACE, KEDA_TARGET):
        server.set_pod_logs(HUB_NAMESPACE, pod["metadata"]["name"], text)


# -- metrics ---------------------------------------------------------------------------------


def seed_latency_points(fake: FakeAws, account: str, now: datetime) -> None:
    """seed_aws.seed_latency's datapoints (same random seed), for the p99 moto cannot do."""
    points = latency_points(now, random.Random(LATENCY_SEED))  # noqa: S311 (fixture data)
    fake.add_metric_points(account, LATENCY_NAMESPACE, LATENCY_METRIC, LATENCY_DIMENSIONS, points)
