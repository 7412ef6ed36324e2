"""Preview names and TTLs as typed: an issue key, the namespace it names, a namespace asked for
by any name, a TTL, and the `rtb.io/expires-at` annotation's format.

A preview namespace is `preview-<issue key, lowercased>` (namespaces are DNS-1123 labels). These
are the command table's parsers: bad input raises `Invalid` with its problem code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ops.errors import Invalid, Problem
from ops.previews import NAME_PREFIX

_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9]+-\d+$")
MAX_ISSUE_KEY = 63 - len(NAME_PREFIX)  # the namespace name is a DNS-1123 label (≤ 63)
_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TTL = re.compile(r"^(\d{1,4})([mhdw])$")
_TTL_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=7)
DEFAULT_TTL = timedelta(hours=8)


def issue_key(text: str) -> str:
    """`proj-123` → `PROJ-123` (a command-table parser: raises ValueError)."""
    key = text.strip().upper()
    if len(key) > MAX_ISSUE_KEY or not _ISSUE_KEY.match(key):
        raise Invalid(Problem.ISSUE_KEY_SHAPE)
    return key


def preview_namespace(key: str) -> str:
    """`PROJ-123` → `preview-proj-123`."""
    return NAME_PREFIX + key.lower()


@dataclass(frozen=True)
class NamespaceRef:
    """What a delete was asked for: a preview's namespace, or any other namespace by name."""

    namespace: str
    issue_key: str | None  # the key its name spells, if any (the label decides, not the name)


def namespace_ref(text: str) -> NamespaceRef:
    """An issue key (`PROJ-7`), a preview namespace (`preview-proj-7`) or any namespace name.

    Any other name is kept as it is, so the policy can refuse it with its reason instead of a
    parse error hiding what was asked for.
    """
    try:
        key = issue_key(text)
    except ValueError:
        pass
    else:
        return NamespaceRef(preview_namespace(key), key)
    name = text.strip().lower()
    if len(name) > 63 or not _NAMESPACE.match(name):
        raise Invalid(Problem.NAMESPACE_REF_SHAPE)
    if name.startswith(NAME_PREFIX):
        try:
            return NamespaceRef(name, issue_key(name[len(NAME_PREFIX) :]))
        except ValueError:
            pass
    return NamespaceRef(name, None)


def preview_ttl(text: str) -> timedelta:
    """`8h`, `90m`, `2d` … between 1 hour and 7 days (a command-table parser)."""
    match = _TTL.match(text.strip().lower())
    if not match:
        raise Invalid(Problem.TTL_SHAPE)
    ttl = timedelta(seconds=int(match[1]) * _TTL_SECONDS[match[2]])
    if not MIN_TTL <= ttl <= MAX_TTL:
        raise Invalid(Problem.TTL_RANGE)
    return ttl


def iso_utc(moment: datetime) -> str:
    """The annotation's format, as seeded and as the hub writes it: `2025-03-14T09:30:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
