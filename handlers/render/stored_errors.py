"""An error read back from where it was kept (a run's result, an audit event), in the reader's
language: a user error's data, a policy decision's reason, a backend failure's data, or the text
an older row holds (shown as written)."""

from __future__ import annotations

from collections.abc import Mapping

from approvals.policy import Reason
from handlers.render.decisions import reason_text
from handlers.render.errors import cause_text
from handlers.render.failures import failure_line
from ops.errors import BackendError, cause_from_data


def stored_text(stored: object) -> str:
    """An error kept in a result or an audit event: a user error's data (`UserError.as_data`),
    a policy decision's reason (`Reason.as_data`), a backend failure's (`BackendError.as_data`:
    "Redis: cannot connect", its details in the reader's words), or text (older rows)."""
    if isinstance(stored, Mapping) and "backend" in stored:
        failure = BackendError.from_data(stored)
        return failure_line(failure)
    if isinstance(stored, Mapping) and "policy" in stored:
        return reason_text(Reason.from_data(dict(stored)))
    if isinstance(stored, Mapping):
        return cause_text(cause_from_data(stored))
    return str(stored)
