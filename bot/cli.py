"""`rtb-bot`: serve, shell, sandbox, check-config."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence

import structlog

from bot.logs import configure_logging
from bot.settings import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_config, load_settings

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
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    shell = commands.add_parser("shell", help="the local console: type /rtb commands")
    shell.add_argument("--sandbox", action="store_true", help="start a local sandbox first")
    shell.add_argument("--as", dest="user", default="operator1", help="acting user (sandbox name)")
    commands.add_parser("sandbox", help="start the local sandbox and print its settings")
    check = commands.add_parser("check-config", help="validate a configuration file")
    check.add_argument("file", nargs="?", help="the file (default: --config)")
    audit = commands.add_parser("audit", help="the bot's audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "verify", help="check the hash chain ($DATABASE_URL); exit 1 if a row was edited/removed"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check-config":
        return check_config(args.file or args.config)
    if args.command == "shell":
        from bot.console import run_console

        return run_console(args.config, sandbox=args.sandbox, user=args.user)
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox_forever

        return run_sandbox_forever()
    if args.command == "audit":
        from bot.audit_cli import verify_audit_log

        return verify_audit_log(os.environ.get("DATABASE_URL", ""))
    settings = _settings_or_exit(args.config)
    configure_logging(secrets=settings.secrets.values())
    if args.command == "serve":
        return asyncio.run(serve(settings, http=args.http, host=args.host, port=args.port))
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


def _settings_or_exit(path: str) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        print(f"{exc.path}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(1) from None


async def serve(settings: Settings, *, http: bool, host: str, port: int) -> int:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.app import create_runtime
    from bot.web import build_web_app, start_site

    missing = settings.secrets.missing(socket_mode=not http)
    if missing:
        print(f"missing environment variables: {', '.join(missing)}", file=sys.stderr)
        return 1
    runtime = create_runtime(settings)
    await runtime.start()
    site = await start_site(build_web_app(runtime, serve_slack=http), host, port)
    socket = None if http else AsyncSocketModeHandler(runtime.app, settings.secrets.slack_app_token)
    if socket:
        await socket.connect_async()
    log.info("serving", mode="http" if http else "socket", port=port)
    await _until_signal()
    if socket:
        await socket.close_async()
    await site.cleanup()
    await runtime.stop()
    return 0


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    raise SystemExit(main())
