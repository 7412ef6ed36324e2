import io
import json

import structlog

from bot.logs import REDACTED, configure_logging


def test_lines_are_json_with_pino_fields_and_secrets_redacted():
    stream = io.StringIO()
    configure_logging(env="stg", secrets=["s3cr3t-signing-value"], stream=stream)
    log = structlog.get_logger("t")
    with structlog.contextvars.bound_contextvars(user="U1", correlation_id="abc"):
        log.info(
            "token xoxb-1234-abcd used",
            url="postgresql://bot:hunter2@db/x",
            nested={"k": "s3cr3t-signing-value"},
        )
    line = json.loads(stream.getvalue().strip())
    assert line["level"] == "info" and line["service"] == "rtb-ops-bot" and line["env"] == "stg"
    assert (
        isinstance(line["time"], int) and line["user"] == "U1" and line["correlation_id"] == "abc"
    )
    assert line["msg"] == f"token {REDACTED} used"
    assert "hunter2" not in json.dumps(line) and "s3cr3t" not in json.dumps(line)


def test_stdlib_loggers_go_through_the_same_redaction():
    import logging

    stream = io.StringIO()
    configure_logging(secrets=["another-secret-1"], stream=stream)
    logging.getLogger("slack_bolt.App").warning("auth with xapp-1-AAA and another-secret-1")
    line = json.loads(stream.getvalue().strip())
    assert "xapp-1" not in line["msg"] and "another-secret-1" not in line["msg"]
    assert line["level"] == "warning"


def test_credentials_inside_sts_answers_are_redacted():
    from bot.logs import Redactor

    body = '<SessionToken>FQo/abc=</SessionToken> {"SecretAccessKey": "k3y"}'
    assert Redactor().redact(body) == (
        f'<SessionToken>{REDACTED}</SessionToken> {{"SecretAccessKey": "{REDACTED}"}}'
    )


def test_chatty_libraries_stay_at_info_even_when_the_bot_debugs():
    import logging

    configure_logging(level="DEBUG", stream=io.StringIO())
    assert logging.getLogger("botocore").getEffectiveLevel() == logging.INFO
