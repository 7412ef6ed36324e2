"""Pods, logs, rollout history and status, can-i and previews as Slack messages: one module
per answer (cluster_pods, cluster_rollouts, cluster_access, cluster_previews), named here for
the handlers."""

from __future__ import annotations

from handlers.render.cluster_access import render_can_i
from handlers.render.cluster_format import span
from handlers.render.cluster_pods import render_logs, render_pods
from handlers.render.cluster_previews import render_previews
from handlers.render.cluster_rollouts import render_history, render_rollout_status

__all__ = [
    "render_can_i",
    "render_history",
    "render_logs",
    "render_pods",
    "render_previews",
    "render_rollout_status",
    "span",
]
