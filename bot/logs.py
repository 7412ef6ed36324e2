"""JSON log lines with Pino-like fields, secrets redacted.

Every line has `level, time (epoch ms), service, env, msg`, plus whatever is bound for the
request (user, command, correlation_id, approval_id). Library logs (slack_bolt, botocore …) go
through the same processors, so the redaction covers them too.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog

SERVICE = "rtb-ops-bot"
REDACTED = "[REDACTED]"
_PATTERNS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),  # Slack bot/user/app tokens
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?<=://)[^:/@\s]+:[^@/\s]+(?=@)"),  # user:password@ in URLs
    re.compile(r"(?i)(?<=password=)[^&\s]+"),
    # AWS secret keys: 40 base64 characters — not 40 hex digits (a git SHA, e.g. an image tag)
    re.compile(
        r"(?<![A-Za-z0-9/+=])(?![0-9a-f]{40}(?![A-Za-z0-9/+=]))[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
    ),
    re.compile(r"k8s-aws-v1\.[A-Za-z0-9_-]+"),  # EKS bearer tokens
)
# Credentials inside STS answers (XML or JSON), as a DEBUG-level library would print them.
_FIELDS = (
    re.compile(r"(<(?:SecretAccessKey|SessionToken)>)[^<]+"),
    re.compile(r'(?i)("(?:secretaccesskey|sessiontoken)"\s*:\s*")[^"]+'),
)
# Libraries that log whole request/response bodies at DEBUG (credentials, log lines, user data):
# never below INFO, whatever the bot's own level.
_CHATTY_LIBRARIES = ("botocore", "boto3", "urllib3", "s3transfer", "kubernetes")


class Redactor:
    """A structlog processor replacing known secret values and secret-shaped strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(REDACTED, text)
        for pattern in _FIELDS:
            text = pattern.sub(rf"\1{REDACTED}", text)
        return text

    def __call__(
        self, _: Any, __: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in event.items():
            event[key] = self._value(value)
        return event

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(v) for v in value]
        return value


def _pino_fields(env: str) -> structlog.types.Processor:
    def add(_: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        event["msg"] = event.pop("event", "")
        event.setdefault("level", method if method != "exception" else "error")
        event["time"] = int(time.time() * 1000)
        event["service"] = SERVICE
        event.setdefault("env", env)  # the env a line is about (bound), else the bot's own
        return event

    return add


def configure_logging(
    *,
    env: str = "int",  # where the bot runs (MISSION: int); a bound `env` names the one acted on
    secrets: Iterable[str] = (),
    level: str = "INFO",
    stream: TextIO | None = None,
) -> Redactor:
    """Route structlog and stdlib logging to JSON lines on `stream` (stderr by default)."""
    redactor = Redactor(secrets)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.format_exc_info,
        _pino_fields(env),
        redactor,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared[:-1]],
            processors=[
                redactor,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.INFO))
    return redactor
