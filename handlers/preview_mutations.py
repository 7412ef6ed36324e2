"""Change, preview namespaces: create, delete, clean up the expired ones — through the gate."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from approvals.gate import Requester
from approvals.outcomes import GateOutcome, ReasonNeeded
from approvals.preview_cleanups import CleanupPreviews
from approvals.preview_mutations import DELETE_ACTION, CreatePreview, DeletePreview
from handlers.call_args import configured_env
from handlers.context import CommandCall
from handlers.forms import form_opened_if
from handlers.mutations import REASON, ask_for_reason, submit_mutation
from handlers.render.approvals import REASON_TITLE
from handlers.render.i18n import N_, _
from handlers.render.message import Message
from handlers.render.preview_mutations import (
    EnvCleanup,
    render_cleanup,
    render_preview_created,
    render_preview_deleted,
)
from handlers.spec import ENV, Arg, Command, Flag
from ops import preview_cleanup, preview_deletes, preview_names
from ops.config import ENV_NAMES, EnvName
from ops.fanout import gather_parts
from ops.timestamps import now_utc

GROUP = "Change"
# Per env: list, pre-flight list, then a read and a delete per namespace (side by side), plus
# the audit rows. Generous: a part given up on is reported "no answer", its outcome unknown.
_CLEANUP_BACKEND_CALLS = 4


async def run_preview_create(call: CommandCall) -> Message:
    values = call.values
    spec = CreatePreview.build(configured_env(call), values["issue"], values["ttl"], call.user_id)
    tz = ZoneInfo(call.deps.config.timezone)
    return await submit_mutation(
        call, spec, render_ran=lambda ran: render_preview_created(ran, tz, now_utc())
    )


async def run_preview_delete(call: CommandCall) -> Message:
    spec = DeletePreview.build(configured_env(call), call.values["preview"].namespace)
    return await submit_mutation(call, spec, render_ran=render_preview_deleted)


async def run_preview_cleanup(call: CommandCall) -> Message:
    """Every env at once: list the expired previews, then (unless --dry-run) delete them. For
    one env, a reason form opens at once when the gate will ask for one (handlers.forms)."""
    config = call.deps.config
    configured = tuple(e for e in ENV_NAMES if e in config.environments)
    envs = (configured_env(call),) if call.values["env"] else configured
    one = len(envs) == 1 and not call.values["dry-run"]
    asks = one and await call.deps.gate.asks_reason(
        (DELETE_ACTION,), envs[0], _requester(call), call.values.get("reason")
    )
    async with form_opened_if(asks, call.client, call.trigger_id, _(REASON_TITLE)) as form:
        async with call.deps.tasks.slot():
            found = await _listed(call, envs)
            if not call.values["dry-run"]:
                found = await _clean(call, found)
        asked = [e.outcome for e in found if isinstance(e.outcome, ReasonNeeded)]
        if one and asked:
            return await ask_for_reason(form, asked[0])
        message = render_cleanup(
            found,
            dry_run=call.values["dry-run"],
            now=now_utc(),
            tz=ZoneInfo(config.timezone),
            approvals=config.channels.approvals,
        )
        await form.show_answer(message)
        return message


async def _listed(call: CommandCall, envs: tuple[EnvName, ...]) -> list[EnvCleanup]:
    backends = call.deps.backends
    listed = await gather_parts(
        {env: preview_deletes.expired_previews(backends, env) for env in envs},
        call.deps.config.timeouts.fanout_seconds,
    )
    return [
        EnvCleanup(
            env,
            part.value or (),
            part.failure,
            via=preview_cleanup.cleanup_way(backends.config, env),
        )
        for env, part in zip(envs, listed.values(), strict=True)
    ]


def _requester(call: CommandCall) -> Requester:
    return Requester(call.user_id, call.channel_id, call.correlation_id)


async def _clean(call: CommandCall, found: list[EnvCleanup]) -> list[EnvCleanup]:
    gate = call.deps.gate
    requester = _requester(call)

    async def submit(item: EnvCleanup) -> GateOutcome:
        spec = CleanupPreviews.build(item.env, [p.namespace for p in item.expired], item.via)
        return await gate.submit(spec, requester, call.values.get("reason"))

    timeouts = call.deps.config.timeouts
    todo = [item for item in found if item.expired]
    outcomes = await gather_parts(
        {item.env: submit(item) for item in todo},
        timeouts.fanout_seconds + _CLEANUP_BACKEND_CALLS * timeouts.backend_seconds,
    )
    by_env = {
        env: replace(item, outcome=part.value, run_failure=part.failure)
        for item, (env, part) in zip(todo, outcomes.items(), strict=True)
    }
    return [by_env.get(item.env, item) for item in found]


_ENV = Arg("env", N_("int, stg or prd"), ENV)

COMMANDS = (
    Command(
        "preview create",  # a name: the command words
        N_("Create a preview namespace for an issue, with a TTL (prd: a team lead's approval)."),
        run_preview_create,
        args=(
            _ENV,
            Arg("issue", N_("a Jira issue key, e.g. PROJ-123"), preview_names.issue_key),
        ),
        flags=(
            Flag(
                "ttl",
                N_("how long it lives, 1h to 7d (default 8h)"),
                preview_names.preview_ttl,
                preview_names.DEFAULT_TTL,
                metavar="8h",
            ),
            REASON,
        ),
        mutating=True,
        group=GROUP,
        examples=(
            "/rtb preview create int PROJ-200",  # a name
            "/rtb preview create prd PROJ-200 --ttl 2d",  # a name
        ),
    ),
    Command(
        "preview delete",  # a name: the command words
        N_("Delete a preview namespace (only namespaces labelled rtb.io/preview=true, ever)."),
        run_preview_delete,
        args=(
            _ENV,
            Arg("preview", N_("its issue key, e.g. PROJ-123"), preview_names.namespace_ref),
        ),
        flags=(REASON,),
        mutating=True,
        group=GROUP,
        examples=("/rtb preview delete stg PROJ-118",),  # a name
    ),
    Command(
        "preview cleanup",  # a name: the command words
        N_(
            "Clean up the expired previews (cleanupExpired by hand, §5.1): the hub's own cleanup "
            "when configured, else their namespaces directly; --dry-run lists."
        ),
        run_preview_cleanup,
        args=(Arg("env", N_("int, stg or prd (default: all)"), ENV, optional=True),),
        flags=(
            Flag("dry-run", N_("only list what would be deleted"), is_switch=True),
            REASON,
        ),
        mutating=True,
        group=GROUP,
        examples=(
            "/rtb preview cleanup --dry-run",  # a name
            "/rtb preview cleanup int",  # a name
        ),
    ),
)
