"""`rtb-bot shell`: the bot's text backend.

Lines typed here become the very requests Slack would send (signed slash commands and
block_actions payloads) and go through the same Bolt app, handlers, policy and approvals.
What the bot sends to Slack lands in an embedded fake Slack Web API and is printed as text:
answers, messages to other channels (approval cards, alerts), updates.

Input that is not valid UTF-8 is read with U+FFFD in place of the bad bytes: the line is
answered as the bot answers that text, and the script goes on.

Piped input runs as a script. Exit status:
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

What is printed reads as in Slack (bot.console_text): emoji drawn unless `--no-emoji` or the
terminal cannot encode them, user and channel IDs named (bot.console_names).
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import ExitStack
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

import structlog
from prompt_toolkit import PromptSession

from approvals.signing import KeysError
from bot.app import Runtime, create_runtime
from bot.console_completion import Vocabulary
from bot.console_io import (
    FdLines,
    LoggedErrors,
    ShellStopped,
    StopSignals,
    can_encode,
    in_daemon_thread,
    replace_unencodable_output,
    say_stopping,
    valid_text,
)
from bot.console_names import SlackNames
from bot.console_prompt import history_path, open_history, prompt_session, read_prompted_line
from bot.console_text import ButtonRef, TextStyle, render_message
from bot.logs import configure_logging
from bot.requests import bolt_request
from bot.settings import ConfigError, Settings, load_settings
from handlers.scheduled import Fired, fire_job
from handlers.table import TABLE
from sandbox.fake_slack import FakeSlackAPI, ResponsePost, SlackCall
from sandbox.slack_rules import is_bot_dm
from sandbox.users import CONSOLE_USERS_VARIABLE, parse_users
from sandbox.verbs import VERBS, VerbContext, run_verb

if TYPE_CHECKING:
    from sandbox.stack import SandboxStack
from sandbox.slack_payloads import (
    block_actions,
    form_body,
    interaction_body,
    plain_text_value,
    selected_option_value,
    signed_headers,
    slash_command,
    view_submission,
)

log = structlog.get_logger(__name__)

CONSOLE_SIGNING_SECRET = "console-signing-secret"
CONSOLE_CHANNEL = "C_CONSOLE"
_POSTS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.update",
    "files.completeUploadExternal",
)
HELP = """Console commands:
  /rtb <command>   what you would type in Slack (try /rtb help)
  /click <n>       click button [n] of the latest output
  /submit <text>   answer the open modal (the reason a prd change needs, or an option's value)
  /as <user>       act as another user ({users})
  /fire <job>      run a scheduled job now as the scheduler would, claim included ({jobs})
  /sandbox <verb>  make the sandbox misbehave on purpose (/sandbox help lists the verbs)
  /whoami          show the acting user
  /quit            leave (end of input does the same; Ctrl-D at a terminal's prompt)
On a terminal: Tab completes commands, arguments, envs and names; Up and Ctrl-R recall earlier
lines; Ctrl-C drops the line being typed."""
EMOJI_PROBE = "\U0001f6a8\u26a0\ufe0f"  # 🚨⚠️: a stdout that encodes these draws emoji
QUIT_WORDS = ("/quit", "/exit")
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
BACKGROUND_WAIT_SECONDS = 120  # how long a line waits for the work it started
FIRE_ANY_AGE = timedelta(days=8)  # /fire takes a job's newest period (weekly included)


def describe_fired(fired: Fired) -> str:
    if fired.status == "ran" and fired.result is not None:
        posted = ", ".join(fired.result.posted) or "nothing"
        return f"(fired {fired.job} for {fired.period} as {fired.claimed_by}; posted: {posted})"
    if fired.status == "claimed":
        return (
            f"({fired.job} for {fired.period} was already claimed by {fired.claimed_by}: "
            "nothing posted)"
        )
    if fired.status == "failed":
        return f"({fired.job} for {fired.period} failed; details in the bot's log)"
    return f"({fired.job} has no period yet)"


class Console:
    def __init__(
        self,
        runtime: Runtime,
        slack: FakeSlackAPI,
        users: dict[str, str],
        user: str,
        out: TextIO,
        *,
        logged: LoggedErrors | None = None,
        sandbox: SandboxStack | None = None,
        emoji: bool = True,
    ) -> None:
        """`logged`: the bot's logged errors count as unexpected errors too (exit status).
        `sandbox`: the running sandbox `/sandbox` verbs act on (None: against a real config).
        `emoji`: draw Slack's emoji (else their `:shortcodes:`, for a terminal without them)."""
        self.runtime, self.slack, self.users, self.out = runtime, slack, users, out
        self.logged = logged
        self.sandbox = sandbox
        self.names = SlackNames(runtime.app.client, users)
        self.style = TextStyle(self.names, emoji)
        self.user_id = users.get(user, user)
        self.buttons: list[ButtonRef] = []
        self.modal: dict[str, Any] | None = None  # the latest form shown, until submitted
        self._seen_calls = 0
        self._seen_responses = 0
        self._failures = 0  # seen by the console: non-200 answers to requests, its own errors

    @property
    def failed(self) -> bool:
        """Whether any line hit an unexpected error (see the module docstring)."""
        logged = self.logged.count if self.logged is not None else 0
        return bool(self._failures or self.runtime.deps.unexpected_errors or logged)

    @property
    def exit_status(self) -> int:
        return 1 if self.failed else 0

    @property
    def user_name(self) -> str:
        return next((n for n, i in self.users.items() if i == self.user_id), self.user_id)

    async def execute(self, line: str) -> bool:
        """Run one line; False when the console should stop. Never raises (but is cancellable):
        whatever the line, it gets an answer, and a failure counts (exit status)."""
        logged_before = self.logged.count if self.logged is not None else 0
        try:
            go_on = await self._execute(valid_text(line))
        except Exception:
            self._failures += 1
            log.exception("the console failed on a line")
            self._print("(the console failed on this line; details in the bot's log)")
            go_on = True
        if self.logged is not None and self.logged.count > logged_before:
            self._print(f"(unexpected error, in the bot's log: {self.logged.last})")
        return go_on

    def echo(self, text: str) -> None:
        self._print(text)

    def vocabulary(self) -> Vocabulary:
        """What Tab may offer now (bot.console_completion)."""
        choices = modal_select(self.modal) if self.modal else None
        push = self.runtime.deps.push
        return Vocabulary(
            TABLE,
            console_commands=(*self._commands(), QUIT_WORDS[0]),
            users=tuple(self.users),
            buttons=len(self.buttons),
            sandbox_verbs={} if self.sandbox is None else {n: v.usage for n, v in VERBS.items()},
            jobs=tuple(push.jobs) if push is not None else (),
            form_options=tuple(choices[2]) if choices else (),
        )

    async def _execute(self, line: str) -> bool:
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        if word in QUIT_WORDS:
            return False
        run = self._commands().get(word)
        if run is None:
            jobs = ", ".join(self.runtime.deps.require_push().jobs)
            self._print(HELP.format(users=", ".join(self.users) or "Slack user ids", jobs=jobs))
        else:
            await run(rest)
        return True

    def _commands(self) -> dict[str, Callable[[str], Awaitable[None]]]:
        """The console's own commands: each runs the rest of its line (Tab offers them too)."""
        return {
            "/rtb": self._slash_command,
            "/click": self._click,
            "/submit": self._submit,
            "/as": self._switch,
            "/fire": self._fire,
            "/sandbox": self._misbehave,
            "/whoami": self._whoami,
        }

    async def _slash_command(self, text: str) -> None:
        await self._dispatch(
            form_body(
                slash_command(
                    text,
                    user_id=self.user_id,
                    user_name=self.user_name,
                    channel_id=CONSOLE_CHANNEL,
                    response_url=self.slack.response_url(),
                    trigger_id=self.slack.trigger_id(),
                )
            )
        )

    async def _whoami(self, _rest: str) -> None:
        self._print(f"acting as {self.user_name} ({self.user_id})")

    async def _switch(self, name: str) -> None:
        """A known name, or a Slack user id (against a real config, whose users the console
        does not know by name); anything else is refused with the names there are."""
        name = name.strip()
        known = ", ".join(self.users) or "none by name"
        if not name:
            self._print(f"usage: /as <user> (users: {known}; or a Slack user id)")
            return
        if name not in self.users and not SLACK_USER_ID.fullmatch(name):
            close = difflib.get_close_matches(name, self.users, n=1)
            hint = f" Did you mean `{close[0]}`?" if close else ""
            self._print(f"no user `{name}`.{hint} Users: {known}; or a Slack user id (U…).")
            return
        self.user_id = self.users.get(name, name)
        self._print(f"now acting as {self.user_name} ({self.user_id})")

    async def _misbehave(self, line: str) -> None:
        """A `/sandbox` verb, then what the bot posted in reaction (its outbox delivered)."""
        context = None if self.sandbox is None else VerbContext(self.sandbox, self.runtime)
        self._print(await run_verb(VERBS, context, line))
        await self.runtime.deps.tasks.drain(BACKGROUND_WAIT_SECONDS)
        await self.runtime.deps.require_push().sender.deliver_due()
        await self._show_new_output()

    async def _fire(self, name: str) -> None:
        """The job for its newest period, claimed like the scheduler claims it: a second
        `/fire` of the same period finds the claim and posts nothing."""
        name = name.strip()
        push = self.runtime.deps.require_push()
        job = push.jobs.get(name)
        if job is None:
            self._print(f"no scheduled job `{name}`; jobs: {', '.join(push.jobs)}")
            return
        fired = await fire_job(self.runtime.deps, push, job, grace=FIRE_ANY_AGE)
        await push.sender.deliver_due()
        self._print(describe_fired(fired))
        if fired.status == "failed":
            self._failures += 1
        await self._show_new_output()

    async def _click(self, number: str) -> None:
        number = number.strip()
        if not number.isdigit() or not 1 <= int(number) <= len(self.buttons):
            self._print(f"no button [{number}] (there are {len(self.buttons)})")
            return
        ref = self.buttons[int(number) - 1]
        payload = block_actions(
            user_id=self.user_id,
            action_id=ref.action_id,
            value=ref.value,
            block_id=ref.block_id,
            channel_id=ref.channel,
            message_ts=ref.ts or "0",
            message=ref.message,
            response_url=self.slack.response_url(),
            trigger_id=self.slack.trigger_id(),
        )
        await self._dispatch(interaction_body(payload))

    async def _submit(self, text: str) -> None:
        """A view_submission of the open modal, its single text input answered with `text`
        (or its single select, with the option whose value is `text`)."""
        text = text.strip()
        field = modal_text_input(self.modal) if self.modal else None
        select = modal_select(self.modal) if self.modal else None
        if self.modal is None or (field is None and select is None):
            self._print("no open form to submit (a command that needs one opens it)")
            return
        if field is not None:
            value: dict[str, Any] = {field[0]: {field[1]: plain_text_value(text)}}
        else:
            assert select is not None
            block_id, action_id, options = select
            if text not in options:
                self._print(f"no option `{text}`; choose one of: {', '.join(options)}")
                return
            value = {block_id: {action_id: selected_option_value(text, options[text])}}
        payload = view_submission(
            user_id=self.user_id,
            callback_id=str(self.modal.get("callback_id", "")),
            private_metadata=str(self.modal.get("private_metadata", "")),
            values=value,
            trigger_id=self.slack.trigger_id(),
        )
        self.modal = None
        await self._dispatch(interaction_body(payload))

    async def _dispatch(self, body: str) -> None:
        headers = signed_headers(body, CONSOLE_SIGNING_SECRET)
        response = await self.runtime.app.async_dispatch(bolt_request(body, headers))
        if response.status != 200:
            self._failures += 1
            self._print(f"(Slack would have seen HTTP {response.status})")
        try:  # the work goes on if the wait ends (following a rollout may take longer)
            await self.runtime.deps.tasks.drain(BACKGROUND_WAIT_SECONDS)
        except TimeoutError:
            self._print(
                f"(still working after {BACKGROUND_WAIT_SECONDS} s; "
                "what it sends later shows after a later line)"
            )
        await self.runtime.deps.require_push().sender.deliver_due()  # what the line enqueued
        await self._show_new_output()

    async def _show_new_output(self) -> None:
        """Buttons are numbered per output; an output without buttons keeps the previous ones
        (a refusal of `/click 1` must not take the card's buttons away). The IDs it mentions
        are named first (bot.console_names)."""
        previous, self.buttons = self.buttons, []
        items = self._new_items()
        for item in items:
            await self.names.learn(json.dumps(_payload(item)))
            await self.names.learn_ids(users=_dm_user(str(_payload(item).get("channel", ""))))
        for item in items:
            self._show(item)
        if not self.buttons:
            self.buttons = previous

    def _new_items(self) -> list[SlackCall | ResponsePost]:
        calls = self.slack.calls[self._seen_calls :]
        responses = self.slack.responses[self._seen_responses :]
        self._seen_calls += len(calls)
        self._seen_responses += len(responses)
        items: list[SlackCall | ResponsePost] = [
            c for c in calls if c.method in _POSTS and not c.error
        ]
        items.extend(responses)
        return sorted(items, key=lambda item: item.at)

    def _show(self, item: SlackCall | ResponsePost) -> None:
        if isinstance(item, ResponsePost):
            title = "(only you)" if item.body.get("response_type") == "ephemeral" else "(reply)"
            self._print_message(title, item.body, CONSOLE_CHANNEL, None)
            return
        args = item.args
        if item.method in ("views.open", "views.update"):
            view = args.get("view") or {}
            if not view.get("callback_id"):
                return  # a form loading, or showing an answer the console prints anyway
            self.modal = view
            self._print_message("[modal] (answer with /submit <text>)", view, CONSOLE_CHANNEL, None)
            choices = modal_select(view)
            if choices is not None:
                self._print("options: " + ", ".join(choices[2]) + "\n")
        elif item.method == "files.completeUploadExternal":
            channel = self._channel_label(str(args.get("channel_id", "?")))
            self._print(f"[file uploaded to {channel}]")
        else:
            channel = str(args.get("channel", "?"))
            verb = {"chat.update": "updated in", "chat.postEphemeral": "only you, in"}.get(
                item.method, "posted to"
            )
            ts = args.get("ts") or _latest_ts(self.slack, channel)
            thread = " (in thread)" if args.get("thread_ts") else ""
            label = self._channel_label(channel)
            self._print_message(f"[{verb} {label}{thread}]", args, channel, ts)

    def _channel_label(self, channel: str) -> str:
        """`#name`, or `@name (DM)` for the bot's DM with a user (posted to the user's ID)."""
        dm = _dm_user(channel)
        if dm:
            return f"@{self.names.user(dm[0]) or dm[0]} (DM)"
        return self.slack.channel_label(channel)

    def _print_message(
        self, title: str, message: dict[str, Any], channel: str, ts: str | None
    ) -> None:
        text, refs = render_message(
            message, channel=channel, ts=ts, first_button=len(self.buttons) + 1, style=self.style
        )
        self.buttons.extend(refs)
        self._print(f"{title}\n{text}\n")

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def modal_text_input(view: dict[str, Any]) -> tuple[str, str] | None:
    """(block_id, action_id) of the modal's first plain-text input."""
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("type") == "plain_text_input":
            return str(block.get("block_id", "")), str(element.get("action_id", ""))
    return None


def modal_select(view: dict[str, Any]) -> tuple[str, str, dict[str, str]] | None:
    """(block_id, action_id, {option value: text}) of the modal's first static select."""
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") == "input" and element.get("type") == "static_select":
            groups = element.get("option_groups") or [{"options": element.get("options") or []}]
            options = {
                str(o.get("value", "")): str((o.get("text") or {}).get("text", ""))
                for group in groups
                for o in group.get("options") or []
            }
            return str(block.get("block_id", "")), str(element.get("action_id", "")), options
    return None


def _payload(item: SlackCall | ResponsePost) -> dict[str, Any]:
    return item.args if isinstance(item, SlackCall) else item.body


def _dm_user(channel: str) -> tuple[str, ...]:
    """The user whose DM with the bot `channel` is (their ID, or `D` + their ID), if any."""
    user_id = channel[1:] if is_bot_dm(channel) else channel
    return (user_id,) if SLACK_USER_ID.fullmatch(user_id) else ()


def _latest_ts(slack: FakeSlackAPI, channel: str) -> str | None:
    messages = slack.messages(channel)
    return str(messages[-1].get("ts")) if messages else None


async def run_lines(console: Console, lines: Any, *, interactive: bool) -> None:
    """Run lines until end of input or /quit. `lines`: anything with a `readline()` giving
    bytes or text (FdLines for stdin); not `interactive`, each line is echoed after its
    prompt, as a script's transcript."""
    while True:
        prompt = f"{console.user_name}> "
        line = await in_daemon_thread(partial(_read_line, lines, interactive, prompt))
        if line is None:
            return
        if not interactive:
            console.echo(prompt + line.rstrip())
        if not await console.execute(line):
            return


async def run_prompted(console: Console, session: PromptSession[str]) -> None:
    """`run_lines` on a terminal: line editing, history and Tab completion (bot.console_prompt)."""
    while True:
        line = await read_prompted_line(session, f"{console.user_name}> ")
        if line is None or not await console.execute(line):
            return


def _read_line(lines: Any, interactive: bool, prompt: str) -> str | None:
    """The next line as text (see valid_text), or None at end of input."""
    try:
        if interactive:
            print(prompt, end="", flush=True)
        raw = lines.readline()  # "" or b"" at the end, an empty line is "\n"
    except (EOFError, OSError):  # OSError: the terminal went away (hangup)
        return None
    if not raw:
        return None
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return valid_text(str(raw))


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
        slack: FakeSlackAPI | None = None
        started: SandboxStack | None = None
        if sandbox:
            from sandbox.stack import SandboxStack

            print(
                "starting the sandbox (Redis, PostgreSQL, moto, 3 Kubernetes API servers)…",
                file=sys.stderr,
                flush=True,
            )
            started = stack.enter_context(SandboxStack())
            environ.update(started.environ)
            os.environ.update(started.environ)  # boto3 reads the sandbox's fake credentials
            config_path, users = str(started.config_path), started.users
            slack = started.slack
        if slack is None:  # else the sandbox's own, where its config points
            slack = stack.enter_context(FakeSlackAPI())
        environ["SLACK_SIGNING_SECRET"] = CONSOLE_SIGNING_SECRET
        if not environ.get("SLACK_BOT_TOKEN"):  # Bolt refuses an empty one
            environ["SLACK_BOT_TOKEN"] = "xoxb-console"
        try:
            settings = load_settings(config_path, environ)
        except ConfigError as exc:
            print("\n".join([f"{exc.path}: invalid configuration", *exc.problems]), file=sys.stderr)
            return 1
        try:
            settings.secrets.signing_keys()
        except KeysError as exc:
            print(f"AUDIT_HMAC_KEYS: {exc} (README: Security)", file=sys.stderr)
            return 1
        configure_logging(secrets=settings.secrets.values(), stream=log_file)
        if lang is not None:
            language = settings.config.language.model_copy(update={"default": lang})
            settings = Settings(
                settings.config.model_copy(update={"language": language}), settings.secrets
            )
        session = _Session(settings, slack, users, user, log_path, started, emoji=emoji)
        return asyncio.run(session.run(signals))


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
            print(f"unexpected errors: see the bot's log, {self.log_path}", file=sys.stderr)
        return console.exit_status

    async def _run(self, logged: LoggedErrors, stopped: asyncio.Event) -> Console:
        settings = self.settings
        config = settings.config.model_copy(update={"slack_api_url": self.slack.base_url})
        runtime = create_runtime(Settings(config, settings.secrets), retries=0)
        await runtime.start()
        interactive = sys.stdin.isatty()
        if interactive:
            print(f"rtb-ops-bot console — logs in {self.log_path}. /help for console commands.")
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
