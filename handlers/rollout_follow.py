"""After a rollout change succeeded: follow it (`kubectl rollout status`) in the background and
post its progress and final state, with a "Roll this back" button.

Where the posts go (a sink): the thread of the result when it has one (an approval card, the
set-image modal's result), else follow-ups through the command's `response_url`, which Slack
takes 5 times within 30 minutes: one is the result, so at most two progress posts and always
the final one. An approved change whose cards are in the leads' DMs is followed once (one look
at the cluster per poll, whatever the number of leads) and each post is rendered once per
language, each card's thread getting its card's (`Audience`). Progress is posted at most once
per `timeouts.rollout_progress_seconds` (Slack: about one message per second per channel) and
only when it changed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from approvals.catalog import rebuild
from approvals.mutations import MutationSpec
from approvals.outcomes import Decided, DecisionOutcome, RunResult
from handlers.approval_cards import SlackApprovalNotifier
from handlers.context import Deps
from handlers.render.i18n import Locale, current_locale, use_locale
from handlers.render.message import Message
from handlers.render.rollouts import (
    UndoButton,
    describe_undo,
    render_rollout_final,
    render_rollout_progress,
)
from handlers.replies import Reply, Thread
from ops.errors import UserError
from ops.rollouts.follow import FollowedRollouts, follow_rollouts

log = structlog.get_logger(__name__)
Change = tuple[MutationSpec, dict[str, Any]]  # a (part of a) change that ran, and its result


class Sink(Protocol):
    """Where a rollout's progress goes: a `handlers.replies.Reply`."""

    async def follow_up(self, message: Message, *, final: bool) -> None: ...


@dataclass(frozen=True)
class Audience:
    """The sinks a rollout's posts go to, each with the language its readers read."""

    sinks: tuple[tuple[Locale, Sink], ...]

    @classmethod
    def of(cls, sink: Sink) -> Audience:
        """One sink, in the language of the request that started the change."""
        return cls(((current_locale(), sink),))

    async def post(self, render: Callable[[], Message], *, final: bool) -> None:
        """`render` in each sink's language (each language rendered once), then posted."""
        rendered: dict[Locale, Message] = {}
        for locale, sink in self.sinks:
            if locale not in rendered:
                with use_locale(locale):
                    rendered[locale] = render()
            await sink.follow_up(rendered[locale], final=final)


def rolled_out(spec: MutationSpec, run: RunResult) -> list[Change]:
    """The (parts of the) change that succeeded and roll a deployment out."""
    parts = run.result.get("parts")
    if isinstance(parts, list):
        pairs: list[Change] = [
            (part, result)
            for part, result in zip(spec.steps(), parts, strict=False)
            if isinstance(result, dict) and result.get("status") == "succeeded"
        ]
    elif run.status == "succeeded":
        pairs = [(spec, run.result)]
    else:
        pairs = []
    return [(part, result) for part, result in pairs if part.rollouts()]


def start_following(
    deps: Deps,
    changes: list[Change],
    sink: Sink,
    *,
    requester: str,
    channel: str | None,
    after: asyncio.Task[Any] | None = None,
) -> None:
    """Follow in a tracked background task (not a command slot: it mostly waits)."""
    if not changes:
        return
    audience = Audience.of(sink)
    work = follow(deps, changes, audience, requester=requester, channel=channel, after=after)
    deps.tasks.spawn(work, name="follow rollout")


