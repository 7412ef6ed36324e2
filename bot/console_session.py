"""`rtb-bot shell`: the bot and a Console started, run until end of input, then stopped.

Exit status:
  0    end of input (or /quit), and no command hit an unexpected error;
  1    some command did: an answer with a correlation id, an error the bot logged (an answer
       it could not deliver, background work that raised, a scheduled job that failed), a
       request Slack would have seen answered with an HTTP status other than 200, or a line
       the console itself failed on;
  128+n  signal n ended the shell: 130 for Ctrl-C (SIGINT), 143 for SIGTERM, 129 for SIGHUP.
SIGINT, SIGTERM and SIGHUP end the shell as end of input does, at any time (also while the
sandbox starts): the line running is given up, the bot stops (its background work gets
10 s, then is cancelled), and everything the shell started stops (the sandbox's Redis,
PostgreSQL, moto and Kubernetes servers) and their temp dirs are removed. A signal that was
ignored when the shell started (`nohup`) stays ignored. On a terminal the prompt is
prompt_toolkit's (bot.console_prompt): there Ctrl-C is a key that drops the line being typed,
not a signal; while a line runs it is SIGINT as above.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Coroutine
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from approvals.signing import KeysError
from bot.app import create_runtime
from bot.console import CONSOLE_SIGNING_SECRET, EMOJI_PROBE, Console
from bot.console_io import (
    FdLines,
    LoggedErrors,
    ShellStopped,
    StopSignals,
    can_encode,
    replace_unencodable_output,
    say_stopping,
)
from bot.console_loop import run_lines, run_prompted
from bot.console_prompt import history_path, open_history, prompt_session
from bot.logs import configure_logging
from bot.settings import ConfigError, Settings, load_settings
from handlers.render.i18n import _, as_locale, use_locale
from sandbox.fake_slack import FakeSlackAPI
from sandbox.users import CONSOLE_USERS_VARIABLE, parse_users

if TYPE_CHECKING:
    from sandbox.stack import SandboxStack


def run_console(
    config_path: str, *, sandbox: bool, user: str, emoji: bool = True, lang: str | None = None
) -> int:
    """`emoji`: False for `--no-emoji`; emoji are drawn only where stdout can encode them.
    `lang` (`--lang`) replaces the config's `language.default`: what every user reads until
    they choose with `/rtb lang`, and channels not configured otherwise."""
    signals = StopSignals()
    signals.install()
    try:
        emoji = emoji and can_encode(sys.stdout, EMOJI_PROBE)
        return _run_console(
            config_path, sandbox=sandbox, user=user, emoji=emoji, lang=lang, signals=signals
        )
    except ShellStopped as stopped:  # everything started so far is stopped by now
        say_stopping(stopped.signum)
        return 128 + stopped.signum
    finally:
        signals.restore()


def _run_console(
    config_path: str,
    *,
    sandbox: bool,
    user: str,
    emoji: bool,
    lang: str | None,
    signals: StopSignals,
) -> int:
    replace_unencodable_output()
    # one log per console: two consoles on a machine never interleave their lines
    log_fd, log_path = tempfile.mkstemp(prefix="rtb-console-", suffix=".log")
    os.close(log_fd)
    with ExitStack() as stack:
        # open until the very end: the sandbox's teardown may still log
        log_file = stack.enter_context(open(log_path, "a", encoding="utf-8"))
        configure_logging(stream=log_file)  # the sandbox's too; again below with the secrets
        environ = dict(os.environ)
        users = parse_users(environ.get(CONSOLE_USERS_VARIABLE, ""))  # from `rtb-bot sandbox`
        started = _start_sandbox(stack) if sandbox else None
        if started is not None:
            environ.update(started.environ)
            os.environ.update(started.environ)  # boto3 reads the sandbox's fake credentials
            config_path, users = str(started.config_path), started.users
        # the sandbox's own Slack, where its config points; else one for this console
        slack = started.slack if started else stack.enter_context(FakeSlackAPI())
        settings = _read_settings(config_path, environ, lang)
        if settings is None:
            return 1
        configure_logging(secrets=settings.secrets.values(), stream=log_file)
        session = _Session(settings, slack, users, user, log_path, started, emoji=emoji)
        # the console's own words: in the team's language until the acting user chooses
        with use_locale(as_locale(settings.config.language.default) or "en"):
            return asyncio.run(session.run(signals))


def _start_sandbox(stack: ExitStack) -> SandboxStack:
    from sandbox.stack import SandboxStack

    starting = _("starting the sandbox (Redis, PostgreSQL, moto, 3 Kubernetes API servers)…")
    print(starting, file=sys.stderr, flush=True)
    return stack.enter_context(SandboxStack())


def _read_settings(config_path: str, environ: dict[str, str], lang: str | None) -> Settings | None:
    """The console's settings (`lang` replacing the config's default language); None when the
    config or the audit keys are refused (said on stderr)."""
    environ["SLACK_SIGNING_SECRET"] = CONSOLE_SIGNING_SECRET
    if not environ.get("SLACK_BOT_TOKEN"):  # Bolt refuses an empty one
        environ["SLACK_BOT_TOKEN"] = "xoxb-console"
    try:
        settings = load_settings(config_path, environ)
    except ConfigError as exc:
        invalid = _("{path}: invalid configuration", path=exc.path)
        print("\n".join([invalid, *exc.problems]), file=sys.stderr)
        return None
    try:
        settings.secrets.signing_keys()
    except KeysError as exc:
        print(_("AUDIT_HMAC_KEYS: {problem} (README: Security)", problem=exc), file=sys.stderr)
        return None
    if lang is None:
        return settings
    language = settings.config.language.model_copy(update={"default": lang})
    return Settings(settings.config.model_copy(update={"language": language}), settings.secrets)


class _Session:
    """The bot and a console on the event loop, from start to stop."""

    def __init__(
        self,
        settings: Settings,
        slack: FakeSlackAPI,
        users: dict[str, str],
        user: str,
        log_path: str,
        sandbox: SandboxStack | None,
        *,
        emoji: bool,
    ) -> None:
        self.settings, self.slack, self.users, self.user = settings, slack, users, user
        self.log_path, self.sandbox, self.emoji = log_path, sandbox, emoji

    async def run(self, signals: StopSignals) -> int:
        loop = asyncio.get_running_loop()
        stopped = asyncio.Event()
        signals.attach(loop, stopped)
        try:
            with LoggedErrors() as logged:
                console = await self._run(logged, stopped)
        finally:
            signals.detach(loop)
        if signals.received is not None:
            return 128 + signals.received
        if console.failed:
            unexpected = _("unexpected errors: see the bot's log, {path}", path=self.log_path)
            print(unexpected, file=sys.stderr)
        return console.exit_status

    async def _run(self, logged: LoggedErrors, stopped: asyncio.Event) -> Console:
        settings = self.settings
        config = settings.config.model_copy(update={"slack_api_url": self.slack.base_url})
        runtime = create_runtime(Settings(config, settings.secrets), retries=0)
        await runtime.start()
        interactive = sys.stdin.isatty()
        if interactive:
            print(
                _(
                    "rtb-ops-bot console — logs in {path}. /help for console commands.",
                    path=self.log_path,
                )
            )
        console = Console(
            runtime,
            self.slack,
            self.users,
            self.user,
            sys.stdout,
            logged=logged,
            sandbox=self.sandbox,
            emoji=self.emoji,
        )
        try:
            await _unless_stopped(self._read(console, interactive), stopped)
        finally:
            await runtime.stop()
        return console

    def _read(self, console: Console, interactive: bool) -> Coroutine[Any, Any, None]:
        """A terminal on both ends: line editing (prompt_toolkit); anything else is read with
        FdLines, as a script."""
        if interactive and sys.stdout.isatty():
            history = open_history(history_path(os.environ))
            return run_prompted(console, prompt_session(console.vocabulary, history))
        return run_lines(console, FdLines(sys.stdin.fileno()), interactive=interactive)


async def _unless_stopped(work: Coroutine[Any, Any, None], stopped: asyncio.Event) -> None:
    """Run `work` until it ends or `stopped` is set (then `work` is cancelled)."""
    if stopped.is_set():  # already during the bot's start
        work.close()
        return
    task = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(stopped.wait())
    try:
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in (task, stop):
            waiting.cancel()
        await asyncio.gather(task, stop, return_exceptions=True)
    if not task.cancelled():
        task.result()  # what went wrong in `work`, if anything
