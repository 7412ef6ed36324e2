"""The weekly chart as a PNG, drawn by matplotlib (Agg) in its own process.

Run as `python -m handlers.render.chart_png`: a chart spec (JSON, see handlers.render.chart) on
stdin, the PNG on stdout. Only this module imports matplotlib (an import-linter contract):
matplotlib and numpy cost the process ~30 MB that would otherwise stay in the worker all day;
the child gives it back when it exits.

The spec brings its words already translated (`labels`) and in English (`labels_en`): the
reader's are drawn when a font has every one of their characters, the English ones otherwise
(matplotlib's own DejaVu Sans has no Hangul: boxes are worse than English). The fonts tried, in
order: `RTB_CHART_FONTS` (font files, `:`-separated: only those) when it is set; else the
Hangul fonts of Debian's packages where they are installed (the image has fonts-nanum's
NanumGothic) and then every font matplotlib knows. The files come first because matplotlib's
font list is a cache built once: a font installed after it was built is not in it.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import dates, font_manager
from matplotlib.axes import Axes
from matplotlib.ft2font import FT2Font

from handlers.render.chart_fonts import FONTS_ENV, HANGUL_FONT_FILES

WIDTH, HEIGHT, DPI = 10, 6, 100
LEGEND: Final = "upper left"  # internal: a matplotlib position
# matplotlib's own fallback: a box for every character it has no glyph for
PLACEHOLDER_FONT: Final = "Last Resort"  # a name


def draw(spec: dict[str, Any]) -> bytes:
    labels = drawable_labels(spec)
    figure, (ai_axes, fargate_axes) = plt.subplots(
        2, 1, figsize=(WIDTH, HEIGHT), dpi=DPI, sharex=True
    )
    figure.suptitle(labels["title"])
    _ai(ai_axes, spec["ai"], labels)
    _fargate(fargate_axes, spec["fargate"], labels)
    fargate_axes.xaxis_date()
    fargate_axes.xaxis.set_major_formatter(dates.DateFormatter("%m-%d"))
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def drawable_labels(spec: dict[str, Any]) -> dict[str, str]:
    """The reader's words with a font that has all their characters; else the English ones."""
    labels: dict[str, str] = spec["labels"]
    wanted = {c for text in labels.values() for c in text if ord(c) > 0x2FF}
    if not wanted:
        return labels
    font = covering_font(wanted)
    if font is None:
        english: dict[str, str] = spec["labels_en"]
        return english
    plt.rcParams["font.family"] = [font, *plt.rcParams["font.family"]]
    return labels


def covering_font(characters: set[str]) -> str | None:
    """The family name of the first font (`font_files`) with a glyph for every one of
    `characters`, made known to matplotlib; None when no font has them all."""
    for path in font_files():
        try:
            face = FT2Font(path)
        except (OSError, RuntimeError):
            continue
        name = str(face.family_name)
        if name.startswith(PLACEHOLDER_FONT):
            continue
        if all(face.get_char_index(ord(c)) for c in characters):
            font_manager.fontManager.addfont(path)
            return name
    return None


def font_files() -> Iterator[str]:
    """The font files to try, in order (the module's docstring says which)."""
    chosen = os.environ.get(FONTS_ENV)
    if chosen is not None:
        yield from (path for path in chosen.split(os.pathsep) if path)
        return
    yield from (path for path in HANGUL_FONT_FILES if os.path.exists(path))
    yield from (entry.fname for entry in font_manager.fontManager.ttflist)


def _days(points: list[list[Any]]) -> tuple[Any, list[float]]:
    """x as matplotlib date numbers (the axes show them as dates), y as floats."""
    days = [date.fromisoformat(d) for d, _ in points]
    return dates.date2num(days), [float(v) for _, v in points]


def _ai(axes: Axes, ai: dict[str, Any], labels: dict[str, str]) -> None:
    axes.set_ylabel(labels["usd_per_day"])
    if ai.get("unread"):
        axes.set_title(labels["ai_unread"].format(reason=ai["unread"]))
        return
    days, values = _days(ai["points"])
    axes.bar(days, values, color="#4a7bd0", label=labels["ai_bars"])
    axes.axhline(float(ai["threshold"]), color="#d04a4a", linestyle="--", label=labels["threshold"])
    axes.set_ylim(bottom=0)
    axes.set_title(labels["ai_title"])
    axes.legend(loc=LEGEND)


def _fargate(axes: Axes, fargate: dict[str, Any], labels: dict[str, str]) -> None:
    axes.set_ylabel(labels["usd_per_day"])
    if fargate.get("unread"):
        axes.set_title(labels["fargate_unread"].format(reason=fargate["unread"]))
        return
    for env, points in fargate["envs"].items():
        days, values = _days(points)
        axes.plot(days, values, marker="o", label=env)
    axes.set_ylim(bottom=0)
    missing = fargate.get("missing") or []
    axes.set_title(
        labels["fargate_missing"].format(envs=", ".join(missing))
        if missing
        else labels["fargate_title"]
    )
    if fargate["envs"]:
        axes.legend(loc=LEGEND)


def main() -> None:
    spec = json.load(sys.stdin)
    sys.stdout.buffer.write(draw(spec))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
