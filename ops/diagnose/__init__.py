"""`/rtb diagnose`: the three runbook §5.3 playbooks, each as one answer.

A playbook asks every source it needs at once (`gather_parts`), turns what came back into
checks (what was looked at, what was found, ok / warn / fail / unknown), derives the likely
cause from the checks that failed, and names the next commands to run. A source that does not
answer makes its checks "unknown" with the reason; it never stops the others.

The checks, causes and conclusions are data (`ops/diagnose/findings.py`): kinds with their
numbers and names, no words; `handlers/render/diagnose*.py` words them in the reader's language.
"""

from ops.diagnose.backlog import diagnose_backlog, scaled_object
from ops.diagnose.common import ENGINE, HUB_ENV, Diagnosis, issue_key, preview_namespace
from ops.diagnose.costs import cost_rates, diagnose_costs
from ops.diagnose.findings import Check, CheckKind, CheckState, CostRate
from ops.diagnose.preview import diagnose_preview, mentions

__all__ = [
    "ENGINE",
    "HUB_ENV",
    "Check",
    "CheckKind",
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
