"""PagerDuty's Events API v2 as the sandbox and the tests serve it: `POST /v2/enqueue`.

It refuses what PagerDuty refuses (HTTP 400, `{"status": "invalid event", "errors": […]}`):
a body that is not a JSON object, a routing key that is not 32 characters, an `event_action`
other than trigger/acknowledge/resolve, an acknowledge or resolve without `dedup_key`, a
`dedup_key` over 255 characters, a trigger without `payload.summary` (1–1,024 characters),
`payload.source` or a `payload.severity` of critical/error/warning/info, `links` that are not
objects with an `href`. A valid event is answered 202 with its `dedup_key` (a generated one for a
trigger without it) and recorded, and the alert of that key moves (triggered → acknowledged →
resolved; an acknowledge or resolve of an unknown key is accepted and changes nothing, as
PagerDuty drops it).

Faults on purpose: `fail(status, times)` answers the next `times` requests with `status` (429
rate limited, 500…) before validating anything; after `down()` every request is answered
503 until `up()`.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.threaded_http import ThreadedHttpServer

PATH = "/v2/enqueue"
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_CHARS = 32
SUMMARY_CHARS = 1024
DEDUP_KEY_CHARS = 255
STATE_AFTER = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}


@dataclass(frozen=True)
class ReceivedEvent:
    """An event PagerDuty accepted (202)."""

    routing_key: str
    action: str
    dedup_key: str
    body: dict[str, Any]

    @property
    def summary(self) -> str:
        return str((self.body.get("payload") or {}).get("summary", ""))


class FakePagerDuty:
    def __init__(self) -> None:
        self._server = ThreadedHttpServer(self._handle, name="fake PagerDuty")
        self._lock = threading.Lock()
        self.url = ""
        self.events: list[ReceivedEvent] = []
        self.requests = 0  # every POST to the endpoint, answered however
        self.alerts: dict[str, str] = {}  # dedup_key -> triggered | acknowledged | resolved
        self._faults: list[int] = []
        self._down = False

    @property
    def events_url(self) -> str:
        return self.url + PATH

    def start(self) -> str:
        self.url = self._server.start()
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        with self._lock:
            self.events.clear()
            self.alerts.clear()
            self._faults.clear()
            self.requests = 0
            self._down = False

    def fail(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([status] * times)

    def down(self) -> None:
        with self._lock:
            self._down = True

    def up(self) -> None:
        with self._lock:
            self._down = False

    def events_for(self, dedup_key: str) -> list[ReceivedEvent]:
        with self._lock:
            return [e for e in self.events if e.dedup_key == dedup_key]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path != PATH or request.method != "POST":
            return web.json_response({"status": "not found"}, status=404)
        raw = await request.read()
        with self._lock:
            self.requests += 1
            fault = 503 if self._down else (self._faults.pop(0) if self._faults else None)
        if fault is not None:
            return _fault(fault)
        try:
            body = json.loads(raw)
        except ValueError:
            return _invalid(["Request body is not valid JSON"])
        problems = event_problems(body)
        if problems:
            return _invalid(problems)
        key = body.get("dedup_key") or uuid.uuid4().hex
        self._record(ReceivedEvent(body["routing_key"], body["event_action"], key, body))
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": key}, status=202
        )

    def _record(self, event: ReceivedEvent) -> None:
        """A trigger opens the key's alert (or joins the open one: deduplicated); acknowledge
        and resolve move an open alert only."""
        with self._lock:
            self.events.append(event)
            state = self.alerts.get(event.dedup_key)
            if event.action == "trigger":
                if state in (None, "resolved"):
                    self.alerts[event.dedup_key] = "triggered"
            elif state in ("triggered", "acknowledged"):
                self.alerts[event.dedup_key] = STATE_AFTER[event.action]


def event_problems(body: Any) -> list[str]:
    """What PagerDuty would list in `errors` for this event (empty: valid)."""
    if not isinstance(body, dict):
        return ["Event object is not an object"]
    problems = []
    key = body.get("routing_key")
    if not isinstance(key, str) or len(key) != ROUTING_KEY_CHARS:
        problems.append(f"'routing_key' must be a {ROUTING_KEY_CHARS} character string")
    action = body.get("event_action")
    if action not in ACTIONS:
        problems.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not 0 < len(dedup) <= 255):
        problems.append(f"'dedup_key' must be a string of at most {DEDUP_KEY_CHARS} characters")
    if action in ("acknowledge", "resolve") and not dedup:
        problems.append(f"'dedup_key' is required for {action}")
    if action == "trigger":
        problems += _payload_problems(body.get("payload"))
    problems += _link_problems(body.get("links", []))
    return problems


def _payload_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is required for trigger"]
    problems = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not 0 < len(summary) <= SUMMARY_CHARS:
        problems.append(f"'payload.summary' must be 1 to {SUMMARY_CHARS} characters")
    source = payload.get("source")
    if not isinstance(source, str) or not source:
        problems.append("'payload.source' is required")
    if payload.get("severity") not in SEVERITIES:
        problems.append("'payload.severity' must be one of critical, error, warning, info")
    details = payload.get("custom_details")
    if details is not None and not isinstance(details, dict | str):
        problems.append("'payload.custom_details' must be an object")
    return problems


def _link_problems(links: Any) -> list[str]:
    if not isinstance(links, list) or not all(
        isinstance(link, dict) and isinstance(link.get("href"), str) for link in links
    ):
        return ["'links' must be a list of objects with an 'href'"]
    return []


def _invalid(errors: list[str]) -> web.Response:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": errors}
    return web.json_response(body, status=400)


def _fault(status: int) -> web.Response:
    if status == 429:
        body = {"status": "throttle event", "message": "Rate limited"}
        return web.json_response(body, status=429)
    return web.Response(status=status, text="<html>upstream error</html>")
