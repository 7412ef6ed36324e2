"""Where approval cards live: a port the handler layer implements with Slack.

The gate says *what* happened to a request; the notifier (handlers/approval_cards.py) posts the
card, keeps it current and writes results in its thread. A failure to notify is logged by the
implementation and never undoes a decision.
"""

from __future__ import annotations

from typing import Protocol

from approvals.requests import ApprovalRequest, CardRef


class ApprovalNotifier(Protocol):
    async def post_card(self, request: ApprovalRequest) -> list[CardRef]:
        """Post the card (Approve / Reject, leads mentioned); where it went."""
        ...

    async def update_card(self, request: ApprovalRequest) -> None:
        """Show the request's current state on every card (no buttons once decided)."""
        ...

    async def post_outcome(self, request: ApprovalRequest) -> None:
        """The result (or why nothing ran) in each card's thread."""
        ...

    async def alert_unknown(self, request: ApprovalRequest) -> None:
        """Tell the leads that a request was interrupted mid-run and needs a human check."""
        ...


class SilentNotifier:
    """For tools without Slack (the audit CLI, benchmarks of the state machine alone)."""

    async def post_card(self, request: ApprovalRequest) -> list[CardRef]:
        return []

    async def update_card(self, request: ApprovalRequest) -> None:
        return None

    async def post_outcome(self, request: ApprovalRequest) -> None:
        return None

    async def alert_unknown(self, request: ApprovalRequest) -> None:
        return None
