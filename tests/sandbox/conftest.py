"""One sandbox for every test here: moto runs in this process and keeps its state in module
globals, so a second SandboxStack in the same session would find the first one's resources."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.stack import SandboxStack


@pytest.fixture(scope="session")
def stack() -> Iterator[SandboxStack]:
    with SandboxStack(queue_traffic=False) as running:  # the seed exactly (no live jobs)
        yield running
