"""Golden-file checks for pure renderers: `UPDATE_GOLDEN=1 scripts/test` rewrites the files."""

from __future__ import annotations

import json
import os
from pathlib import Path

from handlers.render.message import Message

GOLDEN_DIR = Path(__file__).parent / "handlers" / "golden"


def assert_golden(name: str, message: Message) -> None:
    path = GOLDEN_DIR / f"{name}.json"
    actual = json.dumps(message.to_json(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    assert path.exists() or not os.environ.get("CI"), f"{path} missing: golden files are committed"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs (UPDATE_GOLDEN=1 to accept)"
    assert len(message.blocks) <= 50, "Slack allows 50 blocks per message"
