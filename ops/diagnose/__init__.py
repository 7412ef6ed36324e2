"""`/rtb diagnose`: the three runbook §5.3 playbooks, each as one answer.

A playbook asks every source it needs at once (`gather_parts`), turns what came back into
checks (what was looked at, what was found, ok / warn / fail / unknown), derives the likely
cause from the checks that failed, and names the next commands to run. A source that does not
answer makes its checks "unknown" with the reason; it never stops the others.

The findings and causes are plain sentences without Slack markup (the renderer adds the
marks and escapes them): a playbook's conclusion is the operation's result here, not a
presentation of numbers, so it is written where the numbers are understood.
"""

from ops.diagnose.backlog import diagnose_backlog, scaled_object
from ops.diagnose.common import Check, CheckState, Diagnosis, issue_key, preview_namespace
from ops.diagnose.costs import CostRate, cost_rates, diagnose_costs
from ops.diagnose.preview import diagnose_preview, mentions

__all__ = [
    "Check",
    "CheckState",
    "CostRate",
    "Diagnosis",
    "cost_rates",
    "diagnose_backlog",
    "diagnose_costs",
    "diagnose_preview",
    "issue_key",
    "mentions",
    "preview_namespace",
    "scaled_object",
]
