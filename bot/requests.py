"""Raw Slack HTTP bodies → AsyncBoltRequest, working around a body-parsing bug in bolt-python.

bolt-python 1.30 (`slack_bolt.request.internals.parse_body`) treats ANY form body that contains
the substring "payload" as an interaction, so `/rtb search workflow-engine payload` parses as `{}`
and Slack gets a 404. We parse slash-command bodies ourselves (signature checking still runs on
the untouched raw body). Used by the HTTP endpoint and the local console alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest


def bolt_request(
    body: str, headers: Mapping[str, str | Sequence[str]], query: str | None = None
) -> AsyncBoltRequest:
    request = AsyncBoltRequest(body=body, query=query, headers=dict(headers))
    if body.startswith("{"):
        return request
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" not in fields and request.body != fields:
        request.body = fields
        request.context = build_async_context(AsyncBoltContext({}), fields)
    return request
