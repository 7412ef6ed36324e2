"""Line editing for the console on a terminal (prompt_toolkit): history, Tab completion.

Only when stdin and stdout are both a terminal; piped input is read as before (bot.console_loop).
The history is kept in `$XDG_STATE_HOME/rtb-ops-bot/console_history` (default
`~/.local/state/…`), never in the repository; where that file cannot be written the history
lasts the session only. Tab completes from the command table and what the console knows
(bot.console_completion).

Keys at the prompt: Ctrl-C drops the line being typed (as a shell does: the sandbox keeps
running), Ctrl-D on an empty line leaves, as end of input does. While a command runs the
terminal is back in its ordinary mode, so Ctrl-C there stops the console (exit 130), as
README says.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from bot.console_completion import ConsoleCompleter, Vocabulary

HISTORY_FILE = Path("rtb-ops-bot") / "console_history"


def history_path(environ: Mapping[str, str]) -> Path:
    """`$XDG_STATE_HOME/rtb-ops-bot/console_history`, else under `~/.local/state`."""
    state = environ.get("XDG_STATE_HOME") or ""
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / HISTORY_FILE


def open_history(path: Path) -> History:
    """The history file (created private to the user), else one kept in memory."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600, exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))


def prompt_session(
    vocabulary: Callable[[], Vocabulary],
    history: History,
    *,
    input: Input | None = None,  # prompt_toolkit's own names; tests pass a pipe
    output: Output | None = None,
) -> PromptSession[str]:
    return PromptSession(
        history=history,
        completer=ConsoleCompleter(vocabulary),
        complete_while_typing=False,  # Tab asks; typing is never slowed or hidden
        input=input,
        output=output,
    )


async def read_prompted_line(session: PromptSession[str], prompt: str) -> str | None:
    """The next line, or None when the user leaves (Ctrl-D); Ctrl-C gives an empty line."""
    try:
        # the console's own SIGINT/SIGTERM/SIGHUP handlers stay (bot.console_io.StopSignals)
        return await session.prompt_async(prompt, handle_sigint=False)
    except KeyboardInterrupt:
        return ""
    except EOFError:
        return None
