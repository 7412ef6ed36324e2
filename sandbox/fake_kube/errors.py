"""Kubernetes `Status` errors, raised anywhere and rendered by the HTTP layer."""

from __future__ import annotations

from typing import Any

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class KubeError(Exception):
    def __init__(
        self,
        code: int,
        message: str,
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details or {}

    def status(self) -> dict[str, Any]:
        return status_body(self.code, self.reason, self.message, self.details)


def status_body(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


def resource_label(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(group: str, plural: str, name: str) -> KubeError:
    details = {"name": name, "group": group, "kind": plural}
    return KubeError(404, f'{resource_label(group, plural)} "{name}" not found', details=details)


def already_exists(group: str, plural: str, name: str) -> KubeError:
    details = {"name": name, "group": group, "kind": plural}
    message = f'{resource_label(group, plural)} "{name}" already exists'
    return KubeError(409, message, "AlreadyExists", details)


def conflict(
    group: str,
    plural: str,
    name: str,
    why: str = "the object has been modified; please apply your changes to the latest version "
    "and try again",
) -> KubeError:
    message = f'Operation cannot be fulfilled on {resource_label(group, plural)} "{name}": {why}'
    return KubeError(409, message, "Conflict", {"name": name, "group": group, "kind": plural})


def forbidden(
    group: str, plural: str, name: str | None, why: str, causes: list[dict[str, str]] | None = None
) -> KubeError:
    """`deployments.apps "x" is forbidden: <why>` (`pods is forbidden: ...` for a collection)."""
    target = resource_label(group, plural) + (f' "{name}"' if name else "")
    details: dict[str, Any] = {"group": group, "kind": plural}
    if name:
        details["name"] = name
    if causes:
        details["causes"] = causes
    return KubeError(403, f"{target} is forbidden: {why}", details=details)


def invalid(group: str, plural: str, name: str, message: str) -> KubeError:
    details = {"name": name, "group": group, "kind": plural}
    return KubeError(
        422, f'{resource_label(group, plural)} "{name}" is invalid: {message}', details=details
    )
