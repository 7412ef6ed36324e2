"""`/sandbox hub-cleanup <mode> [<env> <issue-key>]`: how the fake hub's cleanupExpired()
endpoint answers, and optionally a preview whose TTL ended a minute ago to clean up.

The sandbox's config names the endpoint (`hub.cleanup_path`), so `/rtb preview cleanup` asks
the hub first. The modes show each way the bot can meet it:

  on        the hub removes the expired previews (namespaces and records) and says which
  missing   an older hub: 404, so the bot deletes the namespaces itself (the hub's records stay)
  slow      the hub does the work but answers after 8 s: the bot reports the outcome unknown
  refused   403: nothing is done, and the bot does not delete behind the hub's back
  crashed   the hub does the work, then answers 500: the outcome is unknown too
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import get_args

from ops.config import ENV_NAMES
from ops.preview_names import iso_utc, issue_key, preview_namespace
from ops.previews import EXPIRES_AT, PREVIEW_LABEL
from sandbox.fake_hub_api import CleanupMode
from sandbox.verbs import Verb, VerbContext

MODES: tuple[str, ...] = get_args(CleanupMode)
USAGE = f"{'|'.join(MODES)} [<env> <issue-key>]"
SAID = {
    "on": "removes the expired previews itself (namespaces and its records)",
    "missing": "answers 404, as a hub without the endpoint would",
    "slow": "does the work, then answers after 8 s (the bot waits 5 s by default)",
    "refused": "answers 403 and does nothing",
    "crashed": "does the work, then answers 500 (as if it failed half-way)",
}


async def hub_cleanup(context: VerbContext, words: list[str]) -> str:
    if not words or words[0] not in MODES or len(words) not in (1, 3):
        return f"usage: /sandbox hub-cleanup {USAGE}"
    expired = _expire(context, words[1], words[2]) if len(words) == 3 else ""
    if expired.startswith("usage") or expired.startswith("no "):
        return expired
    mode: CleanupMode = words[0]  # type: ignore[assignment]  # checked against MODES above
    context.stack.hub_api.cleanup_mode = mode
    return f"{expired}The hub's cleanup endpoint now {SAID[mode]}: try `/rtb preview cleanup`."


def _expire(context: VerbContext, env_word: str, key_word: str) -> str:
    env = env_word.lower()
    if env not in ENV_NAMES:
        return f"usage: /sandbox hub-cleanup {USAGE} (env: int, stg or prd)"
    try:
        key = issue_key(key_word)
    except ValueError:
        return f"usage: /sandbox hub-cleanup {USAGE} (an issue key like PROJ-123)"
    server = context.stack.kube[env]
    found = server.get("namespaces", None, preview_namespace(key))
    if found is None or (found["metadata"].get("labels") or {}).get(PREVIEW_LABEL) != "true":
        return f"no preview {key} in {env}: `/rtb previews {env}` lists them"
    changed = copy.deepcopy(found)
    ended = datetime.now(UTC) - timedelta(minutes=1)
    changed["metadata"].setdefault("annotations", {})[EXPIRES_AT] = iso_utc(ended)
    server.apply(changed)
    return f"{env}: {key}'s TTL ended a minute ago. "


HUB_CLEANUP_VERBS: tuple[Verb, ...] = (
    Verb(
        "hub-cleanup",
        USAGE,
        "how the hub's cleanupExpired() answers (on, missing: 404, slow, refused: 403, "
        "crashed: 500); "
        "optionally expire a preview to clean up",
        hub_cleanup,
    ),
)
