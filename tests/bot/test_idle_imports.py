"""What the serving process holds while idle: only what it needs to answer.

Memory is measured in bench/ack.py (idle PSS); this keeps the packages a serving bot never
needs until later out of its start, so a stray top-level import cannot bring them back:
Babel (loaded at the first number, amount or duration rendered, or to compile a catalog
that has no `.mo`), matplotlib (the weekly chart, drawn in a child process), the console's
prompt_toolkit and emoji, and the sandbox's moto.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVING = "import bot.cli, bot.app, bot.front, bot.worker"  # what `rtb-bot serve` imports
LATER = ("babel", "matplotlib", "prompt_toolkit", "emoji", "moto")


def imported_by(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after `statement`."""
    script = f"{statement}; import json, sys; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout)}


def test_serving_start_leaves_later_packages_unimported() -> None:
    loaded = imported_by(SERVING)

    assert "slack_bolt" in loaded  # the check sees the real start
    assert sorted(loaded & set(LATER)) == []
