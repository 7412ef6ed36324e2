from handlers.render.general import render_command_help, render_help, render_ping
from handlers.table import TABLE
from ops.health import BackendCheck, PingReport
from tests.golden import assert_golden


def test_ping_golden():
    report = PingReport(
        "1.2.3",
        (
            BackendCheck("PostgreSQL (bot)", True, True, "ok"),
            BackendCheck("AWS prd", True, False, "AccessDenied (HTTP 403)"),
            BackendCheck(
                "Kubernetes stg", False, False, "stg: no Kubernetes cluster is configured"
            ),
        ),
    )
    assert_golden("ping", render_ping(report))


def test_help_golden():
    assert_golden("help_ping", render_command_help(TABLE["ping"]))
    assert render_help(TABLE.values()).ephemeral
