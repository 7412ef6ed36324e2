"""What an incident card offers for its alarm: the reads Investigate runs, and the isolate /
recover actions (runbook §5.1 steps 2–4), as `/rtb` command lines.

Both are command lines on purpose: Investigate runs them through the command table exactly as if
the clicker had typed them (the same parsing, the same answers), and an action button runs its
line through the same command, hence the same policy gate and approval flow as the slash command
(a prd change from the card needs a lead's approval exactly as from a command; there is no
second path to a mutation). The thread says which command ran, so it can be typed again.

The rules are data, first match wins (`RULES`); an alarm is matched on its name and its metric:
- queue depth (`rtb-hub-bullmq-queue-depth`) → `diagnose backlog`; pause the queue, scale
  workflow-engine to 3 (the runbook §5.3 number, bypassing KEDA);
- error rate → the service's error lines of the last hour and the failed executions; roll the
  service back, or scale it to 0 (which asks "are you sure?");
- preview (before errors and costs: a preview's error alarm is about that preview) →
  `diagnose preview <KEY>` (or the env's previews when no key can be told); scale the preview's
  deployment to 0 when the alarm names it;
- cost → `diagnose costs`; pause the queue (the runaway workflows come from it);
- anything else → the env's status and the service's recent error lines; roll the service back.

Hub actions (rtb-ai-hub's own deployments and queues) are offered only for an alarm in int: the
hub in stg/prd is core infrastructure the policy always refuses, and a button that can only be
refused is noise at 3 a.m.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from handlers.render.i18n import _
from ops.config import EnvName

HUB_SERVICES = ("webhook-listener", "workflow-engine", "auth-service")
ENGINE = "workflow-engine"
BACKLOG_REPLICAS = 3  # runbook §5.3: kubectl scale deploy workflow-engine --replicas=3
_SERVICE_KEYS = ("ServiceName", "Service", "service", "DeploymentName", "Deployment")
_QUEUE_KEYS = ("QueueName", "Queue", "queue")
_DEPLOYMENT_KEYS = ("DeploymentName", "Deployment", "deployment")
_ISSUE_KEY = re.compile(r"\b([A-Za-z][A-Za-z0-9]{0,19}-[1-9][0-9]{0,8})\b")
_PREVIEW_NAMESPACE = re.compile(r"^preview-([a-z][a-z0-9]{0,19}-[1-9][0-9]{0,8})$")


@dataclass(frozen=True)
class AlarmSubject:
    """What the card knows of the alarm (from its notification)."""

    name: str
    env: EnvName | None  # None: an account the config does not name
    metric: str = ""
    namespace: str = ""
    dimensions: Mapping[str, str] | None = None

    def dimension(self, keys: Sequence[str]) -> str | None:
        for key in keys:
            value = (self.dimensions or {}).get(key)
            if value:
                return str(value)
        return None

    @property
    def words(self) -> str:
        return f"{self.name} {self.metric} {self.namespace}".lower()


@dataclass(frozen=True)
class CardAction:
    """One isolate/recover button: `key` names it in the button (the line is rebuilt from the
    incident when clicked, never read from the button)."""

    key: str
    label: str
    line: str  # a /rtb command line without "/rtb "
    style: str | None = None


@dataclass(frozen=True)
class Playbook:
    kind: str  # backlog, errors, costs, preview, service
    reads: tuple[str, ...]
    actions: tuple[CardAction, ...]


@dataclass(frozen=True)
class Rule:
    kind: str
    words: tuple[str, ...]  # any of them in the alarm's name, metric or namespace
    build: Callable[[AlarmSubject, Sequence[str]], Playbook]


def service_of(alarm: AlarmSubject) -> str:
    """The hub service the alarm is about: a dimension, or a service named in the alarm;
    workflow-engine when nothing says (it does the work behind every queue and error rate)."""
    named = alarm.dimension(_SERVICE_KEYS)
    if named in HUB_SERVICES:
        return named
    return next((s for s in HUB_SERVICES if s in alarm.words), ENGINE)


def queue_of(alarm: AlarmSubject, queues: Sequence[str]) -> str | None:
    named = alarm.dimension(_QUEUE_KEYS)
    if named:
        return named.lower()
    return next((q for q in queues if q in alarm.words), queues[0] if queues else None)


def issue_key_of(alarm: AlarmSubject) -> str | None:
    namespace = (alarm.dimension(("Namespace", "namespace")) or "").lower()
    match = _PREVIEW_NAMESPACE.match(namespace)
    if match:
        return match[1].upper()
    named = alarm.dimension(("IssueKey", "issueKey")) or alarm.name
    found = _ISSUE_KEY.search(named)
    return found[1].upper() if found and not found[1].lower().startswith("rtb-") else None


def _hub(alarm: AlarmSubject, *actions: CardAction | None) -> tuple[CardAction, ...]:
    return tuple(a for a in actions if a is not None) if alarm.env == "int" else ()


def _pause(queue: str | None) -> CardAction | None:
    if queue is None:
        return None
    label = _("Pause {queue}", queue=queue)
    return CardAction("pause-queue", label, f"queue pause {queue}", "danger")  # a name


def _rollback(env: EnvName, service: str) -> CardAction:
    label = _("Roll back {service}", service=service)
    return CardAction("rollback", label, f"rollback {env} {service}")


def _scale(env: EnvName, deployment: str, replicas: int, namespace: str = "") -> CardAction:
    suffix = f" --namespace {namespace}" if namespace else ""
    return CardAction(
        "scale",
        _("Scale {deployment} to {replicas}", deployment=deployment, replicas=replicas),
        f"scale {env} {deployment} {replicas}{suffix}",
        "danger" if replicas == 0 else None,
    )


def _backlog(alarm: AlarmSubject, queues: Sequence[str]) -> Playbook:
    actions = _hub(alarm, _pause(queue_of(alarm, queues)), _scale("int", ENGINE, BACKLOG_REPLICAS))
    return Playbook("backlog", ("diagnose backlog",), actions)  # a name: a command line


def _errors(alarm: AlarmSubject, queues: Sequence[str]) -> Playbook:
    service = service_of(alarm)
    reads = (_error_lines(alarm, service), "executions --status failed --since 1h")  # a name
    actions = _hub(alarm, _rollback("int", service), _scale("int", service, 0))
    return Playbook("errors", reads, actions)


def _error_lines(alarm: AlarmSubject, service: str) -> str:
    """The last hour's error lines in the alarm's env: stg's and prd's lines are in their own
    accounts' groups (read through OAM), so without `--env` the search would read int's."""
    where = f" --env {alarm.env}" if alarm.env in ("stg", "prd") else ""
    return f"search {service} --level error --since 1h{where}"  # a name: a command line


def _costs(alarm: AlarmSubject, queues: Sequence[str]) -> Playbook:
    reads = ("diagnose costs",)  # a name: a command line
    return Playbook("costs", reads, _hub(alarm, _pause(queue_of(alarm, queues))))


def _preview(alarm: AlarmSubject, queues: Sequence[str]) -> Playbook:
    key = issue_key_of(alarm)
    if key is None:
        return Playbook("preview", (f"previews {alarm.env or ''}".strip(),), ())
    deployment, env = alarm.dimension(_DEPLOYMENT_KEYS), alarm.env
    if deployment is None or env is None:
        return Playbook("preview", (f"diagnose preview {key}",), ())  # a name
    actions = (_scale(env, deployment, 0, f"preview-{key.lower()}"),)
    return Playbook("preview", (f"diagnose preview {key}",), actions)  # a name


def _service(alarm: AlarmSubject, queues: Sequence[str]) -> Playbook:
    service = service_of(alarm)
    reads = (f"status {alarm.env or ''}".strip(), _error_lines(alarm, service))
    return Playbook("service", reads, _hub(alarm, _rollback("int", service)))


RULES = (
    Rule("backlog", ("queue-depth", "queuedepth", "waitingjobs", "backlog"), _backlog),
    Rule("preview", ("preview",), _preview),
    Rule("errors", ("error-rate", "errorrate", "errors", "5xx", "failed"), _errors),
    Rule("costs", ("cost", "spend", "billing"), _costs),
)


def playbook_for(alarm: AlarmSubject, queues: Sequence[str]) -> Playbook:
    """The first rule whose words the alarm mentions; the service playbook otherwise."""
    words = alarm.words
    for rule in RULES:
        if any(word in words for word in rule.words):
            return rule.build(alarm, queues)
    return _service(alarm, queues)


def action_for(alarm: AlarmSubject, queues: Sequence[str], key: str) -> CardAction | None:
    """The action a button named `key` stands for, rebuilt from the alarm (None: not offered)."""
    return next((a for a in playbook_for(alarm, queues).actions if a.key == key), None)
