"""The one gate in front of every mutation: policy, then run / refuse / ask a team lead.

    outcome = await gate.submit(spec, Requester(user, channel, correlation_id), reason)

First the spec is `classified`: what its target is now, read from the cluster (a namespace is a
preview only while it is labelled one: approvals/namespaces.py). Then:
- deny: an audited refusal naming the rule;
- allow: run at once (request and result audited);
- approval without a reason: a draft is stored and its token returned; the handler asks for the
  reason in a modal and calls `submit_reason(token, …)`;
- approval with a reason: an approval request (exact parameters, digest, pre-flight state) and a
  card for the leads;
- allow, but the change asks for confirmation (scaling to 0, an emergency rollback): a draft is
  stored and its token returned; the requester's Confirm button calls `confirm(token, …)`, which
  sends it through the whole gate again (policy re-checked, state read again).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from approvals import decisions, housekeeping
from approvals.audit import AuditLog
from approvals.catalog import rebuild
from approvals.events import request_event, spec_event
from approvals.execution import run_spec
from approvals.mutations import MutationSpec
from approvals.notifier import ApprovalNotifier
from approvals.outcomes import (
    ApprovalRequested,
    ConfirmNeeded,
    DecisionOutcome,
    GateOutcome,
    Ran,
    ReasonNeeded,
    Recording,
    Refused,
    RunResult,
    combined_run,
)
from approvals.policy import Decision, Policy
from approvals.recording import record_spec_result
from approvals.requests import ApprovalRequest
from approvals.roles import RoleResolver
from approvals.services import GateServices
from approvals.signing import SigningKeys
from approvals.spool import ResultSpool
from approvals.store import ApprovalStore, NewRequest
from ops.backends.aws import Actor
from ops.backends.container import Backends
from ops.config import Config, EnvName
from ops.errors import BackendError, Problem, UserError
from ops.storable_text import first_unstorable

MAX_REASON_LENGTH = 500
OFFER_MINUTES = 24 * 60  # a "Roll this back" button stays usable this long
# A later step of a change whose "requested" event could not be written: not run (nothing runs
# unaudited), while the steps before it did.
NOT_AUDITED = RunResult("failed", {"error": UserError(Problem.NOT_AUDITED).as_data()})


@dataclass(frozen=True)
class Requester:
    user: str
    channel: str
    correlation_id: str


class Gate:
    def __init__(
        self,
        config: Config,
        backends: Backends,
        roles: RoleResolver,
        notifier: ApprovalNotifier,
        keys: SigningKeys,
    ) -> None:
        audit = AuditLog(backends.db, keys)
        self.timezone = ZoneInfo(config.timezone)  # for the times on cards and lists
        self.services = GateServices(
            config=config,
            backends=backends,
            roles=roles,
            policy=Policy(config),
            audit=audit,
            store=ApprovalStore(backends.db, audit),
            notifier=notifier,
            spool=ResultSpool(config.approvals.spool_file),
        )

    @property
    def policy(self) -> Policy:
        return self.services.policy

    @property
    def roles(self) -> RoleResolver:
        return self.services.roles

    @property
    def audit(self) -> AuditLog:
        return self.services.audit

    # -- mutations arriving ----------------------------------------------------------------------

    async def submit(
        self,
        spec: MutationSpec,
        requester: Requester,
        reason: str | None = None,
        *,
        confirmed: bool = False,
    ) -> GateOutcome:
        services = self.services
        spec = await spec.classified(services.backends)  # a preview is what its label says, now
        role = await services.roles.role_of(requester.user)
        decision = services.policy.decide(spec.action, spec.env, role, requester.channel)
        if decision.outcome == "deny":
            return await self._refuse(spec, requester, decision)
        preflight = await self._preflight(spec, requester, decision)
        if decision.outcome == "allow":
            why = None if confirmed else spec.confirmation(preflight, services.config)
            if why is not None:
                token = await services.store.save_draft(spec, requester.user, requester.channel)
                return ConfirmNeeded(spec, decision, spec.describe_change(preflight), token, why)
            return await self._run_now(spec, requester, decision, preflight)
        if reason is None:
            token = await services.store.save_draft(spec, requester.user, requester.channel)
            return ReasonNeeded(spec, decision, spec.describe_change(preflight), token)
        return await self._request_approval(spec, requester, decision, preflight, reason)

    async def asks_reason(
        self,
        actions: Collection[str],
        env: EnvName,
        requester: Requester,
        reason: str | None = None,
    ) -> bool:
        """Whether `submit` in `env` may answer ReasonNeeded for any of `actions` (what the change
        may turn out to be once its target is read: `MutationSpec.possible_actions`): the role
        and the policy only, nothing read from the backends, so the form can open at once
        (handlers.forms); a form that turns out not to be needed shows the answer instead."""
        if reason is not None:
            return False
        role = await self.services.roles.role_of(requester.user)
        return any(
            self.services.policy.decide(action, env, role, requester.channel).outcome == "approval"
            for action in actions
        )

    async def submit_reason(
        self, token: str, user: str, reason: str, correlation_id: str
    ) -> GateOutcome:
        """The modal's answer: the stored draft goes through the whole gate again (a reason that
        cannot be stored is refused first, and the draft stays for another try)."""
        _check_storable(reason, Problem.REASON_UNSTORABLE)
        draft = await self.services.store.take_draft(token, user)
        if draft is None:
            raise UserError(Problem.FORM_EXPIRED)
        spec = rebuild(self.services.config, draft.mutation, draft.env, draft.params)
        return await self.submit(spec, Requester(user, draft.channel or "", correlation_id), reason)

    async def confirm(self, token: str, user: str, correlation_id: str) -> GateOutcome:
        """The Confirm button: only the requester's own draft, and through the whole gate again.

        Someone else's click is refused and audited (the draft stays for its requester).
        """
        await self._refuse_others_draft(token, user, correlation_id, "confirm")
        draft = await self.services.store.take_draft(token, user)
        if draft is None:
            raise UserError(Problem.CONFIRMATION_EXPIRED)
        spec = rebuild(self.services.config, draft.mutation, draft.env, draft.params)
        requester = Requester(user, draft.channel or "", correlation_id)
        return await self.submit(spec, requester, confirmed=True)

    async def drop_confirmation(self, token: str, user: str, correlation_id: str) -> bool:
        """The Cancel button: False when the draft is not `user`'s (audited) or gone already."""
        await self._refuse_others_draft(token, user, correlation_id, "cancel")
        return await self.services.store.take_draft(token, user) is not None

    async def _refuse_others_draft(
        self, token: str, user: str, correlation_id: str | None, button: str
    ) -> None:
        """Audit a click on a confirmation that is someone else's (the caller then refuses)."""
        draft = await self.services.store.read_draft(token)
        if draft is None or draft.requester == user:
            return
        spec = rebuild(self.services.config, draft.mutation, draft.env, draft.params)
        event = spec_event(
            spec, user, "refused", correlation_id, refused="not_requester", button=button
        )
        await self.services.audit.append(event)

    async def _preflight(
        self, spec: MutationSpec, requester: Requester, decision: Decision
    ) -> dict[str, Any]:
        """The state read just now; a refusal raised while reading it (the target is missing,
        core infrastructure, …) is audited before the requester sees it."""
        try:
            return await spec.preflight(self.services.backends)
        except UserError as exc:
            event = spec_event(
                spec,
                requester.user,
                "refused",
                requester.correlation_id,
                rule=decision.rule,
                refused="target",
                reason=exc.as_data(),
            )
            await self.services.audit.append(event)
            raise

    async def offer(self, spec: MutationSpec, user: str, channel: str | None) -> str:
        """Keep `spec` for a button ("Roll this back"); whoever clicks it submits it later."""
        return await self.services.store.save_draft(spec, user, channel, OFFER_MINUTES)

    async def submit_offered(
        self, token: str, requester: Requester, reason: str | None = None
    ) -> GateOutcome:
        """An offered change, requested by whoever clicked (the gate decides for them)."""
        return await self.submit(await self.offered(token), requester, reason)

    async def offered(self, token: str) -> MutationSpec:
        """The change behind an offer's button (it stays offered: anyone may click it)."""
        draft = await self.services.store.read_draft(token)
        if draft is None:
            raise UserError(Problem.OFFER_EXPIRED)
        return rebuild(self.services.config, draft.mutation, draft.env, draft.params)

    async def _refuse(
        self, spec: MutationSpec, requester: Requester, decision: Decision
    ) -> Refused:
        event = spec_event(
            spec,
            requester.user,
            "refused",
            requester.correlation_id,
            rule=decision.rule,
            reason=decision.reason.as_data(),
        )
        await self.services.audit.append(event)
        return Refused(spec, decision)

    async def _run_now(
        self,
        spec: MutationSpec,
        requester: Requester,
        decision: Decision,
        preflight: dict[str, Any],
    ) -> Ran:
        """Each part is audited as requested before it runs. When the database fails before
        the first part was sent, BackendError says nothing changed; once a part was sent,
        the answer is a `Ran` (a part that could not be audited is not run, and a result that
        could not be recorded is kept: `approvals.recording`)."""
        corr = requester.correlation_id
        runs: list[RunResult] = []
        recordings: list[Recording] = []
        pieces = spec.steps()  # each audited on its own (an emergency rollback: per deployment)
        for part in pieces:
            try:
                await self.services.audit.append(
                    spec_event(part, requester.user, "requested", corr, rule=decision.rule)
                )
            except BackendError:
                if not runs:
                    raise  # nothing was sent
                runs.append(NOT_AUDITED)
                continue
            run = await run_spec(self.services.backends, part, Actor(user=requester.user))
            recordings.append(await record_spec_result(self.services, part, run, corr))
            runs.append(run)
        run = runs[0] if pieces == (spec,) else combined_run(pieces, runs)
        recording: Recording = min(
            recordings, key=_RECORDINGS_WORST_FIRST.index, default="recorded"
        )
        return Ran(spec, decision, spec.describe_change(preflight), run, recording)

    async def _request_approval(
        self,
        spec: MutationSpec,
        requester: Requester,
        decision: Decision,
        preflight: dict[str, Any],
        reason: str,
    ) -> ApprovalRequested:
        reason = _checked_reason(reason)
        settings = self.services.config.approvals
        new = NewRequest(
            spec=spec,
            preflight=preflight,
            change=spec.describe_change(preflight),
            requester=requester.user,
            reason=reason,
            channel=requester.channel or None,
            required_approvals=settings.required,
            expiry_minutes=settings.expiry_minutes,
        )
        request = await self.services.store.create(
            new,
            lambda r: request_event(
                r,
                requester.user,
                "requested",
                requester.correlation_id,
                rule=decision.rule,
                reason=reason,
            ),
        )
        return ApprovalRequested(spec, decision, await self._with_cards(request))

    async def _with_cards(self, request: ApprovalRequest) -> ApprovalRequest:
        cards = await self.services.notifier.post_card(request)
        if cards:
            await self.services.store.attach_cards(request.id, cards)
        return replace(request, cards=tuple(cards))

    # -- decisions on requests -----------------------------------------------------------------

    async def approve(self, request_id: str, lead: str, correlation_id: str) -> DecisionOutcome:
        return await decisions.approve(self.services, request_id, lead, correlation_id)

    async def reject(
        self, request_id: str, lead: str, note: str | None, correlation_id: str
    ) -> DecisionOutcome:
        if note is not None:
            _check_storable(note, Problem.NOTE_UNSTORABLE)
            if len(note) > MAX_REASON_LENGTH:
                raise UserError(Problem.NOTE_TOO_LONG, most=MAX_REASON_LENGTH)
        return await decisions.reject(self.services, request_id, lead, note, correlation_id)

    async def cancel(self, request_id: str, user: str, correlation_id: str) -> DecisionOutcome:
        return await decisions.cancel(self.services, request_id, user, correlation_id)

    async def open_requests(self) -> list[ApprovalRequest]:
        return await self.services.store.in_status("pending", "approved", "executing")

    # -- housekeeping --------------------------------------------------------------------------

    async def expire_due(self) -> list[ApprovalRequest]:
        return await housekeeping.expire_due(self.services)

    async def recover_orphans(self) -> list[ApprovalRequest]:
        return await housekeeping.recover_orphans(self.services)

    async def sweep(self) -> None:
        await housekeeping.sweep(self.services)


def _check_storable(text: str, refusal: Problem) -> None:
    bad = first_unstorable(text)
    if bad is not None:
        raise UserError(refusal, character=bad)


_RECORDINGS_WORST_FIRST: tuple[Recording, ...] = ("logged", "spooled", "recorded")


def _checked_reason(reason: str) -> str:
    _check_storable(reason, Problem.REASON_UNSTORABLE)
    reason = " ".join(reason.split())
    if not reason:
        raise UserError(Problem.REASON_REQUIRED)
    if len(reason) > MAX_REASON_LENGTH:
        raise UserError(Problem.REASON_TOO_LONG, most=MAX_REASON_LENGTH)
    return reason
