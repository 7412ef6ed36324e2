"""Help, usage, errors, ping and the language answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import groupby

from slack_sdk.models.blocks import Block

from handlers.command_words import STAGED_HELP_LOCALES, STAGES, stage_of
from handlers.render.errors import error_text
from handlers.render.failures import failure_text
from handlers.render.i18n import N_, Locale, _, current_locale
from handlers.render.message import Message, context, escape, header, section, simple
from handlers.spec import Command
from ops.errors import BackendError, UserError
from ops.health import BackendCheck, PingReport, Seen

# each language named in the reader's language (`영어로`, `in Korean`)
LANGUAGE_NAMES: dict[Locale, str] = {"en": N_("English"), "ko": N_("Korean")}


def render_user_error(error: UserError) -> Message:
    # escaped: the message may echo what the user typed (`<!channel>` must stay text), and
    # usage lines hold `<env>`-style placeholders that Slack would otherwise read as links
    text = f":warning: {escape(error_text(error))}"
    if error.usage:
        text += "\n" + _("Usage: `{usage}`", usage=escape(error.usage))
    return simple(text, ephemeral=True)


def render_backend_unavailable(error: BackendError) -> Message:
    return simple(
        _(
            ":warning: *{backend}* is not answering: {reason}. "
            "Other commands still work; try again in a moment.",
            backend=escape(error.backend),
            reason=escape(failure_text(error)),
        ),
        ephemeral=True,
    )


def render_internal_error(correlation_id: str) -> Message:
    return simple(
        _(
            ":x: Something went wrong on my side. Reference `{id}` "
            "(the details are in the bot's log under that id).",
            id=correlation_id,
        ),
        ephemeral=True,
    )


def render_not_handled(status: int, correlation_id: str) -> Message:
    """The answer when Bolt ran no listener to the end (bot.worker: the front has acked, so
    Slack itself shows nothing): 404, no listener matched (a button of an older version);
    anything else, a listener failed (the id finds it in the log)."""
    if status == 404:
        text = _(
            "rtb-ops-bot has no handler for that: perhaps a button from an older version of "
            "the bot. Run the command again."
        )
    else:
        text = _(
            "rtb-ops-bot failed on that. Try again; if it keeps failing, give the bot's "
            "maintainers this id: `{correlation_id}`.",
            correlation_id=correlation_id,
        )
    return simple(text, ephemeral=True)


def render_help(commands: Iterable[Command]) -> Message:
    blocks: list[Block] = [header(_("rtb-ops-bot: the rtb-ai-hub runbook in Slack"))]
    for group, members in _help_groups(commands):
        lines = [
            f"`/rtb {c.verb}`{' :lock:' if c.mutating else ''} — {_(c.summary)}" for c in members
        ]
        blocks.append(section(f"*{group}*\n" + "\n".join(lines)))
    blocks.append(
        context(
            _(
                ":lock: changes something (goes through the policy gate). "
                "`/rtb help <command>` shows its arguments."
            )
        )
    )
    return Message(text=_("rtb-ops-bot commands"), blocks=tuple(blocks), ephemeral=True)


def _help_groups(commands: Iterable[Command]) -> list[tuple[str, list[Command]]]:
    """The command table's groups, alphabetically; in Korean the runbook's stages, in its
    order (handlers.command_words)."""
    if current_locale() in STAGED_HELP_LOCALES:
        staged = sorted(commands, key=lambda c: STAGES.index(stage_of(c.verb, c.group)))
        grouped = groupby(staged, key=lambda c: stage_of(c.verb, c.group))
        return [(_(stage), list(members)) for stage, members in grouped]
    ordered = sorted(commands, key=lambda c: c.group)
    return [(group, list(members)) for group, members in groupby(ordered, key=lambda c: c.group)]


def render_command_help(command: Command) -> Message:
    lines = [f"*/rtb {command.verb}* — {_(command.summary)}", f"`{escape(command.usage())}`"]
    lines += [f"• `&lt;{a.name}&gt;` {_(a.help)}" for a in command.args]
    lines += [f"• `--{f.name}` {_(f.help)}" for f in command.flags]
    if command.examples:
        examples = ", ".join(f"`{e}`" for e in command.examples)
        lines.append(_("Examples: {examples}", examples=examples))
    return simple("\n".join(lines), ephemeral=True)


def render_ping(report: PingReport) -> Message:
    rows = [
        f"{_mark(c.reachable, c.configured)} *{c.name}* — {escape(_check_text(c))}"
        for c in report.checks
    ]
    # a backend left out of the config is shown (white) but does not make the bot unhealthy
    healthy = all(c.reachable for c in report.checks if c.configured)
    summary = (
        _("all configured backends reachable") if healthy else _("some backends are not reachable")
    )
    # the first line's mark is the rows' verdict (a decorative emoji, which a text rendering
    # drops, left that line starting with a space)
    return Message(
        text=_("pong — rtb-ops-bot {version}: {summary}", version=report.version, summary=summary),
        blocks=(
            section(
                _(
                    "{mark} *pong* — rtb-ops-bot `{version}`: {summary}",
                    mark=_mark(healthy, True),
                    version=report.version,
                    summary=summary,
                )
            ),
            section("\n".join(rows)),
        ),
    )


def _mark(reachable: bool, configured: bool) -> str:
    if reachable:
        return ":large_green_circle:"
    return ":red_circle:" if configured else ":white_circle:"


def render_language(locale: Locale, *, chosen: bool) -> Message:
    """`/rtb lang`: the reader's language (`chosen`: their own choice, else the default)."""
    name = _(LANGUAGE_NAMES[locale])
    if chosen:
        text = _("I answer you in {language}, as you chose.", language=name)
    else:
        text = _("I answer you in {language}, the team's default.", language=name)
    hint = _("`/rtb lang en` switches to English, `/rtb lang ko` to Korean.")
    return simple(f":speech_balloon: {text} {hint}", ephemeral=True)


def render_language_chosen(locale: Locale) -> Message:
    """Rendered in the language just chosen: the first answer in it."""
    back = "ko" if locale == "en" else "en"
    text = _(
        "From now on I answer you in {language}. `/rtb lang {back}` switches back.",
        language=_(LANGUAGE_NAMES[locale]),
        back=back,
    )
    return simple(f":white_check_mark: {text}", ephemeral=True)


# What a ping check found, in words (`ops.health.Seen`; `detail` and `against` are its data)
_SEEN = {
    Seen.AS_IS: lambda c: c.detail,
    Seen.NOT_CONFIGURED: lambda c: _("not configured"),
    Seen.ACCOUNT: lambda c: _("account {account}", account=c.detail),
    Seen.ACCOUNT_MISMATCH: lambda c: _(
        "account {account} (config says {expected}!)", account=c.detail, expected=c.against
    ),
    Seen.LINKED: lambda c: _("account {account} linked (log groups shared)", account=c.detail),
    Seen.NOT_LINKED: lambda c: _(
        "account {account} has no link to {env}", account=c.detail, env=c.against
    ),
    Seen.NO_LOG_GROUPS: lambda c: _(
        "account {account}'s link shares no log groups", account=c.detail
    ),
    Seen.SERVER: lambda c: _("server {version}", version=c.detail),
}


def _check_text(check: BackendCheck) -> str:
    if check.failure is not None:
        return failure_text(check.failure)
    words: Callable[[BackendCheck], str] = _SEEN[check.seen]
    return words(check)
