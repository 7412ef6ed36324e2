"""The weekly digest's chart: the last 14 days of AI cost per day and Fargate preview cost per
env per day, as a spec (pure, plain JSON) drawn into a PNG by a child process.

The child (`python -m handlers.render.chart_png`) imports matplotlib; the worker never does, so
its idle memory does not grow by matplotlib's ~30 MB for a picture drawn once a week. A child
that fails or takes longer than CHART_SECONDS is killed and the digest goes out without its
picture (`ChartFailed`, logged); the numbers are in the digest anyway.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from ops.weekly.digest import WeeklyDigest

CHART_SECONDS = 30.0
CHART_MODULE = "handlers.render.chart_png"
FILENAME = "weekly-costs.png"


class ChartFailed(Exception):
    """The child did not draw the chart: `reason` is ours (exit status or timeout)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def chart_spec(digest: WeeklyDigest, threshold_usd: float) -> dict[str, Any]:
    """What the child draws: every number as text (Decimal-exact), unread sources named."""
    ai: dict[str, Any]
    if digest.ai_daily.value is not None:
        points = [[d.isoformat(), str(v)] for d, v in digest.ai_daily.value.days]
        ai = {"points": points, "threshold": threshold_usd}
    else:
        ai = {"unread": _reason(digest.ai_daily.failure)}
    fargate: dict[str, Any]
    week = digest.fargate.value
    if week is not None:
        fargate = {
            "envs": {e.env: [[d.isoformat(), str(v)] for d, v in e.days] for e in week.envs},
            "missing": [f.backend for f in week.failures],
        }
    else:
        fargate = {"unread": _reason(digest.fargate.failure)}
    return {"title": "rtb-ai-hub: the last 14 days", "ai": ai, "fargate": fargate}


def _reason(failure: Any) -> str:
    return f"{failure.backend}: {failure.reason}" if failure is not None else "no answer"


async def draw_chart(spec: dict[str, Any], timeout: float = CHART_SECONDS) -> bytes:
    """The PNG of `spec`, drawn by a fresh `python -m handlers.render.chart_png`."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        CHART_MODULE,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        png, _ = await asyncio.wait_for(child.communicate(json.dumps(spec).encode()), timeout)
    except TimeoutError:
        child.kill()
        await child.wait()
        raise ChartFailed(f"no chart within {timeout:g} s") from None
    if child.returncode != 0 or not png.startswith(b"\x89PNG"):
        raise ChartFailed(f"the chart process exited with status {child.returncode}")
    return png
