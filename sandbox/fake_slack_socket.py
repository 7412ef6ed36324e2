"""The server side of Slack Socket Mode, served by `FakeSlackAPI` at `/link/`.

What slack_sdk's aiohttp `SocketModeClient` expects (read from its source):
- it calls `apps.connections.open` with the `xapp-` token and connects to the returned `url`
  (Slack's is `wss://wss-primary.slack.com/link/?ticket=...&app_id=...`);
- it does not wait for `hello`, but Slack sends one first, so this server does too;
- it pings with `sdk-ping-pong:<time>` and reads the pong's data (aiohttp's autoping answers);
- each request is an envelope `{"envelope_id", "type", "accepts_response_payload", "payload"}`
  and the ack is a text frame `{"envelope_id", "payload"?}`;
- `{"type": "disconnect"}` makes it open a new connection (call `apps.connections.open` again).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from sandbox.slack_payloads import API_APP_ID

log = logging.getLogger(__name__)

# Types whose ack may carry a response: a slash command's message, a modal's response_action,
# a block_suggestion's options. Button clicks and events are acked empty.
_RESPONDING_INTERACTIONS = frozenset({"view_submission", "block_suggestion"})


def build_envelope(
    envelope_type: str,
    payload: dict[str, Any],
    *,
    envelope_id: str | None = None,
    accepts_response_payload: bool | None = None,
) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "payload": payload,
        "type": envelope_type,
        "accepts_response_payload": (
            accepts_response_payload
            if accepts_response_payload is not None
            else _accepts_response_payload(envelope_type, payload)
        ),
    }
    if envelope_type == "events_api":
        envelope.update(retry_attempt=0, retry_reason="")
    return envelope


def _accepts_response_payload(envelope_type: str, payload: dict[str, Any]) -> bool:
    if envelope_type == "slash_commands":
        return True
    return envelope_type == "interactive" and payload.get("type") in _RESPONDING_INTERACTIONS


def hello_message(num_connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": "applink-fake",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": API_APP_ID},
    }


def disconnect_message(reason: str) -> dict[str, Any]:
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}


class SocketModeServer:
    """Websocket connections from Socket Mode clients, and the acks they send back.

    Coroutines run on the fake server's loop; the read-only accessors may be called from any
    thread (state is guarded by the lock `FakeSlackAPI` shares with it).
    """

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._errors: list[str] = []
        self.connections_opened = 0

    @property
    def acks(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._acks)

    @property
    def errors(self) -> list[str]:
        with self._lock:
            return list(self._errors)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open_sockets())

    def reset(self) -> None:
        with self._lock:
            self._acks.clear()
            self._errors.clear()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._lock:
            self._sockets.append(ws)
            self.connections_opened += 1
        try:
            await ws.send_json(hello_message(self.open_connections))
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._record_ack(message.data)
        finally:
            with self._lock:
                self._sockets.remove(ws)
        return ws

    async def deliver(self, message: dict[str, Any], timeout: float) -> None:
        """Send `message` to the newest connection, waiting up to `timeout` for one."""
        ws = await self._wait_for_socket(timeout)
        if ws is None:
            self._record_error(f"no Socket Mode connection within {timeout}s for {message}")
            return
        try:
            await ws.send_json(message)
        except ConnectionError as exc:
            self._record_error(f"send failed ({type(exc).__name__}) for {message}")

    async def close_all(self, _app: web.Application | None = None) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for ws in sockets:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def _wait_for_socket(self, timeout: float) -> web.WebSocketResponse | None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                sockets = self._open_sockets()
            if sockets:
                return sockets[-1]
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.01)

    def _open_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if not ws.closed]

    def _record_ack(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except json.JSONDecodeError:
            self._record_error(f"client sent non-JSON text: {data[:200]!r}")
            return
        if not isinstance(ack, dict) or "envelope_id" not in ack:
            self._record_error(f"client sent a frame without envelope_id: {data[:200]!r}")
            return
        with self._lock:
            self._acks[ack["envelope_id"]] = ack

    def _record_error(self, error: str) -> None:
        log.warning("fake Socket Mode: %s", error)
        with self._lock:
            self._errors.append(error)
