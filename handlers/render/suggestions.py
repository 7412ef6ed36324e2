"""A `Suggestion` as the command line a user types: `/rtb search all --issue PROJ-300 --since 24h`.

Each value is quoted the way the slash parser splits it (`handlers/parse.py` reads a line with
`shlex.split`), so a value with a space or a quote still arrives as one value; plain values
(env names, keys, durations, kube names) stay bare, as people type them.
"""

from __future__ import annotations

import shlex

from ops.suggestions import Suggestion

SLASH = "/rtb"


def command_line(suggestion: Suggestion) -> str:
    """The whole line, `/rtb` first."""
    return f"{SLASH} {command_words(suggestion)}"


def command_words(suggestion: Suggestion) -> str:
    """The line without `/rtb`: what a button runs through the command table."""
    words = [suggestion.command, *(shlex.quote(arg) for arg in suggestion.args)]
    for name, value in suggestion.flags:
        words.append(f"--{name}" if value is None else f"--{name} {shlex.quote(value)}")
    return " ".join(words)
