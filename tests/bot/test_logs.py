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


def test_a_line_about_one_env_says_that_env_not_the_bots_own():
    stream = io.StringIO()
    configure_logging(stream=stream)
    log = structlog.get_logger("t")
    with structlog.contextvars.bound_contextvars(env="prd"):
        log.info("rollout finished")
    log.info("idle")
    about_prd, idle = (json.loads(line) for line in stream.getvalue().splitlines())
    assert about_prd["env"] == "prd" and idle["env"] == "int"


def test_a_git_sha_stays_readable_and_a_secret_key_does_not():
    from bot.logs import Redactor

    sha = "3f786850e387550fdab836ed7e6dc881de23001b"
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert Redactor().redact(f"image rtb-hub:{sha}") == f"image rtb-hub:{sha}"
    assert Redactor().redact(f"key {secret}") == f"key {REDACTED}"
    assert Redactor().redact(f"key {sha.upper()}") == f"key {REDACTED}"  # not a git SHA's shape


def test_an_eks_bearer_token_is_redacted():
    from bot.logs import Redactor

    token = "k8s-aws-v1.aHR0cHM6Ly9zdHMuYXAtbm9ydGhlYXN0LTIuYW1hem9uYXdzLmNvbS8_QWN0aW9u"
    assert (
        Redactor().redact(f"Authorization: Bearer {token}") == f"Authorization: Bearer {REDACTED}"
    )


def test_the_jira_token_and_its_basic_auth_header_are_redacted():
    import base64

    from bot.settings import Secrets

    secrets = Secrets.from_environ(
        {"JIRA_EMAIL": "rtb-bot@example.com", "JIRA_API_TOKEN": "jira-token-0123456789"}
    )
    stream = io.StringIO()
    configure_logging(secrets=secrets.values(), stream=stream)
    header = base64.b64encode(b"rtb-bot@example.com:jira-token-0123456789").decode()
    structlog.get_logger("t").warning(f"Authorization: Basic {header}; jira-token-0123456789")
    out = stream.getvalue()
    assert "jira-token-0123456789" not in out and header not in out
