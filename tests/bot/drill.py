"""A console drill: a script piped into `rtb-bot shell --sandbox`, as a user would run it."""

from __future__ import annotations

import subprocess
import sys


def console_drill(script: str, *, timeout: float = 300, lang: str | None = "en") -> str:
    """The console's stdout after `script`: it must have exited 0, with no traceback anywhere.
    `lang`: `--lang` (the English words most drills read); None: the sandbox's own (Korean)."""
    language = ["--lang", lang] if lang else []
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "shell", "--sandbox", *language],
        input=script,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout
