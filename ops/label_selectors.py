"""The label-selector grammar the bot accepts from a user, checked before any API call."""

from __future__ import annotations

import re

from ops.errors import Invalid, Problem

_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
DNS_PREFIX = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
_LABEL_KEY = re.compile(rf"(?:{DNS_PREFIX}/)?{_NAME}")
_LABEL_VALUE = re.compile(rf"(?:{_NAME})?")
_TERM = re.compile(r"(?P<key>[^=!\s]+)\s*(?P<op>==|=|!=)\s*(?P<value>[^=!\s]*)")


def check_label_selector(text: str) -> str:
    """The equality subset of label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated.

    Returns the selector normalised (no spaces); raises ValueError on anything else, so the
    user's text is never passed on to the API server unchecked.
    """
    if not text.strip() or len(text) > 1000:
        raise Invalid(Problem.LABEL_SELECTOR_SHAPE)
    return ",".join(_selector_term(term.strip()) for term in text.split(","))


def selector_of(labels: dict[str, str]) -> str:
    """The selector matching every one of `labels` (a Deployment's matchLabels)."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _selector_term(term: str) -> str:
    match = _TERM.fullmatch(term)
    if match:
        key, op, value = match["key"], match["op"], match["value"]
        _check_key(key)
        if not _LABEL_VALUE.fullmatch(value):
            raise Invalid(Problem.LABEL_VALUE_SHAPE, value=value[:40])
        return f"{key}{op}{value}"
    key = term[1:] if term.startswith("!") else term
    _check_key(key)
    return term


def _check_key(key: str) -> None:
    prefix = key.rpartition("/")[0]
    if len(prefix) > 253 or not _LABEL_KEY.fullmatch(key):
        raise Invalid(Problem.LABEL_KEY_SHAPE, key=key[:40])
