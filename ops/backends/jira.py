"""Jira Cloud REST v3, the one call the bot makes: a comment on an issue.

`POST {url}/rest/api/3/issue/{key}/comment` with `{"body": <Atlassian Document Format>}` and
basic auth (the account's email and an API token, from the environment). A failure is a
`BackendError` of its kind (`NotFound`, `Forbidden`, `TimedOut`…) built from the HTTP status
or the kind of failure only: Jira's answer body and the exception's text (which may carry the
URL or headers) never reach Slack or the log. One aiohttp session, opened on first use, closed
at shutdown.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import aiohttp

from ops.backends.classify import http_failure
from ops.backends.faults import BackendError, Details, Symptom, TimedOut, Unavailable
from ops.config import Jira

BACKEND = "Jira"  # a name


class JiraComments:
    def __init__(self, settings: Jira, email: str, api_token: str) -> None:
        self.settings = settings
        self._headers = {"Authorization": aiohttp.encode_basic_auth(email, api_token)}
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def issue_url(self, issue_key: str) -> str:
        """Where a person reads the issue (for links in Slack)."""
        return f"{self.settings.url.rstrip('/')}/browse/{quote(issue_key)}"

    async def add_comment(self, issue_key: str, body: dict[str, Any]) -> str:
        """The new comment's id; BackendError when Jira did not take it."""
        url = f"{self.settings.url.rstrip('/')}/rest/api/3/issue/{quote(issue_key)}/comment"
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        try:
            async with self._session.post(url, json={"body": body}, allow_redirects=False) as r:
                if r.status != 201:
                    raise status_failure(r.status)
                answer = await r.json(content_type=None)
        except TimeoutError:
            seconds = self.settings.timeout_seconds
            reason = f"no answer within {seconds:g} s"  # internal: the log's reason
            told = Details(Symptom.NO_ANSWER, seconds=seconds)
            raise TimedOut(BACKEND, reason, details=told) from None
        except (aiohttp.ClientError, ValueError):
            reason = "unreachable (connection failed)"  # internal: the log's reason
            raise Unavailable(BACKEND, reason, details=Details(Symptom.UNREACHABLE)) from None
        return str(answer.get("id", "")) if isinstance(answer, dict) else ""

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            await asyncio.sleep(0)  # let the connector close its sockets


def status_failure(status: int) -> BackendError:
    """Jira's answer to the comment, as its kind (404: NotFound…); a reader is told what the
    status means for a comment and what to check (`Symptom.JIRA_STATUS`)."""
    told = Details(Symptom.JIRA_STATUS, status)
    return http_failure(status, f"HTTP {status}", told).error(BACKEND)
