"""The weekly chart as a PNG, drawn by matplotlib (Agg) in its own process.

Run as `python -m handlers.render.chart_png`: a chart spec (JSON, see handlers.render.chart) on
stdin, the PNG on stdout. Only this module imports matplotlib (an import-linter contract):
matplotlib and numpy cost the process ~30 MB that would otherwise stay in the worker all day;
the child gives it back when it exits.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import dates
from matplotlib.axes import Axes

WIDTH, HEIGHT, DPI = 10, 6, 100


def draw(spec: dict[str, Any]) -> bytes:
    figure, (ai_axes, fargate_axes) = plt.subplots(
        2, 1, figsize=(WIDTH, HEIGHT), dpi=DPI, sharex=True
    )
    figure.suptitle(str(spec["title"]))
    _ai(ai_axes, spec["ai"])
    _fargate(fargate_axes, spec["fargate"])
    fargate_axes.xaxis_date()
    fargate_axes.xaxis.set_major_formatter(dates.DateFormatter("%m-%d"))
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()


def _days(points: list[list[Any]]) -> tuple[Any, list[float]]:
    """x as matplotlib date numbers (the axes show them as dates), y as floats."""
    days = [date.fromisoformat(d) for d, _ in points]
    return dates.date2num(days), [float(v) for _, v in points]


def _ai(axes: Axes, ai: dict[str, Any]) -> None:
    axes.set_ylabel("USD / day")
    if ai.get("unread"):
        axes.set_title(f"AI cost per day: not read ({ai['unread']})")
        return
    days, values = _days(ai["points"])
    axes.bar(days, values, color="#4a7bd0", label="AI cost (ai_costs)")
    axes.axhline(float(ai["threshold"]), color="#d04a4a", linestyle="--", label="daily threshold")
    axes.set_ylim(bottom=0)
    axes.set_title("AI cost per day")
    axes.legend(loc="upper left")


def _fargate(axes: Axes, fargate: dict[str, Any]) -> None:
    axes.set_ylabel("USD / day")
    if fargate.get("unread"):
        axes.set_title(f"Fargate preview cost per env: not read ({fargate['unread']})")
        return
    for env, points in fargate["envs"].items():
        days, values = _days(points)
        axes.plot(days, values, marker="o", label=env)
    axes.set_ylim(bottom=0)
    missing = fargate.get("missing") or []
    title = "Fargate preview cost per env per day (Cost Explorer)"
    axes.set_title(title + (f"; not read: {', '.join(missing)}" if missing else ""))
    if fargate["envs"]:
        axes.legend(loc="upper left")


def main() -> None:
    spec = json.load(sys.stdin)
    sys.stdout.buffer.write(draw(spec))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
