"""`/sandbox <verb> …` in the console: make the sandbox misbehave on purpose, for real.

Every push feature (alarms, pod watchers, TTL notices, thresholds) shows in the console because
a verb here makes the sandbox's fakes do what production would: publish a CloudWatch alarm to
SNS in moto, OOM-kill a container in a fake cluster, add waiting jobs to a real BullMQ queue.
The bot then reacts through its real path, and what it posts shows in the transcript.

A verb is a row of data (`Verb`): its name, the words it takes, a line of help, and an async
function given the running sandbox, the bot's runtime and the words after the verb. It returns
what the console prints: a usage line or a specific refusal for bad words (changing nothing),
else what it did. Verb groups live in their own modules (one per feature) and are joined into
`VERBS` below.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import Runtime
    from sandbox.stack import SandboxStack


@dataclass(frozen=True)
class VerbContext:
    stack: SandboxStack
    runtime: Runtime


VerbRun = Callable[[VerbContext, list[str]], Awaitable[str]]


@dataclass(frozen=True)
class Verb:
    name: str
    usage: str  # the words after the verb, e.g. "<env> <namespace>"
    summary: str
    run: VerbRun

    @property
    def usage_line(self) -> str:
        return f"/sandbox {self.name} {self.usage}".rstrip()


def build_verbs(*groups: Iterable[Verb]) -> dict[str, Verb]:
    verbs: dict[str, Verb] = {}
    for verb in (verb for group in groups for verb in group):
        if verb.name in verbs:
            raise ValueError(f"two sandbox verbs named {verb.name!r}")
        verbs[verb.name] = verb
    return verbs


def _all_verbs() -> dict[str, Verb]:
    """Each feature's verb group (they import `Verb` from here: imported when first built)."""
    from sandbox.verbs import pods, ttl
    from sandbox.verbs.alarms import ALARM_VERBS
    from sandbox.verbs.hub_cleanup import HUB_CLEANUP_VERBS
    from sandbox.verbs.pagerduty import PAGERDUTY_VERBS
    from sandbox.verbs.thresholds import THRESHOLD_VERBS

    return build_verbs(
        ALARM_VERBS,
        pods.VERBS,
        PAGERDUTY_VERBS,
        THRESHOLD_VERBS,
        ttl.TTL_VERBS,
        HUB_CLEANUP_VERBS,
    )


VERBS: dict[str, Verb] = _all_verbs()


def verbs_help(verbs: dict[str, Verb]) -> str:
    if not verbs:
        return "the sandbox has no misbehaviours yet"
    width = max(len(verb.usage_line) for verb in verbs.values())
    lines = [f"  {verb.usage_line:<{width}}  {verb.summary}" for verb in verbs.values()]
    return "\n".join(["Make the sandbox misbehave (the bot reacts as in production):", *lines])


async def run_verb(verbs: dict[str, Verb], context: VerbContext | None, line: str) -> str:
    """What `/sandbox <line>` prints. Never raises for bad words: they get the usage."""
    words = line.split()
    name = words.pop(0) if words else ""
    if not name or name in ("help", "-h", "--help"):
        return verbs_help(verbs)
    verb = verbs.get(name)
    if verb is None:
        close = difflib.get_close_matches(name, verbs, n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        return f"no sandbox verb `{name}`.{hint}\n{verbs_help(verbs)}"
    if context is None:
        return "/sandbox works only against the local sandbox (scripts/console)"
    return await verb.run(context, words)
