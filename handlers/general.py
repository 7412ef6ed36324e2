"""`/rtb help`, `/rtb ping` and `/rtb lang`."""

from __future__ import annotations

from handlers.command_words import KOREAN_ALIASES
from handlers.context import CommandCall
from handlers.parse import unknown_verb
from handlers.render.general import (
    render_command_help,
    render_help,
    render_language,
    render_language_chosen,
    render_ping,
)
from handlers.render.i18n import LOCALES, N_, as_locale, use_locale
from handlers.render.message import Message
from handlers.spec import Arg, Command, choice, text_arg
from ops import health


async def run_help(call: CommandCall) -> Message:
    """With a verb: that command's usage; with a family's first word (`preview`, `queue`):
    the commands of that family; without: every command, grouped. A Korean alias is its
    verb's (`/rtb help 상태` is `/rtb help status`)."""
    words = (call.values["command"] or "").lower().split()
    verb = " ".join([KOREAN_ALIASES.get(words[0], words[0]), *words[1:]] if words else [])
    if not verb:
        return render_help(call.table.values())
    if verb in call.table:
        return render_command_help(call.table[verb])
    family = [c for c in call.table.values() if c.verb.split()[0] == verb]
    if family:
        return render_help(family)
    raise unknown_verb(verb, call.table)


async def run_ping(call: CommandCall) -> Message:
    report = await health.ping(call.deps.backends, call.deps.version)
    return render_ping(report)


async def run_lang(call: CommandCall) -> Message:
    """Without a language: the one you read and how to change it. With one: stored for you
    (every replica answers in it within a minute, this one at once), and said in it."""
    languages = call.deps.languages
    wanted = as_locale(call.values["language"])
    if wanted is None:
        stored = await languages.stored_choice(call.user_id)
        return render_language(stored or languages.default, chosen=stored is not None)
    await languages.choose(call.user_id, wanted)
    with use_locale(wanted):
        return render_language_chosen(wanted)


COMMANDS = (
    Command(
        "help",
        N_("List the commands, or explain one."),
        run_help,
        args=(
            Arg(
                "command",
                N_("a command, e.g. `status` or `queue pause`"),
                text_arg(40),
                optional=True,
                rest=True,
            ),
        ),
        examples=("/rtb help", "/rtb help pods"),  # a name: command syntax
        light=True,
    ),
    Command(
        "ping",
        N_("Bot version and, per env, whether each backend is configured and reachable."),
        run_ping,
    ),
    Command(
        "lang",
        N_("The language I answer you in: show it, or choose `en` or `ko`."),
        run_lang,
        args=(
            Arg(
                "language",
                N_("`en` (English) or `ko` (Korean)"),
                choice(*LOCALES, any_case=True),
                optional=True,
            ),
        ),
        examples=("/rtb lang", "/rtb lang ko"),  # a name: command syntax
        light=True,
    ),
)
