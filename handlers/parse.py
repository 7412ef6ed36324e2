"""`/rtb <verb> [args] [--flags]` → (Command, values), or a UserError with usage / did-you-mean."""

from __future__ import annotations

import difflib
import shlex
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.command_words import KOREAN_ALIASES
from handlers.render.errors import character_name, invalid_text
from handlers.render.i18n import _
from handlers.spec import Arg, Command, Flag, InvalidValue
from ops.errors import Invalid, UserError
from ops.storable_text import first_unstorable

MAX_COMMAND_LENGTH = 4000
SUGGESTION_MARGIN = 0.2  # a did-you-mean this much less alike than the best one is noise


@dataclass(frozen=True)
class Parsed:
    command: Command
    values: dict[str, Any]  # positional args and flags by name, parsed, defaults filled in


def tokenize(text: str) -> list[str]:
    if len(text) > MAX_COMMAND_LENGTH:
        raise UserError(
            _("That command is too long (at most {n} characters).", n=MAX_COMMAND_LENGTH)
        )
    bad = first_unstorable(text)  # a reason or a filter would fail in the database
    if bad is not None:
        raise UserError(
            _("That command contains {bad}. Type it again without it.", bad=character_name(bad))
        )
    try:
        return shlex.split(text.replace("\u201c", '"').replace("\u201d", '"'))
    except ValueError:
        raise UserError(
            _('A quote is not closed. Put text with spaces in "double quotes".')
        ) from None


def find_command(words: list[str], table: Mapping[str, Command]) -> tuple[Command, list[str]]:
    """Longest verb first: `queue pause x` is `queue pause`, `queue x` is `queue`. A Korean
    alias stands for its verb (`상태 prd` is `status prd`)."""
    words = [KOREAN_ALIASES.get(words[0], words[0]), *words[1:]] if words else words
    for length in (2, 1):
        verb = " ".join(words[:length]).lower()
        if len(words) >= length and verb in table:
            return table[verb], words[length:]
    raise unknown_verb(words[0] if words else "", table)


def unknown_verb(verb: str, table: Mapping[str, Command]) -> UserError:
    close = close_verbs(verb, table)
    if not close:
        return UserError(_("I don't know `{verb}`. Try `/rtb help` for the list.", verb=verb))
    return UserError(
        _(
            "I don't know `{verb}`. Did you mean {verbs}? Try `/rtb help` for the list.",
            verb=verb,
            verbs=", ".join(close),
        )
    )


def close_verbs(verb: str, table: Mapping[str, Command]) -> list[str]:
    """The verbs (and Korean aliases) nearest `verb`, at most three, as code: `status`, or an
    alias with its verb, `상태` (`status`). Compared letter by letter in decomposed Hangul, so
    `상턔` is one vowel away from `상태` rather than a whole syllable."""
    words = {v.split()[0]: v.split()[0] for v in table}
    words.update((alias, meant) for alias, meant in KOREAN_ALIASES.items() if meant in table)
    shown = _nearest(verb.lower(), words)
    return [f"`{word}`" if words[word] == word else f"`{word}` (`{words[word]}`)" for word in shown]


def _nearest(typed: str, words: Iterable[str]) -> list[str]:
    """At most three words at least half alike, and only those about as close as the best:
    `pnig` is `ping` (0.75), not also `lang` (0.5)."""
    scored = sorted(
        ((difflib.SequenceMatcher(None, _letters(typed), _letters(w)).ratio(), w) for w in words),
        reverse=True,
    )
    best = scored[0][0] if scored else 0.0
    return [word for score, word in scored[:3] if score >= max(0.5, best - SUGGESTION_MARGIN)]


def _letters(word: str) -> str:
    return unicodedata.normalize("NFD", word)


HELP_WORDS = ("-h", "--help")


def parse(text: str, table: Mapping[str, Command]) -> Parsed:
    """`--help` or `-h` anywhere after a verb is that verb's help (`/rtb help <verb>`)."""
    words = tokenize(text)
    command, rest = find_command(words, table)
    if "help" in table and any(word in HELP_WORDS for word in rest):
        return Parsed(table["help"], {"command": command.verb})
    positionals, flag_words = _split_flags(command, rest)
    values = _bind_positionals(command, positionals)
    values.update(_bind_flags(command, flag_words))
    return Parsed(command, values)


def _split_flags(command: Command, words: list[str]) -> tuple[list[str], dict[str, str | None]]:
    positionals: list[str] = []
    flags: dict[str, str | None] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and len(word) > 2:
            name, _equals, inline = word[2:].partition("=")
            flag = _flag(command, name)
            if flag.is_switch or inline:
                flags[flag.name] = inline or None
            elif index + 1 < len(words):
                index += 1
                flags[flag.name] = words[index]
            else:
                raise command.usage_error(_("`--{flag}` needs a value.", flag=flag.name))
        else:
            positionals.append(word)
        index += 1
    return positionals, flags


def _flag(command: Command, name: str) -> Flag:
    for flag in command.flags:
        if flag.name == name:
            return flag
    known = [f.name for f in command.flags]
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        raise command.usage_error(
            _(
                "`/rtb {verb}` has no option `--{name}`. Did you mean `--{close}`?",
                verb=command.verb,
                name=name,
                close=close[0],
            )
        )
    raise command.usage_error(
        _("`/rtb {verb}` has no option `--{name}`.", verb=command.verb, name=name)
    )


def _bind_positionals(command: Command, words: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, arg in enumerate(command.args):
        if arg.rest:
            if not words[index:] and not arg.optional:
                raise _missing(command, arg)
            text = " ".join(words[index:])
            values[arg.name] = _convert(command, arg, text) if text else arg.default
            return values
        if index < len(words):
            values[arg.name] = _convert(command, arg, words[index])
        elif arg.optional:
            values[arg.name] = arg.default
        else:
            raise _missing(command, arg)
    extra = words[len(command.args) :]
    if extra:
        raise command.usage_error(_("Unexpected `{text}`.", text=_shorten(" ".join(extra))))
    return values


def _bind_flags(command: Command, given: dict[str, str | None]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for flag in command.flags:
        if flag.name not in given:
            values[flag.name] = False if flag.is_switch else flag.default
        elif flag.is_switch:
            values[flag.name] = True
        else:
            values[flag.name] = _convert(command, flag, given[flag.name] or "")
    return values


def _convert(command: Command, spec: Arg | Flag, text: str) -> Any:
    try:
        return spec.parse(text)
    except ValueError as exc:
        label = f"--{spec.name}" if isinstance(spec, Flag) else f"<{spec.name}>"
        reason = _refusal(exc)
        raise command.usage_error(
            _(
                "`{text}` is not a valid {label}: {reason}.",
                text=_shorten(text),
                label=label,
                reason=reason,
            )
        ) from None


def _refusal(exc: ValueError) -> str:
    """A parser's refusal in the reader's language (a plain ValueError's text is a marked
    msgid; one no catalog holds shows as written)."""
    if isinstance(exc, InvalidValue):
        return _(exc.message, **exc.params)
    if isinstance(exc, Invalid):  # an ops parser's refusal, as a code
        return invalid_text(exc)
    return _(str(exc))


def _missing(command: Command, arg: Arg) -> UserError:
    return command.usage_error(_("Missing <{name}>: {help}.", name=arg.name, help=_(arg.help)))


def _shorten(text: str, limit: int = 60) -> str:
    """User text echoed back is cut short and stripped of backticks (it sits in `code`)."""
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
