"""The weekly chart: its spec from the digest (pure) and the PNG drawn by a child process."""

from __future__ import annotations

import struct
import sys
from datetime import timedelta
from decimal import Decimal

import pytest

from handlers.render.chart import ChartFailed, chart_spec, draw_chart
from ops.fanout import Failed, Part
from ops.weekly.chart import AiDaily
from tests.handlers.test_weekly_render import FIRST_DAY, digest, fargate_week


def ai_daily():
    return AiDaily(tuple((FIRST_DAY + timedelta(days=n), Decimal(80 + n * 3)) for n in range(14)))


def test_the_spec_carries_every_day_exactly_and_names_what_was_not_read():
    missing = Failed("AWS prd Cost Explorer", "AccessDeniedException (HTTP 400)")
    spec = chart_spec(
        digest(ai_daily=Part(value=ai_daily()), fargate=Part(value=fargate_week([missing]))), 100.0
    )
    assert spec["ai"]["threshold"] == 100.0
    assert spec["ai"]["points"][0] == ["2026-02-16", "80"]
    assert spec["ai"]["points"][-1] == ["2026-03-01", "119"]
    assert list(spec["fargate"]["envs"]) == ["int", "stg"]
    assert spec["fargate"]["envs"]["stg"][7] == ["2026-02-23", "1.50"]
    assert spec["fargate"]["missing"] == ["AWS prd Cost Explorer"]
    unread = chart_spec(
        digest(ai_daily=Part(failure=Failed("PostgreSQL (hub)", "cannot connect"))), 1
    )
    assert unread["ai"] == {"unread": "PostgreSQL (hub): cannot connect"}


async def test_the_child_draws_a_png_and_the_worker_never_imports_matplotlib():
    spec = chart_spec(digest(ai_daily=Part(value=ai_daily())), 100.0)
    png = await draw_chart(spec)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1000, 600)
    assert "matplotlib" not in sys.modules


async def test_a_child_that_is_too_slow_is_killed_and_named():
    spec = chart_spec(digest(), 100.0)
    with pytest.raises(ChartFailed) as failed:
        await draw_chart(spec, timeout=0.01)
    assert failed.value.reason == "no chart within 0.01 s"


async def test_a_spec_the_child_cannot_draw_is_a_named_failure():
    with pytest.raises(ChartFailed) as failed:
        await draw_chart({"title": "x"})
    assert failed.value.reason == "the chart process exited with status 1"
