"""Label and field selectors, with the syntax the API server accepts."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.fake_kube.errors import KubeError

Requirement = Callable[[Mapping[str, str]], bool]

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_EXISTS = re.compile(rf"^(!?)\s*({_KEY})$")
_EQUALITY = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)$")
_SET = re.compile(rf"^({_KEY})\s+(in|notin)\s*\(([^)]*)\)$")
_TOP_LEVEL_COMMA = re.compile(r",(?![^(]*\))")


def _requirement(text: str) -> Requirement:
    if m := _EXISTS.match(text):
        negate, key = m.group(1) == "!", m.group(2)
        return lambda labels: (key in labels) != negate
    if m := _EQUALITY.match(text):
        key, op, value = m.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if m := _SET.match(text):
        key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    raise KubeError(400, f"unable to parse requirement: {text!r}")


def parse_label_selector(selector: str) -> list[Requirement]:
    parts = (p.strip() for p in _TOP_LEVEL_COMMA.split(selector))
    return [_requirement(p) for p in parts if p]


def labels_match(selector: str, labels: Mapping[str, str]) -> bool:
    return all(req(labels) for req in parse_label_selector(selector))


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "" if value is None else str(value)


def fields_match(selector: str, obj: Mapping[str, Any]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", term)
        if not m:
            raise KubeError(400, f"invalid field selector: {term!r}")
        path, op, expected = m.groups()
        if (_field_value(obj, path) == expected) != (op != "!="):
            return False
    return True


def match_labels_to_selector(selector: Mapping[str, Any]) -> str:
    """A LabelSelector object (matchLabels only) in its string form, as Scale.status wants."""
    return ",".join(f"{k}={v}" for k, v in sorted(selector.get("matchLabels", {}).items()))


def select(objs: list[dict[str, Any]], labels: str, fields: str) -> list[dict[str, Any]]:
    reqs = parse_label_selector(labels)
    return [
        o
        for o in objs
        if all(r(o.get("metadata", {}).get("labels") or {}) for r in reqs)
        and fields_match(fields, o)
    ]
