"""`/rtb <verb> [args] [--flags]` → (Command, values), or a UserError with usage / did-you-mean."""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from handlers.render.errors import invalid_text
from handlers.spec import Arg, Command, Flag
from ops.errors import UserError
from ops.storable_text import unstorable_character

MAX_COMMAND_LENGTH = 4000


@dataclass(frozen=True)
class Parsed:
    command: Command
    values: dict[str, Any]  # positional args and flags by name, parsed, defaults filled in


def tokenize(text: str) -> list[str]:
    if len(text) > MAX_COMMAND_LENGTH:
        raise UserError(f"That command is too long (at most {MAX_COMMAND_LENGTH} characters).")
    bad = unstorable_character(text)  # a reason or a filter would fail in the database
    if bad is not None:
        raise UserError(f"That command contains {bad}. Type it again without it.")
    try:
        return shlex.split(text.replace("\u201c", '"').replace("\u201d", '"'))
    except ValueError:
        raise UserError('A quote is not closed. Put text with spaces in "double quotes".') from None


def find_command(words: list[str], table: Mapping[str, Command]) -> tuple[Command, list[str]]:
    """Longest verb first: `queue pause x` is `queue pause`, `queue x` is `queue`."""
    for length in (2, 1):
        verb = " ".join(words[:length]).lower()
        if len(words) >= length and verb in table:
            return table[verb], words[length:]
    raise unknown_verb(words[0] if words else "", table)


def unknown_verb(verb: str, table: Mapping[str, Command]) -> UserError:
    first_words = sorted({v.split()[0] for v in table})
    close = difflib.get_close_matches(verb.lower(), first_words, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    return UserError(f"I don't know `{verb}`.{hint} Try `/rtb help` for the list.")


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
            name, _, inline = word[2:].partition("=")
            flag = _flag(command, name)
            if flag.is_switch or inline:
                flags[flag.name] = inline or None
            elif index + 1 < len(words):
                index += 1
                flags[flag.name] = words[index]
            else:
                raise command.usage_error(f"`--{flag.name}` needs a value.")
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
    hint = f" Did you mean `--{close[0]}`?" if close else ""
    raise command.usage_error(f"`/rtb {command.verb}` has no option `--{name}`.{hint}")


def _bind_positionals(command: Command, words: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, arg in enumerate(command.args):
        if arg.rest:
            if not words[index:] and not arg.optional:
                raise command.usage_error(f"Missing <{arg.name}>: {arg.help}.")
            text = " ".join(words[index:])
            values[arg.name] = _convert(command, arg, text) if text else arg.default
            return values
        if index < len(words):
            values[arg.name] = _convert(command, arg, words[index])
        elif arg.optional:
            values[arg.name] = arg.default
        else:
            raise command.usage_error(f"Missing <{arg.name}>: {arg.help}.")
    extra = words[len(command.args) :]
    if extra:
        raise command.usage_error(f"Unexpected `{_shorten(' '.join(extra))}`.")
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
        raise command.usage_error(
            f"`{_shorten(text)}` is not a valid {label}: {invalid_text(exc)}."
        ) from None


def _shorten(text: str, limit: int = 60) -> str:
    """User text echoed back is cut short and stripped of backticks (it sits in `code`)."""
    text = text.replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"
