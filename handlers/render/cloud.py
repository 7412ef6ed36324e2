"""Alarms, CloudTrail lookups and Logs Insights searches as Slack messages: one module per
answer (cloud_alarms, cloud_trail, cloud_logs), named here for the handlers."""

from __future__ import annotations

from handlers.render.cloud_alarms import render_alarms
from handlers.render.cloud_logs import render_search, render_search_unreadable
from handlers.render.cloud_trail import MAX_CHANGES_SHOWN, render_trail, render_trail_changes

__all__ = [
    "MAX_CHANGES_SHOWN",
    "render_alarms",
    "render_search",
    "render_search_unreadable",
    "render_trail",
    "render_trail_changes",
]
