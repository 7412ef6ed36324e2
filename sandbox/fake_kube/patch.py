"""JSON patch (RFC 6902), merge patch (RFC 7386) and strategic-merge patch."""

from __future__ import annotations

import copy
from typing import Any

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

# Lists merged element-wise by key in strategic merge (the Kubernetes patchMergeKey tags).
_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "conditions": "type",
}


class PatchError(ValueError):
    pass


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        dicts = [i for i in items if isinstance(i, dict)]
        return "containerPort" if any("containerPort" in i for i in dicts) else "port"
    return _MERGE_KEYS.get(field)


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    return copy.deepcopy(value)


def _merge_list(current: list[Any], patch: list[Any], key: str) -> list[Any]:
    out = list(current)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            out.append(_strip_directives(item))
            continue
        idx = next(
            (i for i, c in enumerate(out) if isinstance(c, dict) and c.get(key) == item[key]), None
        )
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append(_strip_directives(item))
        else:
            out[idx] = strategic_merge(out[idx], item)
    return out


def strategic_merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for field, value in patch.items():
        if field.startswith("$"):
            continue  # $setElementOrder/..., $retainKeys: ordering hints, not data
        if value is None or (isinstance(value, dict) and value.get("$patch") == "delete"):
            result.pop(field, None)
        elif isinstance(value, list) and (key := _merge_key(field, value)):
            result[field] = _merge_list(result.get(field) or [], value, key)
        else:
            result[field] = strategic_merge(result.get(field), value)
    return result


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"invalid JSON pointer {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _walk(doc: Any, tokens: list[str]) -> Any:
    for token in tokens:
        try:
            doc = doc[int(token)] if isinstance(doc, list) else doc[token]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise PatchError(f"path not found: {token!r}") from exc
    return doc


def _index(container: list[Any], token: str, adding: bool) -> int:
    size = len(container) + (1 if adding else 0)
    if token == "-" and adding:
        return len(container)
    if not token.isdigit() or int(token) >= size:
        raise PatchError(f"invalid array index {token!r}")
    return int(token)


def _add(doc: Any, pointer: str, value: Any) -> Any:
    tokens = _tokens(pointer)
    if not tokens:
        return value
    parent = _walk(doc, tokens[:-1])
    if isinstance(parent, list):
        parent.insert(_index(parent, tokens[-1], adding=True), value)
    elif isinstance(parent, dict):
        parent[tokens[-1]] = value
    else:
        raise PatchError(f"cannot add to {pointer!r}")
    return doc


def _remove(doc: Any, pointer: str) -> Any:
    tokens = _tokens(pointer)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _walk(doc, tokens[:-1])
    _walk(parent, tokens[-1:])  # must exist
    if isinstance(parent, list):
        parent.pop(_index(parent, tokens[-1], adding=False))
    else:
        del parent[tokens[-1]]
    return doc


def _apply_op(doc: Any, op: dict[str, Any]) -> Any:
    name, path = op.get("op"), op.get("path", "")
    if name == "add":
        return _add(doc, path, copy.deepcopy(op.get("value")))
    if name == "remove":
        return _remove(doc, path)
    if name == "replace":
        if path == "":
            return copy.deepcopy(op.get("value"))
        return _add(_remove(doc, path), path, copy.deepcopy(op.get("value")))
    if name == "test":
        if _walk(doc, _tokens(path)) != op.get("value"):
            raise PatchError(f"test failed at {path!r}")
        return doc
    if name in ("move", "copy"):
        value = copy.deepcopy(_walk(doc, _tokens(op.get("from", ""))))
        doc = _remove(doc, op["from"]) if name == "move" else doc
        return _add(doc, path, value)
    raise PatchError(f"unknown JSON patch op {name!r}")


def json_patch(doc: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        doc = _apply_op(doc, op)
    return doc


def apply_patch(doc: Any, patch: Any, content_type: str) -> Any:
    """Apply a patch body according to its Content-Type; unknown types raise PatchError."""
    if content_type == JSON_PATCH:
        return json_patch(doc, patch)
    doc = copy.deepcopy(doc)
    if content_type in (MERGE_PATCH, APPLY_PATCH):
        return merge_patch(doc, patch)
    if content_type == STRATEGIC_MERGE_PATCH:
        return strategic_merge(doc, patch)
    raise PatchError(f"unsupported patch content type {content_type!r}")
