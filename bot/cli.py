"""`rtb-bot`: serve, shell, sandbox, check-config, audit verify, alarms plan."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import structlog

from bot.logs import configure_logging
from bot.settings import (
    DEFAULT_CONFIG_PATH,
    ConfigError,
    Secrets,
    Settings,
    load_config,
    load_settings,
)

log = structlog.get_logger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rtb-bot", description="rtb-ai-hub operations bot")
    parser.add_argument(
        "--config",
        default=os.environ.get("RTB_CONFIG", DEFAULT_CONFIG_PATH),
        help="YAML configuration file (default: $RTB_CONFIG or config.yml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the bot (Socket Mode unless --http)")
    serve.add_argument("--http", action="store_true", help="serve /slack/events over HTTP")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=os.environ.get("PORT", "8080"))
    shell = commands.add_parser("shell", help="the local console: type /rtb commands")
    shell.add_argument("--sandbox", action="store_true", help="start a local sandbox first")
    shell.add_argument("--as", dest="user", default="operator1", help="acting user (sandbox name)")
    shell.add_argument(
        "--no-emoji", action="store_true", help="print Slack's :shortcodes: instead of emoji"
    )
    shell.add_argument(
        "--lang",
        choices=("en", "ko"),
        help="what users read until they choose with /rtb lang (default: language.default)",
    )
    sandbox = commands.add_parser("sandbox", help="start the local sandbox and print its settings")
    sandbox.add_argument("--env-file", help="also write its `export` lines to this file")
    check = commands.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file", nargs="?", help="the file (default: --config)")
    audit = commands.add_parser("audit", help="the bot's audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "verify",
        help="check the keyed chain ($DATABASE_URL, $AUDIT_HMAC_KEYS) and its anchors "
        "(--config's audit.anchor); exit 1 naming the first bad row and why",
    )
    alarms = commands.add_parser("alarms", help="the runbook's CloudWatch alarms")
    alarm_commands = alarms.add_subparsers(dest="alarms_command", required=True)
    plan = alarm_commands.add_parser(
        "plan",
        help="print the runbook §3.1 queue-depth alarm of every configured queue "
        "(PutMetricAlarm parameters, for the infrastructure code)",
    )
    plan.add_argument("--format", choices=("json", "yaml"), default="json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check-config":
        return check_config(args.file or args.config)
    if args.command == "shell":
        from bot.console_session import run_console

        return run_console(
            args.config,
            sandbox=args.sandbox,
            user=args.user,
            emoji=not args.no_emoji,
            lang=args.lang,
        )
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox_forever

        return run_sandbox_forever(args.env_file)
    if args.command == "alarms":
        return print_alarm_plan(args.config, args.format)
    if args.command == "audit":
        from bot.audit_cli import verify_audit_log

        environ = os.environ
        # library warnings (botocore, psycopg) to stderr as JSON lines, secrets redacted
        configure_logging(secrets=Secrets.from_environ().values(), level="WARNING")
        keys = environ.get("AUDIT_HMAC_KEYS", "")
        return verify_audit_log(environ.get("DATABASE_URL", ""), keys, args.config)
    settings = _settings_or_exit(args.config)
    configure_logging(secrets=settings.secrets.values())
    if args.command == "serve":
        return serve(settings, http=args.http, host=args.host, port=args.port)
    return 2


def check_config(path: str) -> int:
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"{exc.path}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    envs = ", ".join(config.environments)
    print(f"{path}: valid (environments: {envs}; time zone {config.timezone})")
    return 0


def print_alarm_plan(path: str, output: str) -> int:
    """Reads only the config file: no secret, no AWS call (the plan is what should exist)."""
    import json

    import yaml

    from ops.waiting_metric import planned_alarms

    try:
        config = load_config(path)
    except ConfigError as exc:
        _print_config_error(exc)
        return 1
    plan = {"alarms": planned_alarms(config)}
    if output == "yaml":
        print(yaml.safe_dump(plan, sort_keys=False, allow_unicode=True), end="")
    else:
        print(json.dumps(plan, indent=2, ensure_ascii=False))
    return 0


def _print_config_error(exc: ConfigError) -> None:
    print(f"{exc.path}: invalid configuration", file=sys.stderr)
    for problem in exc.problems:
        print(f"  - {problem}", file=sys.stderr)


def _settings_or_exit(path: str) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        print(f"{exc.path}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(1) from None


def serve(settings: Settings, *, http: bool, host: str, port: int) -> int:
    """Two processes: the ack front (forked first, while this one is still small) and this
    one, the worker, which runs the Bolt app, the backends and the scheduler (bot/front.py)."""
    import gc
    import multiprocessing
    import socket

    from bot.front import FrontOptions, front_main

    secrets = settings.secrets
    problems = secrets.problems(socket_mode=not http)
    if problems:
        print("cannot start: environment variables", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    options = FrontOptions(
        host=host,
        port=port,
        http=http,
        signing_secret=secrets.slack_signing_secret or "",
        app_token=secrets.slack_app_token or "",
        slack_api_url=settings.config.slack_api_url,
    )
    front_end, worker_end = socket.socketpair()
    front = multiprocessing.get_context("fork").Process(
        target=front_main, args=(front_end, worker_end, options), name="rtb-bot front"
    )
    # Objects so far are shared with the front page by page until either side writes to one;
    # frozen, the garbage collector never does (both processes' memory: ~12 MB less).
    gc.freeze()
    front.start()
    front_end.close()
    try:
        from bot.worker import run_worker

        return asyncio.run(
            run_worker(settings, worker_end, front, mode="http" if http else "socket")
        )
    finally:
        if front.is_alive():
            front.terminate()
            front.join(15)


if __name__ == "__main__":
    raise SystemExit(main())
