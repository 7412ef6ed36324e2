"""The console's read–run loop: lines from a script or a terminal, each run by the Console.

Piped input is a script: each line is echoed after its prompt (a transcript). On a terminal
the line editor is prompt_toolkit's (bot.console_prompt). Input that is not valid UTF-8 is read
with U+FFFD in place of the bad bytes (bot.console_io.valid_text).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from prompt_toolkit import PromptSession

from bot.console import Console
from bot.console_io import in_daemon_thread, valid_text
from bot.console_prompt import read_prompted_line


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
