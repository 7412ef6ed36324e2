from bot.console_text import render_message
from handlers.render.general import render_command_help, render_help, render_ping
from handlers.table import TABLE
from ops.health import BackendCheck, PingReport
from tests.golden import assert_golden, korean, shown

HEALTHY = PingReport(
    "1.2.3",
    (
        BackendCheck("PostgreSQL (bot)", True, True, "ok"),
        BackendCheck("Kubernetes stg", False, False, "stg: no Kubernetes cluster is configured"),
    ),
)


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
    assert message.blocks[0].text.text.startswith(":red_circle: *pong* — rtb-ops-bot `1.2.3`")
    for fact in (
        ":large_green_circle: *PostgreSQL (bot)* — ok",
        ":red_circle: *AWS prd* — AccessDenied (HTTP 403)",
        ":white_circle: *Kubernetes stg* — stg: no Kubernetes cluster is configured",
    ):
        assert fact in shown(message)


def test_ping_healthy_golden_and_no_line_starts_with_a_space():
    message = render_ping(HEALTHY)
    slack_lines = shown(message).splitlines()
    console, _ = render_message(message.to_json(), channel="C1", ts=None, first_button=1)
    for line in slack_lines + console.splitlines():
        assert line and not line[0].isspace(), line
    first = ":large_green_circle: *pong* — rtb-ops-bot `1.2.3`: all configured backends reachable"
    assert message.blocks[0].text.text == first
    assert_golden("ping_healthy", message)
    in_korean = korean("ping_healthy", lambda: render_ping(HEALTHY))
    assert "`1.2.3`" in in_korean and "설정된 백엔드 모두 연결됨" in in_korean
    assert console.splitlines()[0].endswith(
        "pong — rtb-ops-bot `1.2.3`: all configured backends reachable"
    )


def test_help_golden():
    assert_golden("help_ping", render_command_help(TABLE["ping"]))
    in_korean = korean("help_ping", lambda: render_command_help(TABLE["ping"]))
    assert "*/rtb ping* — 봇 버전과 env별 백엔드" in in_korean
    assert render_help(TABLE.values()).ephemeral
