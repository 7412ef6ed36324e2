"""`/sandbox expire-soon <env> <issue-key>`: that preview's TTL ends in 90 minutes, now.

The TTL lives in one place, the namespace's `rtb.io/expires-at` annotation in the env's fake
cluster (the fake hub's `GET /api/previews` is made from the cluster and carries no TTL), so
that is what changes. Then one pass of the TTL notice job runs, outside the schedule, as the
scheduler's run would (the per-preview claim still makes it once): the notice, and the Jira
comment in the fake Jira, show in the transcript.
"""

from __future__ import annotations

import copy
from datetime import timedelta

from handlers.ttl_notices import notice_pass
from ops.config import ENV_NAMES
from ops.preview_names import iso_utc, issue_key, preview_namespace
from ops.previews import EXPIRES_AT, PREVIEW_LABEL
from sandbox.verbs import Verb, VerbContext

SOON = timedelta(minutes=90)
USAGE = "/sandbox expire-soon <env> <issue-key>   e.g. /sandbox expire-soon prd PROJ-101"


async def expire_soon(context: VerbContext, words: list[str]) -> str:
    if len(words) != 2:
        return f"usage: {USAGE}"
    env, text = words[0].lower(), words[1]
    if env not in ENV_NAMES:
        return f"no env `{words[0][:20]}` (int, stg or prd). usage: {USAGE}"
    try:
        key = issue_key(text)
    except ValueError:
        return f"`{text[:40]}` is not an issue key like PROJ-123. usage: {USAGE}"
    server = context.stack.kube[env]
    name = preview_namespace(key)
    found = server.get("namespaces", None, name)
    if found is None or (found["metadata"].get("labels") or {}).get(PREVIEW_LABEL) != "true":
        names = sorted(
            ns["metadata"]["name"]
            for ns in server.list("namespaces")
            if (ns["metadata"].get("labels") or {}).get(PREVIEW_LABEL) == "true"
        )
        return f"{env}: no preview {key} (previews there: {', '.join(names) or 'none'})"
    push = context.runtime.deps.require_push()
    expires = push.clock() + SOON
    changed = copy.deepcopy(found)
    changed["metadata"].setdefault("annotations", {})[EXPIRES_AT] = iso_utc(expires)
    server.apply(changed)
    result = await notice_pass(context.runtime.deps, push.outbox, push.clock())
    notices = len(result.posted)
    return (
        f"{env}: {key}'s TTL now ends at {iso_utc(expires)} (in 90 minutes; "
        f"`{name}`'s {EXPIRES_AT}). TTL notice pass: {notices} new notice(s)."
    )


TTL_VERBS: tuple[Verb, ...] = (
    Verb(
        "expire-soon",
        "<env> <issue-key>",
        "that preview's TTL ends in 90 minutes; the TTL notice job runs a pass",
        expire_soon,
    ),
)
