"""A next step an answer suggests: a command of the table with its values, no words, no markup.

`handlers/render/suggestions.py` writes it as the line a user types (`/rtb search all --issue
PROJ-300 --since 24h`), quoting what the slash parser (`handlers/parse.py`, shlex) would split;
tests parse every suggestion a playbook makes through the command table, so a suggestion is a
command that runs, never a dead end.
"""

from __future__ import annotations

from dataclasses import dataclass

Flag = tuple[str, str | None]  # ("since", "1h") is `--since 1h`; ("errors", None) is `--errors`


@dataclass(frozen=True)
class Suggestion:
    """`command` is the table's verb (`"search"`, `"queue resume"`); `args` its positionals in
    order; `flags` in the order they are shown, a switch with the value None."""

    command: str
    args: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = ()


def suggest(command: str, *args: str, **flags: str | bool) -> Suggestion:
    """`suggest("logs", "int", "workflow-engine", since="1h")`; `errors=True` is a switch.
    A flag named with a dash (`--dry-run`) is written with an underscore (`dry_run=True`)."""
    shown: list[Flag] = []
    for name, value in flags.items():
        if value is False:
            continue
        shown.append((name.replace("_", "-"), None if value is True else value))
    return Suggestion(command, tuple(args), tuple(shown))
