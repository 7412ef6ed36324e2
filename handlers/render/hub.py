"""The hub's service data as Slack messages: status, queues, executions and costs, one module
per answer (hub_status, hub_queues, hub_executions, hub_costs), named here for the handlers."""

from __future__ import annotations

from handlers.render.hub_costs import render_costs
from handlers.render.hub_executions import render_executions
from handlers.render.hub_format import MARKS
from handlers.render.hub_queues import render_queue, render_queues
from handlers.render.hub_status import LABELS, format_threshold, format_value, render_status

__all__ = [
    "LABELS",
    "MARKS",
    "format_threshold",
    "format_value",
    "render_costs",
    "render_executions",
    "render_queue",
    "render_queues",
    "render_status",
]
