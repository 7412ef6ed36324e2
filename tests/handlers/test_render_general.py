from handlers.render.general import render_command_help, render_help, render_ping
from handlers.table import TABLE
from ops.health import BackendCheck, PingReport
from tests.golden import assert_golden, shown


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
    message = render_ping(report)
    assert_golden("ping", message)
    assert message.text == "pong — rtb-ops-bot 1.2.3: some backends are not reachable"
    for fact in (
        ":large_green_circle: *PostgreSQL (bot)* — ok",
        ":red_circle: *AWS prd* — AccessDenied (HTTP 403)",
        ":white_circle: *Kubernetes stg* — stg: no Kubernetes cluster is configured",
    ):
        assert fact in shown(message)


def test_help_golden():
    assert_golden("help_ping", render_command_help(TABLE["ping"]))
    assert render_help(TABLE.values()).ephemeral
