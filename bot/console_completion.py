"""What Tab offers in the console: words derived from data, never a second list to keep.

`/rtb` commands, their flags and the values of their choice arguments come from the command
table (`handlers.spec.Command`, `Arg`, `Flag`, `Choice`): a new command or env completes the day
it is added. The console's own commands complete from what the console knows now: its users
(`/as`), the buttons of the latest output (`/click`), the sandbox's verbs (`/sandbox`), the
scheduled jobs (`/fire`), the open form's options (`/submit`).

`complete(line, vocabulary)` is pure: the text before the cursor in, the candidate words for the
word being typed out (the caller replaces that word). `ConsoleCompleter` adapts it to
prompt_toolkit.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from handlers.spec import ENV, Choice, Command

# `/rtb help <command>`: its argument is a command's first word (free text for the parser)
HELP_VERB = "help"
_TYPED = re.compile(r"\S*$")  # the word being typed, as typed (quotes included)
_ALTERNATIVES = re.compile(r"<?([\w-]+(?:\|[\w-]+)+)>?")


@dataclass(frozen=True)
class Vocabulary:
    """Everything Tab may offer, as the console knows it at this moment."""

    table: Mapping[str, Command]
    console_commands: tuple[str, ...] = ()  # the console's own words (`/rtb`, `/as` …)
    users: tuple[str, ...] = ()
    buttons: int = 0
    sandbox_verbs: Mapping[str, str] = field(default_factory=dict)  # name → usage words
    jobs: tuple[str, ...] = ()
    form_options: tuple[str, ...] = ()


def complete(line: str, vocabulary: Vocabulary) -> list[str]:
    """The words that may replace the last (partly typed) word of `line`, sorted, unique."""
    words = _words(line)
    if words is None:
        return []  # inside an open quote: free text
    *done, typing = words
    return sorted({word for word in _candidates(done, vocabulary) if word.startswith(typing)})


def _words(line: str) -> list[str] | None:
    """The words of `line`, the last one being typed ("" after a space); None in a quote."""
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if not line or line[-1].isspace():
        words.append("")
    return words


def _candidates(done: list[str], vocabulary: Vocabulary) -> Iterable[str]:
    if not done:
        return vocabulary.console_commands
    first, rest = done[0], done[1:]
    if first == "/rtb":
        return _rtb_candidates(rest, vocabulary.table)
    if rest:  # the console's own commands take at most one word, `/sandbox` verbs aside
        return _sandbox_arguments(rest, vocabulary) if first == "/sandbox" else ()
    meta: dict[str, Iterable[str]] = {
        "/as": vocabulary.users,
        "/click": (str(number) for number in range(1, vocabulary.buttons + 1)),
        "/sandbox": ("help", *vocabulary.sandbox_verbs),
        "/fire": vocabulary.jobs,
        "/submit": vocabulary.form_options,
    }
    return meta.get(first, ())


def _rtb_candidates(done: list[str], table: Mapping[str, Command]) -> Iterable[str]:
    """A command's words first (`preview`, then `cleanup`), then its arguments and flags."""
    if not done:
        return {verb.split()[0] for verb in table}
    second_words = [verb.split()[1] for verb in table if verb.startswith(done[0] + " ")]
    two = " ".join(done[:2])
    if len(done) >= 2 and two in table:
        return _argument_candidates(table[two], done[2:], table)
    if len(done) == 1 and second_words:
        single = table.get(done[0])  # `queue` is a command, and `queue pause` another
        more = _argument_candidates(single, [], table) if single else ()
        return [*second_words, *more]
    command = table.get(done[0])
    return _argument_candidates(command, done[1:], table) if command else ()


def _argument_candidates(
    command: Command, done: list[str], table: Mapping[str, Command]
) -> list[str]:
    """After `--flag` that takes a value: its choices; else the next positional's choices,
    and the flags not given yet (offered once the word starts with `-`, or when the
    positional has no choices)."""
    flags = {f"--{flag.name}": flag for flag in command.flags}
    if done and done[-1] in flags and not flags[done[-1]].is_switch:
        return list(_options(flags[done[-1]].parse))
    positionals = _positional_count(done, flags)
    values = _positional_options(command, positionals, table)
    unused = [name for name in flags if name not in done]
    return [*values, *unused] if values else unused


def _positional_count(done: list[str], flags: Mapping[str, object]) -> int:
    count, skip = 0, False
    for word in done:
        if skip:
            skip = False
        elif word.startswith("--"):
            flag = flags.get(word.partition("=")[0])
            skip = flag is not None and "=" not in word and not getattr(flag, "is_switch", True)
        else:
            count += 1
    return count


def _positional_options(
    command: Command, index: int, table: Mapping[str, Command]
) -> tuple[str, ...]:
    if index >= len(command.args):
        return ()
    arg = command.args[index]
    if command.verb == HELP_VERB and index == 0:
        return tuple(sorted({verb.split()[0] for verb in table}))
    return _options(arg.parse)


def _options(parse: object) -> tuple[str, ...]:
    return parse.options if isinstance(parse, Choice) else ()


def _sandbox_arguments(done: list[str], vocabulary: Vocabulary) -> tuple[str, ...]:
    """A verb's usage as data: `A|B|C` at a position offers A, B and C; `<env>` the envs."""
    slots = vocabulary.sandbox_verbs.get(done[0], "").split()
    position = len(done) - 1
    if position >= len(slots):
        return ()
    if slots[position] == "<env>":
        return ENV.options
    alternatives = _ALTERNATIVES.fullmatch(slots[position])
    return tuple(alternatives[1].split("|")) if alternatives else ()


class ConsoleCompleter(Completer):
    """prompt_toolkit's side: the vocabulary is read at each Tab (buttons and users change)."""

    def __init__(self, vocabulary: Callable[[], Vocabulary]) -> None:
        self.vocabulary = vocabulary

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        line = document.text_before_cursor
        typed = len(_TYPED.search(line)[0])  # type: ignore[index]
        for word in complete(line, self.vocabulary()):
            yield Completion(word, start_position=-typed)
