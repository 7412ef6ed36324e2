"""Why a backend failed, in the reader's words: `failure_text(exc)`.

`BackendError.reason` (and `Failed.reason` of a fan-out part) is the log's English; the
words a reader sees come from `details` (`handlers/render/failure_words.py`), or, for a part of
a fan-out that a user error stopped, from that error. The backend's name is the caller's to show
("Redis: cannot connect").
"""

from __future__ import annotations

from handlers.render.errors import error_text
from handlers.render.failure_words import details_text
from ops.errors import BackendError
from ops.fanout import Failed


def failure_text(failure: BackendError | Failed) -> str:
    """The reason, without the backend's name: "HTTP 403 Forbidden", "5초 후 시간 초과"."""
    if isinstance(failure, Failed) and failure.error is not None:
        return error_text(failure.error)
    return details_text(failure.details, failure.reason)


def failure_line(failure: BackendError | Failed) -> str:
    """The failure with its backend's name: "kubernetes int: HTTP 500 Internal Server Error"."""
    return f"{failure.backend}: {failure_text(failure)}"
