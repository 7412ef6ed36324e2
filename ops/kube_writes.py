"""Writes to a cluster the way every change needs them: 403 said plainly, 409 retried afresh.

- `write(...)`: one write call; an HTTP 403 becomes a UserError naming the verb, the resource
  and the namespace the bot's role lacks (the API server's own text is never shown);
- `retry_conflicts(attempt)`: `attempt` reads the object afresh and writes; an HTTP 409
  Conflict (someone else changed it in between) runs it again, at most three times.

A timeout is left to the caller: only it can say what state the object is in now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog

from ops.backends.aws import BOT, Actor
from ops.backends.container import Backends
from ops.backends.faults import BackendError, Conflict, Forbidden
from ops.backends.kube_routes import Api, Operation
from ops.config import EnvName
from ops.errors import Problem, UserError

T = TypeVar("T")
MAX_WRITE_ATTEMPTS = 3
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Permission:
    """What a write needs from RBAC: `patch deployments/scale in rtb-ai-hub`."""

    verb: str
    resource: str
    namespace: str

    def refusal(self) -> UserError:
        return UserError(
            Problem.RBAC_DENIED, verb=self.verb, resource=self.resource, namespace=self.namespace
        )


def answered(exc: BackendError) -> bool:
    """The server refused, so nothing was applied (else: it may have been)."""
    return not exc.may_have_applied


async def write(
    backends: Backends,
    env: EnvName,
    api: Api,
    method: Operation,
    needs: Permission,
    *,
    actor: Actor = BOT,
    **kwargs: Any,
) -> Any:
    try:
        return await backends.kube.call(env, api, method, actor=actor, **kwargs)
    except Forbidden:
        raise needs.refusal() from None


async def retry_conflicts(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` (fresh read + write) again after a 409, at most MAX_WRITE_ATTEMPTS times."""
    for number in range(1, MAX_WRITE_ATTEMPTS + 1):
        try:
            return await attempt()
        except Conflict:
            if number == MAX_WRITE_ATTEMPTS:
                raise
            log.info("write conflict, retrying with a fresh read", attempt=number)
    raise AssertionError("unreachable")  # the loop returns or raises
