"""The bot's configuration schema: one YAML file, validated at start (`rtb-bot check-config`).

It lives in `ops/` rather than `bot/` because every layer reads its own group of it (handlers
read channels, approvals the policy, ops the thresholds) and layers may only import downwards.
Loading the file and the secrets from the environment is `bot.settings`' job. It is a leaf: it
imports nothing of the app (pyproject.toml's import-linter contract says so).

One module per part of the file, each section's fields described for whoever deploys the bot:

* `schema` — `Config`, the whole file, and the rules spanning sections (int is required, stg
  and prd are reached through AssumeRole, the digests' cron expressions, the audit anchor's env);
* `environments` — each env's account and cluster, `aws`, `timeouts`;
* `slack` — `channels`, `language`, `roles`;
* `hub` — `hub`, its `thresholds` and `latency_metric`;
* `alerts` — `pod_watch`, `threshold_alerts`;
* `schedules` — `schedules`, `weekly`, `retention`, `ttl_notice` (and its Jira);
* `approval_flow` — `approvals`, `escalation`, `audit`;
* `incidents` — `incidents`, `pagerduty`;
* `actions` — the action names `policy` and `channels_only` may use;
* `shapes`, `mistakes` — what the sections share: env names, URLs, cron expressions, and naming
  every mistake of one run together.

Import from the package (`from ops.config import Config`): the modules are how it is kept.
"""

from ops.config.actions import MUTATION_ACTIONS, PolicyOutcome
from ops.config.alerts import IndicatorName, IndicatorOwner, PodWatch, ThresholdAlerts
from ops.config.approval_flow import Approvals, Audit, AuditAnchor, Escalation
from ops.config.environments import Aws, Environment, Timeouts
from ops.config.hub import Hub, LatencyMetric, Thresholds
from ops.config.incidents import IncidentRoute, Incidents, PagerDuty
from ops.config.schedules import Jira, Retention, Schedules, TtlNotice, Weekly
from ops.config.schema import Config
from ops.config.shapes import ASSUMED_ROLE_ENVS, ENV_NAMES, EnvName, HttpUrl, Strict
from ops.config.slack import CHANNEL_ALIASES, Channels, Language, LanguageCode, Members, Roles

__all__ = [
    "ASSUMED_ROLE_ENVS",
    "CHANNEL_ALIASES",
    "ENV_NAMES",
    "MUTATION_ACTIONS",
    "Approvals",
    "Audit",
    "AuditAnchor",
    "Aws",
    "Channels",
    "Config",
    "EnvName",
    "Environment",
    "Escalation",
    "HttpUrl",
    "Hub",
    "IncidentRoute",
    "Incidents",
    "IndicatorName",
    "IndicatorOwner",
    "Jira",
    "Language",
    "LanguageCode",
    "LatencyMetric",
    "Members",
    "PagerDuty",
    "PodWatch",
    "PolicyOutcome",
    "Retention",
    "Roles",
    "Schedules",
    "Strict",
    "ThresholdAlerts",
    "Thresholds",
    "Timeouts",
    "TtlNotice",
    "Weekly",
]
