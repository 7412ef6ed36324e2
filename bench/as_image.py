"""`rtb-bot` as the image runs it, from the dev venv: for bench/ack.py's idle memory.

    .venv/bin/python bench/ack.py --bot-command ".venv/bin/python bench/as_image.py"

The dev venv holds two packages the image does not (pyproject's `dev` extra), and libraries
the bot needs import them when they are there: structlog imports `rich` (import-linter brings
it) for its console tracebacks, and the kubernetes client's dynamic client imports
`kubernetes_validate` (the deploy tests' schemas) and with it jsonschema. Hidden here, they
are absent as in the image: ~7 MB of the worker's idle memory (README, Performance). Nothing
else changes; a measurement aid, never a way to run the bot.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

DEV_ONLY = ("rich", "kubernetes_validate")  # internal: package names


class DevOnlyHidden:
    """A meta path finder that answers "not installed" for the dev-only packages."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name.partition(".")[0] in DEV_ONLY:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, DevOnlyHidden())
    from bot.cli import main

    raise SystemExit(main())
