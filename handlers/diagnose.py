"""`/rtb diagnose preview <ISSUE-KEY> | backlog | costs`: the runbook §5.3 playbooks."""

from __future__ import annotations

from handlers.context import CommandCall
from handlers.render.diagnose import render_diagnosis
from handlers.render.i18n import N_, _
from handlers.render.message import Message
from handlers.spec import Arg, Command, choice
from ops import diagnose
from ops.errors import UserError

PLAYBOOKS = ("preview", "backlog", "costs")
USAGE = "/rtb diagnose preview <ISSUE-KEY> | backlog | costs"  # a name: typed as is


async def run_diagnose(call: CommandCall) -> Message:
    """One answer: what was checked, what was found, the likely cause, what to run next."""
    backends, playbook, key = call.deps.backends, call.values["playbook"], call.values["issue"]
    if playbook == "preview":
        if key is None:
            raise UserError(
                _("Which preview? Give its Jira issue key, e.g. PROJ-123."), usage=USAGE
            )
        diagnosis = await diagnose.diagnose_preview(backends, key)
    elif key is not None:
        message = _("`/rtb diagnose {playbook}` takes no issue key.", playbook=playbook)
        raise UserError(message, usage=USAGE)
    elif playbook == "backlog":
        diagnosis = await diagnose.diagnose_backlog(backends)
    else:
        diagnosis = await diagnose.diagnose_costs(backends)
    return render_diagnosis(diagnosis, call.deps.config.timezone)


COMMANDS = (
    Command(
        "diagnose",
        N_(
            "Runbook §5.3 playbooks: preview not created, BullMQ backlog, AI cost spike — "
            "checks, likely cause, next command."
        ),
        run_diagnose,
        args=(
            Arg("playbook", N_("preview, backlog or costs"), choice(*PLAYBOOKS)),
            Arg(
                "issue",
                N_("for preview: the Jira issue key, e.g. PROJ-123"),
                diagnose.issue_key,
                optional=True,
            ),
        ),
        group="Investigate",
        examples=(
            "/rtb diagnose preview PROJ-123",  # a name: a command line, typed as is
            "/rtb diagnose backlog",  # a name
            "/rtb diagnose costs",  # a name
        ),
    ),
)
