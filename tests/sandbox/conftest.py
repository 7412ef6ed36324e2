"""One sandbox for every test here: moto runs in this process and keeps its state in module
globals, so a second SandboxStack in the same session would find the first one's resources."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest

from sandbox.stack import SandboxStack


@pytest.fixture(scope="session")
def stack() -> Iterator[SandboxStack]:
    """`RTB_SANDBOX_NOW=2026-12-03T15:30:00+00:00` replays the seed at that moment: the seed is
    relative to now, so a failure that depends on the time of day can be run again at will."""
    at = os.environ.get("RTB_SANDBOX_NOW")
    now = datetime.fromisoformat(at) if at else None
    # the seed exactly, no live jobs; English, the words these tests read
    with SandboxStack(now=now, queue_traffic=False, language="en") as running:
        yield running
