"""`rtb-bot shell`: the bot's text backend, one line at a time.

Lines typed here become the very requests Slack would send (signed slash commands and
block_actions payloads) and go through the same Bolt app, handlers, policy and approvals.
What the bot sends to Slack lands in an embedded fake Slack Web API and is printed as text
(bot.console_output): answers, messages to other channels (approval cards, alerts), updates.

Input that is not valid UTF-8 is read with U+FFFD in place of the bad bytes: the line is
answered as the bot answers that text, and the script goes on.

What is printed reads as in Slack (bot.console_text): emoji drawn unless `--no-emoji` or the
terminal cannot encode them, user and channel IDs named (bot.console_names).
The console's own words come from the catalogs in the acting user's language (their
`/rtb lang`, else the config's default or `--lang`), as Slack would answer them: chosen as each
line starts, so a line that changes it (`/rtb lang en`, `/as`) speaks the new one from the next.

The parts: this module runs one line (the console's own commands are a table); the loop reads
lines (bot.console_loop); the session starts the bot, the sandbox and the console and stops
them, and says the exit status (bot.console_session); modals are answered by
bot.console_forms.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TextIO

import structlog

from bot.app import Runtime
from bot.console_completion import Vocabulary
from bot.console_forms import NotAnOption, answerable, modal_select, submitted_values
from bot.console_io import LoggedErrors, valid_text
from bot.console_names import SlackNames
from bot.console_output import CONSOLE_CHANNEL, SLACK_USER_ID, ConsoleOutput
from bot.console_text import TextStyle
from bot.requests import bolt_request
from handlers.render.i18n import N_, _, pgettext, use_locale
from handlers.scheduled import Fired, fire_job
from handlers.table import TABLE
from sandbox.fake_slack import FakeSlackAPI
from sandbox.slack_payloads import (
    block_actions,
    form_body,
    interaction_body,
    signed_headers,
    slash_command,
    view_submission,
)
from sandbox.verbs import VERBS, VerbContext, run_verb

if TYPE_CHECKING:
    from sandbox.stack import SandboxStack

log = structlog.get_logger(__name__)

CONSOLE_SIGNING_SECRET = "console-signing-secret"
HELP = N_("""Console commands:
  /rtb <command>   what you would type in Slack (try /rtb help)
  /click <n>       click button [n] of the latest output
  /submit <text>   answer the open modal (the reason a prd change needs, or an option's value)
  /as <user>       act as another user ({users})
  /fire <job>      run a scheduled job now as the scheduler would, claim included ({jobs})
  /sandbox <verb>  make the sandbox misbehave on purpose (/sandbox help lists the verbs)
  /whoami          show the acting user
  /quit            leave (end of input does the same; Ctrl-D at a terminal's prompt)
On a terminal: Tab completes commands, arguments, envs and names; Up and Ctrl-R recall earlier
lines; Ctrl-C drops the line being typed.""")
EMOJI_PROBE = "\U0001f6a8\u26a0\ufe0f"  # 🚨⚠️: a stdout that encodes these draws emoji
QUIT_WORDS = ("/quit", "/exit")
BACKGROUND_WAIT_SECONDS = 120  # how long a line waits for the work it started
FIRE_ANY_AGE = timedelta(days=8)  # /fire takes a job's newest period (weekly included)


def describe_fired(fired: Fired) -> str:
    job, period, replica = fired.job, fired.period, fired.claimed_by
    if fired.status == "ran" and fired.result is not None:
        posted = ", ".join(fired.result.posted) or pgettext("posted", "nothing")
        return _(
            "(fired {job} for {period} as {replica}; posted: {posted})",
            job=job,
            period=period,
            replica=replica,
            posted=posted,
        )
    if fired.status == "claimed":
        return _(
            "({job} for {period} was already claimed by {replica}: nothing posted)",
            job=job,
            period=period,
            replica=replica,
        )
    if fired.status == "failed":
        return _("({job} for {period} failed; details in the bot's log)", job=job, period=period)
    return _("({job} has no period yet)", job=job)


class Console:
    """One acting user's lines, run as Slack would send them, and what came back printed."""

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
        names = SlackNames(runtime.app.client, users)
        self.output = ConsoleOutput(slack, names, TextStyle(names, emoji), out)
        self.user_id = users.get(user, user)
        self._failures = 0  # seen by the console: non-200 answers to requests, its own errors

    @property
    def failed(self) -> bool:
        """Whether any line hit an unexpected error (bot.console_session: the exit status)."""
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
        with use_locale(await self.runtime.deps.languages.locale_for_user(self.user_id)):
            try:
                go_on = await self._execute(valid_text(line))
            except Exception:
                self._failures += 1
                log.exception("the console failed on a line")
                self.output.print(_("(the console failed on this line; details in the bot's log)"))
                go_on = True
            if self.logged is not None and self.logged.count > logged_before:
                error = self.logged.last
                self.output.print(_("(unexpected error, in the bot's log: {error})", error=error))
        return go_on

    def echo(self, text: str) -> None:
        self.output.print(text)

    def vocabulary(self) -> Vocabulary:
        """What Tab may offer now (bot.console_completion)."""
        modal = self.output.modal
        choices = modal_select(modal) if modal else None
        push = self.runtime.deps.push
        return Vocabulary(
            TABLE,
            console_commands=(*self._commands(), QUIT_WORDS[0]),
            users=tuple(self.users),
            buttons=len(self.output.buttons),
            sandbox_verbs={} if self.sandbox is None else {n: v.usage for n, v in VERBS.items()},
            jobs=tuple(push.jobs) if push is not None else (),
            form_options=tuple(choices[2]) if choices else (),
        )

    async def _execute(self, line: str) -> bool:
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        word, _space, rest = line.partition(" ")
        if word in QUIT_WORDS:
            return False
        run = self._commands().get(word)
        if run is None:
            jobs = ", ".join(self.runtime.deps.require_push().jobs)
            users = ", ".join(self.users) or _("Slack user ids")
            self.output.print(_(HELP, users=users, jobs=jobs))
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
        self.output.print(_("acting as {name} ({id})", name=self.user_name, id=self.user_id))

    async def _switch(self, name: str) -> None:
        """A known name, or a Slack user id (against a real config, whose users the console
        does not know by name); anything else is refused with the names there are."""
        name = name.strip()
        known = ", ".join(self.users) or _("none by name")
        if not name:
            self.output.print(
                _("usage: /as <user> (users: {known}; or a Slack user id)", known=known)
            )
            return
        if name not in self.users and not SLACK_USER_ID.fullmatch(name):
            self.output.print(_no_such_user(name, self.users, known))
            return
        self.user_id = self.users.get(name, name)
        self.output.print(_("now acting as {name} ({id})", name=self.user_name, id=self.user_id))

    async def _misbehave(self, line: str) -> None:
        """A `/sandbox` verb, then what the bot posted in reaction (its outbox delivered)."""
        context = None if self.sandbox is None else VerbContext(self.sandbox, self.runtime)
        self.output.print(await run_verb(VERBS, context, line))
        await self.runtime.deps.tasks.drain(BACKGROUND_WAIT_SECONDS)
        await self.runtime.deps.require_push().sender.deliver_due()
        await self.output.show_new()

    async def _fire(self, name: str) -> None:
        """The job for its newest period, claimed like the scheduler claims it: a second
        `/fire` of the same period finds the claim and posts nothing."""
        name = name.strip()
        push = self.runtime.deps.require_push()
        job = push.jobs.get(name)
        if job is None:
            jobs = ", ".join(push.jobs)
            self.output.print(_("no scheduled job `{name}`; jobs: {jobs}", name=name, jobs=jobs))
            return
        fired = await fire_job(self.runtime.deps, push, job, grace=FIRE_ANY_AGE)
        await push.sender.deliver_due()
        self.output.print(describe_fired(fired))
        if fired.status == "failed":
            self._failures += 1
        await self.output.show_new()

    async def _click(self, number: str) -> None:
        number, buttons = number.strip(), self.output.buttons
        if not number.isdigit() or not 1 <= int(number) <= len(buttons):
            there = len(buttons)
            self.output.print(_("no button [{n}] (there are {there})", n=number, there=there))
            return
        ref = buttons[int(number) - 1]
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
        text, modal = text.strip(), self.output.modal
        if modal is None or not answerable(modal):
            self.output.print(_("no open form to submit (a command that needs one opens it)"))
            return
        values = submitted_values(modal, text)
        if isinstance(values, NotAnOption):
            choices = ", ".join(values.choices)
            self.output.print(
                _("no option `{text}`; choose one of: {choices}", text=text, choices=choices)
            )
            return
        payload = view_submission(
            user_id=self.user_id,
            callback_id=str(modal.get("callback_id", "")),
            private_metadata=str(modal.get("private_metadata", "")),
            values=values,
            trigger_id=self.slack.trigger_id(),
        )
        self.output.modal = None
        await self._dispatch(interaction_body(payload))

    async def _dispatch(self, body: str) -> None:
        headers = signed_headers(body, CONSOLE_SIGNING_SECRET)
        response = await self.runtime.app.async_dispatch(bolt_request(body, headers))
        if response.status != 200:
            self._failures += 1
            self.output.print(_("(Slack would have seen HTTP {status})", status=response.status))
        try:  # the work goes on if the wait ends (following a rollout may take longer)
            await self.runtime.deps.tasks.drain(BACKGROUND_WAIT_SECONDS)
        except TimeoutError:
            self.output.print(
                _(
                    "(still working after {seconds} s; what it sends later shows after a later"
                    " line)",
                    seconds=BACKGROUND_WAIT_SECONDS,
                )
            )
        await self.runtime.deps.require_push().sender.deliver_due()  # what the line enqueued
        # the console's own words in the user's language after the line: the answer to
        # `/rtb lang en` is English, its "(only you)" too
        with use_locale(await self.runtime.deps.languages.locale_for_user(self.user_id)):
            await self.output.show_new()


def _no_such_user(name: str, users: dict[str, str], known: str) -> str:
    close = difflib.get_close_matches(name, users, n=1)
    if close:
        return _(
            "no user `{name}`. Did you mean `{close}`? Users: {known}; or a Slack user id (U…).",
            name=name,
            close=close[0],
            known=known,
        )
    return _("no user `{name}`. Users: {known}; or a Slack user id (U…).", name=name, known=known)
