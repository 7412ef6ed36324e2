"""The preview pod watcher's alerts: OOMKilled at once, slow starts, in `channels.alerts`.

Every `rtb-bot serve` replica runs one watcher per configured env (`PodWatchers`); each pod
event goes through `PodAlerter.on_pod`:
- only pods of a *preview* namespace count (the namespace carries `rtb.io/preview=true` and
  is not the hub's: `ops.previews`' one definition, read from the API when a pod
  first deserves an alert);
- an OOMKilled container (last or current termination) is one alert per restart: its
  identity (env, pod uid, `oom:<container>`, restartCount) is claimed in PostgreSQL before
  anything is written, so however many replicas and watch events see it, it is posted once;
- kills of the same container of the same preview within `pod_watch.fold_minutes` of its alert
  are folded into that alert (its count and newest restart are edited in, not posted again):
  a crash loop at 3 a.m. is one message that keeps count, not one every 40 seconds;
- a pod Ready more than `thresholds.pod_start_seconds` after its creation is one alert per pod
  uid, with the time split by phase (`ops.pod_health.start_phases`);
- a pod found by a list (at start, or again after 410 Gone) rather than by a watch event
  alerts only if the kill or the Ready is recent (`pod_watch.recent_minutes`): a restart of the
  bot does not replay yesterday's kills, and a re-list misses nothing that just happened.
Everything goes through the outbox (written before sent, paced, retried).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from handlers.context import Deps
from handlers.render.i18n import use_locale
from handlers.render.pod_alerts import render_oom_alert, render_slow_start
from ops.config import ENV_NAMES, EnvName
from ops.outbox import Blocks, OutboxMessage
from ops.pod_alert_store import PodAlertStore
from ops.pod_health import OomAlert, OomKill, SlowStartAlert, oom_kills, slow_start
from ops.pod_watch import PodWatcher
from ops.preview_namespace_state import read_namespace

log = structlog.get_logger(__name__)
Obj = dict[str, Any]
SEEN_LIMIT = 10_000  # alert identities remembered locally (spares PostgreSQL repeated events)
FOLD_RETRIES = 20  # a fold racing the alert's own outbox row waits for it this many times
FOLD_RETRY_SECONDS = 0.1


class PodAlerter:
    def __init__(self, deps: Deps, replica: str, clock: Callable[[], datetime]) -> None:
        push = deps.require_push()
        self.deps, self.outbox, self.sender, self.clock = deps, push.outbox, push.sender, clock
        self.store = PodAlertStore(deps.backends.db, replica, clock)
        self._seen: OrderedDict[tuple[EnvName, str, str, int], None] = OrderedDict()

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.deps.config.timezone)

    @property
    def _channel(self) -> str:
        return self.deps.config.channels.alerts

    async def on_pod(self, env: EnvName, pod: Obj, listed: bool) -> None:
        """`listed` (found by a list, not a watch event) changes nothing here: every fact is
        judged by its own time, so a list and an event about the same pod agree."""
        with use_locale(self.deps.languages.locale_for_channel(self._channel)):
            await self._alert_about(env, pod)

    async def _alert_about(self, env: EnvName, pod: Obj) -> None:
        for kill in oom_kills(pod):
            if self._recent(kill.finished_at):
                await self._oom(env, kill)
        threshold = self.deps.config.thresholds.pod_start_seconds
        slow = slow_start(pod, threshold)
        if slow is not None and self._recent(slow.ready_at):
            ident = (env, slow.pod.uid, "slow-start", 0)
            issue = await self._claimed(ident, slow.pod.namespace)
            if issue is not None:
                alert = SlowStartAlert(env, issue or None, slow, threshold)
                key = f"pod-slow-start:{env}:{slow.pod.uid}"
                await self._post(key, render_slow_start(alert, self._zone))
                await self.store.record_alert(*ident, key)

    def _recent(self, moment: datetime | None) -> bool:
        """None (the status did not say when) counts as recent: better one alert too many."""
        horizon = timedelta(minutes=self.deps.config.pod_watch.recent_minutes)
        return moment is None or self.clock() - moment <= horizon

    async def _claimed(self, ident: tuple[EnvName, str, str, int], namespace: str) -> str | None:
        """The preview's issue key ("" when its label is missing) when this replica won the
        claim of `ident`; None when the pod is no preview's, or the fact was handled (here or
        by another replica)."""
        if ident in self._seen:
            return None
        state = await read_namespace(self.deps.backends, ident[0], namespace)
        won = state is not None and state.is_preview and await self.store.claim(*ident)
        self._seen[ident] = None
        if len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)
        return (state.issue_key or "") if won and state is not None else None

    async def _oom(self, env: EnvName, kill: OomKill) -> None:
        ident = (env, kill.pod.uid, f"oom:{kill.container}", kill.restart_count)
        issue = await self._claimed(ident, kill.pod.namespace)
        if issue is None:
            return
        alert = OomAlert(
            env,
            issue or None,
            kill.pod.namespace,
            kill.pod.name,
            kill.container,
            kill.memory_limit,
            kill.restart_count,
            kill.finished_at,
        )
        key = await self._raise_or_fold(alert)
        await self.store.record_alert(*ident, key)
        log.info("pod OOMKilled", env=env, pod=kill.pod.name, restarts=kill.restart_count)

    async def _raise_or_fold(self, alert: OomAlert) -> str:
        fold_key = f"oom:{alert.env}:{alert.namespace}:{alert.container}"
        new_key = f"pod-oom:{alert.env}:{alert.namespace}:{alert.pod}:{alert.container}"
        new_key += f":{alert.restart_count}"
        window = timedelta(minutes=self.deps.config.pod_watch.fold_minutes)
        opened = await self.store.open_alert(fold_key, new_key, alert.facts(), window)
        if opened is not None:
            first = OomAlert.from_facts(alert.facts(), 1, self.clock())
            await self._post(opened, render_oom_alert(first, self._zone))
            return opened
        return await self._fold(fold_key, alert)

    async def _fold(self, fold_key: str, alert: OomAlert) -> str:
        """One more kill in the open alert, edited in under the outbox row's lock; the alert's
        own row may still be on its way from the replica that opened it."""
        zone = self._zone

        async def count_in(conn: Any, message: OutboxMessage) -> tuple[Blocks, str]:
            fold = await self.store.fold(conn, fold_key, alert.facts())
            shown = render_oom_alert(
                OomAlert.from_facts(fold.facts, fold.kills, fold.opened_at), zone
            )
            return shown.blocks_json(), shown.text

        for _ in range(FOLD_RETRIES):
            key = await self.store.open_key(fold_key)
            if key is not None and await self.outbox.rewrite(key, count_in) is not None:
                self.sender.nudge()
                return key
            await asyncio.sleep(FOLD_RETRY_SECONDS)
        raise RuntimeError(f"the open alert of {fold_key} has no outbox row")

    async def _post(self, key: str, message: Any) -> None:
        await self.outbox.enqueue(self._channel, message.blocks_json(), message.text, key)
        self.sender.nudge()


class PodWatchers:
    """One `PodWatcher` per configured env, all handing their pods to one `PodAlerter`."""

    def __init__(self, deps: Deps, replica: str, clock: Callable[[], datetime]) -> None:
        self.alerter = PodAlerter(deps, replica, clock)
        settings = deps.config.pod_watch
        envs = [env for env in ENV_NAMES if env in deps.config.environments]
        self.watchers = {
            env: PodWatcher(deps.backends, env, settings, self.alerter.on_pod) for env in envs
        }

    def start(self, env: EnvName | None = None) -> None:
        """Every env's watcher, or only `env`'s (the console starts one when a verb needs it)."""
        for name, watcher in self.watchers.items():
            if env is None or name == env:
                watcher.start()

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.watchers.values()))
