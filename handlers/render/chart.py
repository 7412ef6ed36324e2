"""The weekly digest's chart: the last 14 days of AI cost per day and Fargate preview cost per
env per day, as a spec (pure, plain JSON) drawn into a PNG by a child process.

The child (`python -m handlers.render.chart_png`) imports matplotlib; the worker never does, so
its idle memory does not grow by matplotlib's ~30 MB for a picture drawn once a week. A child
that fails or takes longer than CHART_SECONDS is killed and the digest goes out without its
picture (`ChartFailed`, logged); the numbers are in the digest anyway.

The words on the picture are translated here, in the reader's locale (the channel's), and
passed in the spec with their English beside them: the child draws the reader's words when
a font with their script is installed (Hangul: the image's NanumGothic, from fonts-nanum) and
the English ones otherwise, rather than empty boxes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from handlers.render.failures import failure_line
from handlers.render.i18n import N_, _, use_locale
from ops.weekly.digest import WeeklyDigest

CHART_SECONDS = 30.0
CHART_MODULE = "handlers.render.chart_png"
FILENAME = "weekly-costs.png"
# Every word on the picture, marked for the catalogs and translated in `_labels`.
LABELS = {
    "title": N_("rtb-ai-hub: the last 14 days"),
    "usd_per_day": N_("USD / day"),
    "ai_title": N_("AI cost per day"),
    "ai_unread": N_("AI cost per day: not read ({reason})"),
    "ai_bars": N_("AI cost (ai_costs)"),
    "threshold": N_("daily threshold"),
    "fargate_title": N_("Fargate preview cost per env per day (Cost Explorer)"),
    "fargate_missing": N_("Fargate preview cost per env per day (Cost Explorer); not read: {envs}"),
    "fargate_unread": N_("Fargate preview cost per env: not read ({reason})"),
}


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
    with use_locale("en"):
        english = _labels()
    return {"labels": _labels(), "labels_en": english, "ai": ai, "fargate": fargate}


def _labels() -> dict[str, str]:
    """The picture's words in the current locale; `{reason}`/`{envs}` are filled by the child."""
    return {key: _(text) for key, text in LABELS.items()}


def _reason(failure: Any) -> str:
    if failure is None:
        return _("no answer")
    return failure_line(failure)


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
        raise ChartFailed(f"no chart within {timeout:g} s") from None  # internal: logged
    if child.returncode != 0 or not png.startswith(b"\x89PNG"):
        status = child.returncode
        raise ChartFailed(f"the chart process exited with status {status}")  # internal: logged
    return png