async def follow(
    deps: Deps,
    changes: list[Change],
    audience: Audience,
    *,
    requester: str,
    channel: str | None,
    after: asyncio.Task[Any] | None = None,
) -> None:
    if after is not None:  # the result is delivered first (it is that task's last step)
        await asyncio.wait({after})
    timeouts = deps.config.timeouts
    env = changes[0][0].env
    targets = [(t.namespace, t.name) for spec, _ in changes for t in spec.rollouts()]
    throttle = _Throttle(timeouts.rollout_progress_seconds)

    async def report(looked: FollowedRollouts) -> None:
        if throttle.ready(_summary(looked)):
            await audience.post(lambda: render_rollout_progress(looked), final=False)

    with structlog.contextvars.bound_contextvars(env=env, deployments=[t[1] for t in targets]):
        try:
            followed = await follow_rollouts(
                deps.backends,
                env,
                targets,
                poll_seconds=timeouts.rollout_poll_seconds,
                timeout_seconds=timeouts.rollout_seconds,
                report=report,
            )
        except Exception:
            log.exception("following a rollout failed")
            return
        log.info("rollout followed", done=followed.done, timed_out=followed.timed_out)
        offers = await _undo_offers(deps, changes, requester, channel)
        await audience.post(lambda: render_rollout_final(followed, _buttons(offers)), final=True)


class _Throttle:
    """At most one progress post per `seconds`, and only when something changed."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._last_at = time.monotonic()  # nothing in the first interval: the result just went
        self._last: str | None = None

    def ready(self, summary: str) -> bool:
        now = time.monotonic()
        if now - self._last_at < self._seconds or summary == self._last:
            return False
        self._last_at, self._last = now, summary
        return True


def _summary(looked: FollowedRollouts) -> str:
    return ";".join(
        f"{o.deployment}:{o.status.state if o.status else o.error}:"
        f"{(o.status.updated, o.status.available, o.status.total) if o.status else ''}"
        for o in looked.observations
    )


UndoOffer = tuple[str, MutationSpec, str]  # the deployment, the change back, its draft's token


async def _undo_offers(
    deps: Deps, changes: list[Change], requester: str, channel: str | None
) -> list[UndoOffer]:
    gate, offers = deps.gate, []
    for spec, result in changes:
        undo = spec.undo(result, deps.config)
        if undo is None:
            continue
        try:
            token = await gate.offer(undo, requester, channel)
        except Exception:  # no button rather than no final state (the database may be down)
            log.warning("could not keep the undo of a change", mutation=spec.mutation)
            continue
        offers.append((spec.target.name, undo, token))
    return offers


def _buttons(offers: list[UndoOffer]) -> list[UndoButton]:
    """The offers worded in the current language."""
    return [UndoButton(name, describe_undo(undo), token) for name, undo, token in offers]


def follow_decided(deps: Deps, outcome: DecisionOutcome, client: AsyncWebClient | None) -> None:
    """An approved request that ran: follow its rollout in the thread of its card(s), each in
    its card's language (the approvals channel's; a lead's DM card, that lead's), whoever
    approved."""
    if not isinstance(outcome, Decided) or client is None:
        return
    request = outcome.request
    if request.status != "succeeded" or not request.cards:
        return
    try:
        spec = rebuild(deps.config, request.mutation, request.env, request.params)
    except (KeyError, ValueError, UserError):
        return
    changes = rolled_out(spec, RunResult(request.status, request.result))
    if not changes:
        return
    threads = tuple((card.channel, card.ts) for card in request.cards)
    work = _follow_in_cards(deps, changes, threads, client, request.requester, request.channel)
    deps.tasks.spawn(work, name="follow rollout")


async def _follow_in_cards(
    deps: Deps,
    changes: list[Change],
    threads: tuple[Thread, ...],
    client: AsyncWebClient,
    requester: str,
    channel: str | None,
) -> None:
    by_locale: dict[Locale, list[Thread]] = {}
    for thread in threads:
        by_locale.setdefault(await _card_locale(deps, thread[0]), []).append(thread)
    audience = Audience(
        tuple(
            (locale, Reply(client, requester, threads=tuple(where)))
            for locale, where in by_locale.items()
        )
    )
    await follow(deps, changes, audience, requester=requester, channel=channel)


async def _card_locale(deps: Deps, channel: str) -> Locale:
    """The language a card in `channel` is in: the Slack notifier knows (a lead's DM); any
    other notifier's cards are in the approvals channel's."""
    notifier = deps.gate.services.notifier
    if isinstance(notifier, SlackApprovalNotifier):
        return await notifier.locale_of(channel)
    return deps.languages.locale_for_channel(deps.config.channels.approvals)
