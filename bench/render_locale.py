"""Issue 14 benchmark: what rendering a read answer costs in English and in Korean.

    .venv/bin/python bench/render_locale.py     # a few seconds; prints Markdown, exits

Every word now goes through gettext and the numbers through Babel: this measures the pure
renderers (`/rtb status`, `queues`, `queue`, `pods`, `previews`, `alarms`, `costs`) on the
English goldens' data, `RUNS` times each after a warm-up, median and p90 per render, in `en`
and in `ko`. No backend is involved: the answer's wall time is the backends' (bench/status.py).
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.render.cloud import render_alarms
from handlers.render.cluster import render_pods, render_previews
from handlers.render.hub import render_costs, render_queue, render_queues, render_status

try:
    from handlers.render.i18n import LOCALES, use_locale
except ImportError:  # before issue 14: English only
    from contextlib import nullcontext as use_locale  # type: ignore[assignment]

    LOCALES = ("en",)  # type: ignore[assignment]
from handlers.render.message import Message
from ops.alarms import AlarmReport
from ops.costs import AiCosts, CostLine, CostReport, CostWindow
from ops.fanout import Part
from ops.pods import PodList
from ops.previews import PreviewReport, preview_from
from ops.queues import QueueDetail
from tests.handlers import test_cloud as cloud
from tests.handlers import test_cluster as cluster
from tests.handlers import test_hub as hub

RUNS = 2000
TZ = "Asia/Seoul"


def _namespace(name: str, issue: str, expires_in: timedelta, created_hours: int) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"rtb.io/preview": "true", "rtb.io/issue-key": issue},
            "creationTimestamp": cluster.ago(hours=created_hours).isoformat(),
            "annotations": {"rtb.io/expires-at": (cluster.NOW + expires_in).isoformat()},
        }
    }


def answers() -> dict[str, Callable[[], Message]]:
    pods = tuple(cluster.pod(f"workflow-engine-6b7c9d8f5-{i:05d}") for i in range(12))
    previews = tuple(
        preview_from(
            "int",
            _namespace(f"preview-proj-{n}", f"PROJ-{n}", timedelta(hours=n - 5), 20),
            [cluster.pod("app")],
            cluster.NOW,
            timedelta(hours=2),
        )
        for n in range(10)
    )
    day = CostWindow.calendar_day(date(2025, 3, 10), TZ, hub.AT)
    lines = tuple(CostLine(f"model-{n}", "int", Decimal("12.5"), 40) for n in range(8))
    return {
        "status": lambda: render_status(hub.status_report(), TZ),
        "queues": lambda: render_queues(hub.OVERVIEW),
        "queue": lambda: render_queue(QueueDetail(hub.JIRA, (), True), TZ),
        "pods (12)": lambda: render_pods(
            PodList("int", "rtb-ai-hub", None, pods, cluster.NOW, 60.0), cluster.SEOUL
        ),
        "previews (10)": lambda: render_previews(
            PreviewReport(("int",), previews, (), cluster.NOW, 2.0), cluster.SEOUL
        ),
        "alarms (3)": lambda: render_alarms(AlarmReport(("int",), cloud.AT, cloud.ALARMS, ()), TZ),
        "costs": lambda: render_costs(
            CostReport(day, 100.0, Part(value=AiCosts(day, None, lines)), ()), TZ
        ),
    }


def timed(render: Callable[[], Message]) -> tuple[float, float]:
    for _ in range(50):
        render()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        render()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples), statistics.quantiles(samples, n=10)[-1]


def main() -> None:
    print(f"Python {platform.python_version()}, {RUNS} renders each, µs per render\n")
    print("| answer | en median | en p90 | ko median | ko p90 |")
    print("|---|---:|---:|---:|---:|")
    for name, render in answers().items():
        cells = []
        for locale in LOCALES:
            with use_locale(locale):
                cells += [f"{value:.0f}" for value in timed(render)]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
