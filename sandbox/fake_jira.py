"""Jira Cloud's comment endpoint as the sandbox and the tests serve it, refusing what Jira refuses.

`POST /rest/api/3/issue/{issueIdOrKey}/comment` with `{"body": <ADF document>}`:
- basic auth with the configured email and API token, else 401 (Jira says nothing more);
- a JSON body (`Content-Type: application/json`), else 415;
- an issue that exists, else 404 with Jira's "Issue does not exist or you do not have
  permission to see it." (keys are case-insensitive, as in Jira);
- a valid Atlassian Document Format body (`type: doc`, `version: 1`, block nodes holding inline
  nodes, no empty text node), else 400 `{"errors": {"comment": "Comment body is not valid!"}}`;
- 201 with the created comment (`id`, `self`, `body`, `author`, `created`), recorded in
  `comments` for the test or the console to read.

`fail_with(status)` makes every comment fail with that status until `fail_with(None)` (Jira
down); anything else is 404, as a wrong URL is.
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.threaded_http import ThreadedHttpServer

COMMENT_PATH = ("rest", "api", "3", "issue")
NOT_FOUND = "Issue does not exist or you do not have permission to see it."
BLOCK_NODES = frozenset({"paragraph", "heading", "rule", "bulletList", "orderedList", "listItem"})
INLINE_NODES = frozenset({"text", "hardBreak", "mention", "emoji", "inlineCard"})


@dataclass(frozen=True)
class RecordedComment:
    id: str
    issue_key: str
    body: dict[str, Any]
    author: str  # the email the request authenticated as

    @property
    def text(self) -> str:
        """Every text node, joined (what a person reads)."""
        return " ".join(_texts(self.body))


class FakeJira:
    def __init__(
        self, *, email: str, api_token: str, issues: Iterable[str] = (), project: str = "PROJ"
    ) -> None:
        self.email, self.api_token = email, api_token
        self.issues = {key.upper() for key in issues}
        self.project = project
        self.comments: list[RecordedComment] = []
        self.refused: list[tuple[int, str]] = []  # (status, path) of every refused request
        self._failing: int | None = None
        self._ids = itertools.count(10000)
        self._lock = threading.Lock()
        self._server = ThreadedHttpServer(self._handle, name="fake Jira")
        self.url = ""

    def start(self) -> str:
        self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def add_issue(self, key: str) -> None:
        with self._lock:
            self.issues.add(key.upper())

    def fail_with(self, status: int | None) -> None:
        """Every comment answers `status` (e.g. 503) until `fail_with(None)`."""
        self._failing = status

    def comments_on(self, issue_key: str) -> list[RecordedComment]:
        with self._lock:
            return [c for c in self.comments if c.issue_key == issue_key.upper()]

    def reset(self) -> None:
        with self._lock:
            self.comments.clear()
            self.refused.clear()
            self._failing = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        answer = await self._answer(request)
        if answer.status >= 400:
            with self._lock:
                self.refused.append((answer.status, request.path))
        return answer

    async def _answer(self, request: web.Request) -> web.Response:
        parts = tuple(request.path.strip("/").split("/"))
        if request.method != "POST" or len(parts) != 6 or parts[:4] != COMMENT_PATH:
            return _errors(404, ["Not found"])
        if parts[5] != "comment":
            return _errors(404, ["Not found"])
        if not self._authorized(request.headers.get("Authorization", "")):
            return web.Response(status=401, text="")  # Jira's 401 carries no reason
        if self._failing is not None:
            return _errors(self._failing, ["Service unavailable"])
        if request.content_type != "application/json":
            return web.Response(status=415, text="Unsupported Media Type")
        key = parts[4].upper()
        with self._lock:
            known = key in self.issues
        if not known:
            return _errors(404, [NOT_FOUND])
        try:
            payload = await request.json()
        except ValueError:
            return _errors(400, ["Unexpected character in the request body"])
        body = payload.get("body") if isinstance(payload, dict) else None
        if not _valid_document(body):
            return web.json_response(
                {"errorMessages": [], "errors": {"comment": "Comment body is not valid!"}},
                status=400,
            )
        assert isinstance(body, dict)
        return web.json_response(self._record(request, key, body), status=201)

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return decoded == f"{self.email}:{self.api_token}"

    def _record(self, request: web.Request, key: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            comment_id = str(next(self._ids))
            self.comments.append(RecordedComment(comment_id, key, body, self.email))
        return {
            "id": comment_id,
            "self": f"{self.url}/rest/api/3/issue/{key}/comment/{comment_id}",
            "author": {"emailAddress": self.email, "active": True},
            "body": body,
            "created": datetime.now(UTC).isoformat(),
        }


def _errors(status: int, messages: list[str]) -> web.Response:
    return web.json_response({"errorMessages": messages, "errors": {}}, status=status)


def _valid_document(body: Any) -> bool:
    if not isinstance(body, dict) or body.get("type") != "doc" or body.get("version") != 1:
        return False
    content = body.get("content")
    return isinstance(content, list) and bool(content) and all(_valid_block(n) for n in content)


def _valid_block(node: Any) -> bool:
    if not isinstance(node, dict) or node.get("type") not in BLOCK_NODES:
        return False
    content = node.get("content", [])
    if not isinstance(content, list):
        return False
    return all(_valid_block(n) if _is_block(n) else _valid_inline(n) for n in content)


def _is_block(node: Any) -> bool:
    return isinstance(node, dict) and node.get("type") in BLOCK_NODES


def _valid_inline(node: Any) -> bool:
    if not isinstance(node, dict) or node.get("type") not in INLINE_NODES:
        return False
    if node["type"] == "text":
        return isinstance(node.get("text"), str) and bool(node["text"])
    return True


def _texts(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if node.get("type") == "text":
            yield str(node.get("text", ""))
        for child in node.get("content") or []:
            yield from _texts(child)
