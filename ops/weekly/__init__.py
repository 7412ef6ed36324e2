"""The weekly checklist (runbook §6.2): four collectors, the sampler behind one of them, the
14-day chart's numbers, and `build_weekly` that asks every source at once.

Slack-agnostic: typed results only; `handlers/render/weekly.py` turns them into words.
"""
