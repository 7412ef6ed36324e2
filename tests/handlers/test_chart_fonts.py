"""Hangul on the weekly chart: the Korean words are drawn with a font that has them (the image
installs fonts-nanum; scripts/bootstrap installs it for the tests), and the English ones when
no font tried has Hangul — never boxes. Each case runs in a child process, as the chart does
(matplotlib never loads in the test process), with the font list pointed at explicitly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from handlers.render.chart import chart_spec
from handlers.render.chart_fonts import FONTS_ENV, HANGUL_FONT_FILES
from handlers.render.i18n import use_locale
from ops.fanout import Part
from tests.handlers.test_weekly_chart import ai_daily
from tests.handlers.test_weekly_render import digest

NANUM = HANGUL_FONT_FILES[0]
# What the child prints: the font chosen for Hangul, the title drawn, the file matplotlib
# resolves the chosen family to, and every glyph it warned it could not draw.
PROBE = """
import json, sys, warnings
from matplotlib import font_manager, pyplot
from handlers.render.chart_png import covering_font, draw, drawable_labels
spec = json.loads(sys.argv[1])
font = covering_font({"가"})
title = drawable_labels(spec)["title"]
resolved = font_manager.findfont(pyplot.rcParams["font.family"][0]) if font else None
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    png = draw(spec)
missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
print(json.dumps({"font": font, "title": title, "resolved": resolved, "missing": missing,
                  "png": png.startswith(b"\\x89PNG")}))
"""


def korean_spec() -> dict:
    with use_locale("ko"):
        return chart_spec(digest(ai_daily=Part(value=ai_daily())), 100.0)


def drawn(spec: dict, fonts: list[str] | None) -> dict:
    """Draw `spec` in a child; `fonts` is the explicit font list (None: the default search)."""
    env = {k: v for k, v in os.environ.items() if k != FONTS_ENV}
    if fonts is not None:
        env[FONTS_ENV] = os.pathsep.join(fonts)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return json.loads(done.stdout)


def dejavu_sans() -> str:
    """matplotlib's own font file (it has Greek, no Hangul)."""
    code = "from matplotlib import font_manager; print(font_manager.findfont('DejaVu Sans'))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_with_a_hangul_font_the_korean_words_are_drawn_in_it():
    assert Path(NANUM).exists(), f"{NANUM} missing: apt-get install fonts-nanum (scripts/bootstrap)"
    spec = korean_spec()
    for fonts in (None, [dejavu_sans(), NANUM]):  # found by itself, and chosen from a list
        chart = drawn(spec, fonts)
        assert chart["font"] == "NanumGothic", fonts
        assert chart["title"] == spec["labels"]["title"] == "rtb-ai-hub: 최근 14일"
        assert chart["resolved"] == NANUM  # the family drawn with is that file
        assert chart["missing"] == [] and chart["png"]


def test_without_a_hangul_font_a_korean_chart_has_its_english_words():
    spec = korean_spec()
    chart = drawn(spec, [dejavu_sans()])
    assert chart["font"] is None
    assert chart["title"] == spec["labels_en"]["title"] == "rtb-ai-hub: the last 14 days"
    assert chart["missing"] == [] and chart["png"]  # English, not boxes
    greek = {**spec, "labels": {**spec["labels_en"], "title": "Ω"}}
    assert drawn(greek, [dejavu_sans()])["title"] == "Ω"  # a script the font has: as given
    assert drawn(spec, [])["title"] == spec["labels_en"]["title"]  # no font at all
