"""What a user reads of an error raised below the edge (codes there, words in the renderers).

`user_error(match=…)` is `pytest.raises(UserError, match=…)` matched against those words (an
error's `str()` is its code and data): the English a test asserts is the English a user reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from handlers.render.errors import error_text, invalid_text
from ops.errors import UserError


def said(error: BaseException) -> str:
    if isinstance(error, UserError):
        return error_text(error)
    if isinstance(error, ValueError):
        return invalid_text(error)
    raise TypeError(f"not a user's error: {error!r}")


@contextmanager
def user_error(
    kind: type[Exception] = UserError, *, match: str | None = None
) -> Iterator[pytest.ExceptionInfo[Exception]]:
    with pytest.raises(kind) as info:
        yield info
    if match is not None:
        assert re.search(match, said(info.value)), f"{match!r} not in {said(info.value)!r}"
