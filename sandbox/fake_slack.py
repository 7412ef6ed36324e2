"""A fake Slack Web API served over real HTTP, for tests and the local console.

The bot's real `AsyncWebClient` talks to it through `base_url`; every call is recorded, answers
have Slack's shapes, and errors can be injected. The same server takes `response_url` posts,
file uploads (files_upload_v2) and Socket Mode connections (`sandbox.fake_slack_socket`).

    api = FakeSlackAPI()
    client = AsyncWebClient(token="xoxb-test", base_url=api.start())
    ...
    api.wait_for(lambda: api.calls_to("chat.postMessage"))
    api.stop()

The server runs its own event loop in a daemon thread, so it serves sync and async tests alike.
It enforces Slack's own rules (`sandbox.slack_rules`): trigger_ids and response_urls it issued
(`trigger_id()`, `response_url()`) with their lifetimes and uses, membership, channel names
resolved to IDs, Block Kit limits and per-channel pacing. Time comes from `clock` (a
`ManualClock` in tests that expire things).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

from sandbox.fake_slack_socket import SocketModeServer, build_envelope, disconnect_message
from sandbox.slack_payloads import API_APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID
from sandbox.slack_rules import (
    ChannelKind,
    ChannelPacing,
    Clock,
    Conversation,
    Directory,
    ResponseUrls,
    SlackError,
    Triggers,
    bot_dm,
    message_block_problems,
    monotonic,
    view_problems,
)

log = logging.getLogger(__name__)

FIRST_TS_SECONDS = 1_700_000_000
TS_STEP_MICROS = 100
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
# Arguments the SDK sends as JSON strings when it posts a form; decoded so tests read dicts.
JSON_ARGS = ("blocks", "attachments", "view", "files", "metadata")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True)
class SlackCall:
    """One Web API call as the server received it (`error` is set when it was refused)."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    error: str | None = None


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a `response_url` issued by `FakeSlackAPI.response_url()`."""

    url: str
    body: dict[str, Any]
    at: float
    tag: str = ""


@dataclass
class FileUpload:
    """A file announced by files.getUploadURLExternal, filled by the upload POST."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None  # shared as a reply in this thread of channel_id


@dataclass
class _Failure:
    error: str
    retry_after: int
    remaining: int


@dataclass(frozen=True)
class _Answer:
    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        return None if self.body.get("ok") else str(self.body.get("error"))


Handler = Callable[[dict[str, Any]], dict[str, Any]]


class FakeWorkspace:
    """What Slack remembers between calls: messages, views, user groups, uploads, which
    conversations exist (and which the bot is in), the trigger_ids it issued.

    Handlers take the call's arguments and return the answer without `ok`; they raise
    `SlackError` for Slack's error answers. Not thread-safe: `FakeSlackAPI` holds its lock.
    """

    def __init__(self, root_url: str, clock: Clock, *, pace_messages: bool = True) -> None:
        self.root_url = root_url
        self.directory = Directory.default()
        self.triggers = Triggers(clock)
        self.pacing = ChannelPacing(clock, enforce=pace_messages)
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.uploads: dict[str, FileUpload] = {}
        self._ts_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self.handlers: dict[str, Handler] = {
            "auth.test": self.auth_test,
            "apps.connections.open": self.apps_connections_open,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.info": self.conversations_info,
            "conversations.replies": self.conversations_replies,
            "views.open": self.views_open,
            "views.push": self.views_open,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "usergroups.users.list": self.usergroups_users_list,
            "users.info": self.users_info,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
            "reactions.add": self.reactions_add,
        }

    # -- identity and connections ------------------------------------------------------------

    def auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_DOMAIN,
            "user": "rtb-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        ws_root = "ws" + self.root_url.removeprefix("http")
        return {"url": f"{ws_root}link/?ticket={uuid.uuid4()}&app_id={API_APP_ID}"}

    # -- messages ------------------------------------------------------------------------------

    def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.directory.postable(_required(args, "channel", "channel_not_found"))
        content = _message_content(args)
        self.pacing.admit(channel)
        message = {**_bot_message_base(), "ts": self._next_ts(), **content}
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        self.messages.setdefault(channel, {})[message["ts"]] = message
        self._link_reply(channel, message)
        return {"channel": channel, "ts": message["ts"], "message": copy.deepcopy(message)}

    def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.directory.require_id(_required(args, "channel", "channel_not_found"))
        message = self._find_message(channel, args.get("ts"))
        message.update(_message_content(args))
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self.directory.postable(_required(args, "channel", "channel_not_found"))
        _required(args, "user", "user_not_in_channel")
        _message_content(args)
        return {"message_ts": self._next_ts()}

    def chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.directory.require_id(_required(args, "channel", "channel_not_found"))
        message = self._find_message(channel, args.get("ts"))
        del self.messages[channel][message["ts"]]
        return {"channel": channel, "ts": message["ts"]}

    def chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.directory.require_id(_required(args, "channel", "channel_not_found"))
        message = self._find_message(channel, args.get("message_ts"))
        ts = str(message["ts"]).replace(".", "")
        return {
            "channel": channel,
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts}",
        }

    def reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.directory.require_id(_required(args, "channel", "channel_not_found"))
        message = self._find_message(channel, args.get("timestamp"))
        name = _required(args, "name", "invalid_name")
        reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
        if any(r["name"] == name for r in reactions):
            raise SlackError("already_reacted")
        reactions.append({"name": name, "users": [BOT_USER_ID], "count": 1})
        return {}

    def conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages newer than `oldest`, newest first; metadata only when asked."""
        channel = _required(args, "channel", "channel_not_found")
        if channel.startswith("#"):
            raise SlackError("channel_not_found")  # names are for posting; reads want an id
        found = [
            m
            for m in self.messages.get(channel, {}).values()
            if m.get("thread_ts") in (None, m["ts"]) and _newer(m, args.get("oldest"))
        ]
        found.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        return _listed(found, args)

    def conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """By ID only (a `#name` is `channel_not_found`, as in Slack)."""
        channel = self.directory.require_id(_required(args, "channel", "channel_not_found"))
        found = self.directory.conversations.get(channel)
        if found is None:  # the bot's DM with a user
            return {"channel": {"id": channel, "is_im": True, "user": channel[1:]}}
        if found.kind != "public" and not found.bot_member:
            raise SlackError("channel_not_found")  # a private conversation without the bot
        return {"channel": _conversation_object(found)}

    def conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """The thread of `ts` (its parent first), oldest first; metadata only when asked."""
        channel = _required(args, "channel", "channel_not_found")
        parent = self._find_message(channel, args.get("ts"))
        thread = [
            m
            for m in self.messages.get(channel, {}).values()
            if m is parent or (m.get("thread_ts") == parent["ts"] and _newer(m, args.get("oldest")))
        ]
        thread.sort(key=lambda m: _ts_key(m["ts"]))
        return _listed(thread, args)

    def conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = _split_list(args.get("users"))
        if not users:
            raise SlackError("users_list_not_supplied")
        return {"channel": {"id": bot_dm(users[0])}}

    # -- views ---------------------------------------------------------------------------------

    def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """views.open and views.push: a trigger_id this Slack issued, fresh and unused."""
        trigger_id = self.triggers.check(args.get("trigger_id"))
        view = _view_arg(args)
        self.triggers.exchange(trigger_id)
        return {"view": self._store_view(self._new_id("V"), view)}

    def views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or self._view_id_by_external(args.get("external_id"))
        if view_id not in self.views:
            raise SlackError("not_found")
        view = _view_arg(args)
        if args.get("hash") and args["hash"] != self.views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._store_view(view_id, view)}

    def views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        _required(args, "user_id", "user_not_found")
        return {"view": self._store_view(self._new_id("V"), {**_view_arg(args), "type": "home"})}

    # -- users and groups ----------------------------------------------------------------------

    def usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        users = self.usergroups.get(str(args.get("usergroup")))
        if users is None:
            raise SlackError("no_such_subteam")
        return {"users": list(users)}

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self.directory.require_user(_required(args, "user", "user_not_found"))
        return {"user": _user_object(user_id, self.directory.user_name(user_id))}

    # -- files (files_upload_v2: get URL, POST bytes, complete) --------------------------------

    def files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = _required(args, "filename", "invalid_arguments")
        length = int(_required(args, "length", "invalid_arguments"))
        file_id = self._new_id("F")
        self.uploads[file_id] = FileUpload(file_id, filename, length)
        return {"upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        upload = self.uploads.get(file_id)
        if upload is not None:
            upload.content = content
        return upload is not None

    def files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        channel = args.get("channel_id")
        thread_ts = _upload_thread(args)
        completed = [self._complete_upload(entry, channel) for entry in entries]
        for entry in completed:
            self.uploads[entry["id"]].thread_ts = thread_ts
        if channel:
            self._share_files(str(channel), thread_ts, completed)
        return {"files": completed}

    def _share_files(
        self, channel: str, thread_ts: str | None, files: list[dict[str, Any]]
    ) -> None:
        """Slack shares completed files as a message of the uploader (`files`, `upload`), in
        the thread when one was named: conversations.history/replies show it like any other."""
        share = {**_bot_message_base(), "ts": self._next_ts(), "text": ""}
        share.update({"files": copy.deepcopy(files), "upload": True})
        if thread_ts is not None:
            share["thread_ts"] = thread_ts
        self.messages.setdefault(channel, {})[share["ts"]] = share
        self._link_reply(channel, share)

    def _complete_upload(self, entry: dict[str, Any], channel: str | None) -> dict[str, Any]:
        upload = self.uploads.get(str(entry.get("id")))
        if upload is None or upload.content is None:
            raise SlackError("file_not_found")
        upload.title = entry.get("title") or upload.filename
        upload.channel_id = channel
        return {
            "id": upload.file_id,
            "name": upload.filename,
            "title": upload.title,
            "size": len(upload.content),
            "user": BOT_USER_ID,
            "channels": [channel] if channel else [],
        }

    # -- internals -----------------------------------------------------------------------------

    def _next_ts(self) -> str:
        seconds, micros = divmod(next(self._ts_counter) * TS_STEP_MICROS, 1_000_000)
        return f"{FIRST_TS_SECONDS + seconds}.{micros:06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):09d}"

    def _find_message(self, channel: str, ts: Any) -> dict[str, Any]:
        message = self.messages.get(channel, {}).get(str(ts))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _link_reply(self, channel: str, reply: dict[str, Any]) -> None:
        parent = self.messages[channel].get(reply.get("thread_ts", ""))
        if parent is None or parent is reply:
            return
        parent["thread_ts"] = parent["ts"]
        parent["reply_count"] = parent.get("reply_count", 0) + 1

    def _store_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        stored = {**_view_defaults(view_id, self._new_id("")), **view, "id": view_id}
        self.views[view_id] = stored
        return copy.deepcopy(stored)

    def _view_id_by_external(self, external_id: Any) -> str | None:
        if not external_id:
            return None
        return next(
            (v for v, view in self.views.items() if view["external_id"] == external_id), None
        )


def _required(args: dict[str, Any], name: str, error: str) -> Any:
    value = args.get(name)
    if value in (None, ""):
        raise SlackError(error)
    return value


def _upload_thread(args: dict[str, Any]) -> str | None:
    """files.completeUploadExternal's thread_ts: a reply needs the channel it goes to."""
    thread_ts = args.get("thread_ts")
    if thread_ts is not None and not args.get("channel_id"):
        raise SlackError("invalid_arguments")
    return None if thread_ts is None else str(thread_ts)


def _message_content(args: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {
        k: args[k] for k in ("text", "blocks", "attachments", "metadata") if args.get(k) is not None
    }
    if not any(content.get(k) for k in ("text", "blocks", "attachments")):
        raise SlackError("no_text")
    problems = message_block_problems(content.get("blocks"))
    if problems:
        raise SlackError("invalid_blocks", messages=problems)
    return content


def _newer(message: dict[str, Any], oldest: Any) -> bool:
    return oldest in (None, "") or _ts_key(message["ts"]) > _ts_key(str(oldest))


def _listed(messages: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    limit = int(args.get("limit") or 100)
    with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
    shown = [
        {k: v for k, v in m.items() if with_metadata or k != "metadata"}
        for m in copy.deepcopy(messages[:limit])
    ]
    return {"messages": shown, "has_more": len(messages) > limit}


def _bot_message_base() -> dict[str, Any]:
    return {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": API_APP_ID,
        "team": TEAM_ID,
        "text": "",
    }


def _split_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v for v in str(value or "").split(",") if v]


def _view_arg(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    problems = view_problems(view)
    if problems:
        raise SlackError("invalid_arguments", messages=problems)
    return view


def _view_defaults(view_id: str, revision: str) -> dict[str, Any]:
    return {
        "team_id": TEAM_ID,
        "type": "modal",
        "blocks": [],
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{revision}",  # changes with every update, as on Slack
        "clear_on_close": False,
        "notify_on_close": False,
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": API_APP_ID,
        "bot_id": BOT_ID,
    }


def _conversation_object(conversation: Conversation) -> dict[str, Any]:
    kind = conversation.kind
    channel: dict[str, Any] = {
        "id": conversation.id,
        "is_channel": kind in ("public", "private"),
        "is_group": False,
        "is_im": kind == "im",
        "is_mpim": kind == "mpim",
        "is_private": kind != "public",
        "is_archived": False,
        "is_member": conversation.bot_member,
    }
    if kind != "im":
        channel["name"] = conversation.name
    return channel


def _user_object(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "real_name": name,
        "deleted": False,
        "is_bot": user_id == BOT_USER_ID,
        "is_admin": False,
        "tz": "Etc/UTC",
        "profile": {"real_name": name, "display_name": name},
    }


# -- reading requests ------------------------------------------------------------------------


async def read_args(request: web.Request) -> dict[str, Any]:
    """Query string, then the JSON or form body, as the SDK may send either."""
    args: dict[str, Any] = dict(request.query)
    args.update(await _read_body(request))
    return {k: _decode_json_arg(k, v) for k, v in args.items()}


async def _read_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        body = await request.json()
        return body if isinstance(body, dict) else {}
    if request.content_type in FORM_TYPES:
        form = await request.post()
        return {k: v.file.read() if isinstance(v, web.FileField) else v for k, v in form.items()}
    return {}


def _decode_json_arg(name: str, value: Any) -> Any:
    if name not in JSON_ARGS or not isinstance(value, str) or value[:1] not in ("[", "{"):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def bearer_token(request: web.Request, args: dict[str, Any]) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ")
    token = args.get("token")
    return str(token) if token else None


def _failure_answer(failure: _Failure) -> _Answer:
    body = {"ok": False, "error": failure.error}
    if failure.error == "ratelimited":
        return _Answer(body, 429, {"Retry-After": str(failure.retry_after)})
    return _Answer(body)


def _error_answer(error: str) -> _Answer:
    return _Answer({"ok": False, "error": error})


def _refusal_answer(exc: SlackError) -> _Answer:
    """Slack's answer to a refused call: 429 with Retry-After when rate limited; the
    `[ERROR] …` lines of invalid blocks in `response_metadata.messages`."""
    if exc.error == "ratelimited":
        return _failure_answer(_Failure(exc.error, exc.retry_after, 1))
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if exc.messages:
        body["response_metadata"] = {"messages": exc.messages}
    return _Answer(body)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_call(call: SlackCall) -> str:
    keys = ("channel", "ts", "text", "user", "usergroup", "view_id", "trigger_id")
    shown = " ".join(f"{k}={_short(call.args[k])}" for k in keys if k in call.args)
    outcome = f" -> {call.error}" if call.error else ""
    return f"  {call.method} {shown}{outcome}"


class FakeSlackAPI:
    """Slack's Web API, response URLs, file uploads and Socket Mode on one loopback port."""

    def __init__(
        self, host: str = "127.0.0.1", *, clock: Clock = monotonic, pace_messages: bool = True
    ) -> None:
        self.host = host
        self.on_message: Callable[[SlackCall], None] | None = None
        self._default_clock, self.clock = clock, clock
        self._pace_messages = pace_messages
        self._lock = threading.RLock()
        self._socket_mode = SocketModeServer(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._root_url = ""
        self._init_state()

    def _init_state(self) -> None:
        self.clock = self._default_clock
        now = self._now
        self._workspace = FakeWorkspace(self._root_url, now, pace_messages=self._pace_messages)
        self._calls: list[SlackCall] = []
        self._responses: list[ResponsePost] = []
        self._response_urls = ResponseUrls(now)
        self._failures: dict[str, list[_Failure]] = {}

    def _now(self) -> float:
        return self.clock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; returns the Web API base URL (ends with `/api/`)."""
        if self._thread is not None:
            return self.base_url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        self._root_url = f"http://{self.host}:{sock.getsockname()[1]}/"
        with self._lock:
            self._workspace.root_url = self._root_url
        self._loop = asyncio.new_event_loop()
        started: list[BaseException | None] = []
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(sock, ready, started), name="fake-slack", daemon=True
        )
        self._thread.start()
        ready.wait(10)
        if not started or started[0] is not None:
            self.stop()
            raise RuntimeError(f"fake Slack API did not start: {started}")
        return self.base_url

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop, self._thread = None, None

    def reset(self) -> None:
        """Forget calls, messages, views, uploads, groups, failures and acks; back to the
        default conversations, clock and pacing; keep serving."""
        with self._lock:
            self._init_state()
        self._socket_mode.reset()

    def __enter__(self) -> FakeSlackAPI:
        self.start()
        return self

    def __exit__(
        self,
        _exc_type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self._root_url + "api/"

    # -- what the bot did ----------------------------------------------------------------------

    @property
    def calls(self) -> list[SlackCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    @property
    def responses(self) -> list[ResponsePost]:
        with self._lock:
            return list(self._responses)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The latest version of a posted message (after chat.update), or None once deleted."""
        with self._lock:
            found = self._workspace.messages.get(self._channel_id(channel), {})
            return copy.deepcopy(found.get(ts))

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Every message in `channel` (thread replies included), oldest first."""
        with self._lock:
            found = list(self._workspace.messages.get(self._channel_id(channel), {}).values())
            return copy.deepcopy(sorted(found, key=lambda m: _ts_key(m["ts"])))

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Replies in the thread of message `ts`, oldest first (the parent excluded)."""
        return [m for m in self.messages(channel) if m.get("thread_ts") == ts and m["ts"] != ts]

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._workspace.views.get(view_id))

    def views(self) -> list[dict[str, Any]]:
        """Every view opened or published, oldest first, as last updated."""
        with self._lock:
            return copy.deepcopy(list(self._workspace.views.values()))

    @property
    def uploads(self) -> list[FileUpload]:
        with self._lock:
            return [copy.copy(upload) for upload in self._workspace.uploads.values()]

    def channel_label(self, channel: str) -> str:
        """`#name` of a channel (by ID or name), as a person reads it; DMs and unknown IDs as
        they are."""
        with self._lock:
            found = self._workspace.directory.conversations.get(self._channel_id(channel))
        return f"#{found.name}" if found is not None and found.kind != "im" else channel

    def _channel_id(self, channel: str) -> str:
        """Tests may read a channel by its name (`#rtb-approvals`), as the config names it."""
        try:
            return self._workspace.directory.resolve(channel)
        except SlackError:
            return channel

    # -- arranging the world -------------------------------------------------------------------

    def add_conversation(
        self,
        channel_id: str,
        name: str = "",
        *,
        kind: ChannelKind = "public",
        bot_member: bool = True,
        users: tuple[str, ...] = (),
    ) -> None:
        """A conversation Slack knows: a channel (with or without the bot), or a DM / group DM
        between people (`kind="im"`/`"mpim"`, `bot_member=False`: the bot cannot post there)."""
        conversation = Conversation(channel_id, name or channel_id.lower(), kind, bot_member, users)
        with self._lock:
            self._workspace.directory.add(conversation)

    def add_user(self, user_id: str, name: str) -> None:
        """A member `users.info` names `name` (others are named after their ID, lowercased)."""
        with self._lock:
            self._workspace.directory.user_names[user_id] = name

    def forget_user(self, user_id: str) -> None:
        """A member id the workspace does not have (never joined, or another workspace's):
        `users.info` answers `user_not_found`, a post to it `channel_not_found`."""
        with self._lock:
            self._workspace.directory.unknown_users.add(user_id)

    @property
    def pace_messages(self) -> bool:
        """Whether more than ~1 message a second to a channel is answered 429 (default on;
        switch it off only where a test is not about pacing; `reset()` turns it on again)."""
        return self._workspace.pacing.enforce

    @pace_messages.setter
    def pace_messages(self, enforce: bool) -> None:
        with self._lock:
            self._workspace.pacing.enforce = enforce

    def trigger_id(self) -> str:
        """A trigger_id as Slack puts in an interaction: opens one view within 3 s."""
        with self._lock:
            return self._workspace.triggers.issue()

    def fail_next(
        self, method: str, error: str = "ratelimited", retry_after: int = 1, count: int = 1
    ) -> None:
        """Answer the next `count` calls of `method` with `error` (ratelimited: HTTP 429)."""
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(error, retry_after, count))

    def set_usergroup_members(self, usergroup_id: str, user_ids: list[str]) -> None:
        with self._lock:
            self._workspace.usergroups[usergroup_id] = list(user_ids)

    def response_url(self, tag: str = "") -> str:
        """A fresh response_url served here; posts to it land in `responses`."""
        with self._lock:
            key = self._response_urls.issue(tag)
        return f"{self._root_url}response/{key}"

    # -- waiting -------------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        for _ in self._polls(predicate, timeout):
            time.sleep(0.01)

    async def await_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:
        for _ in self._polls(predicate, timeout):
            await asyncio.sleep(0.01)

    def _polls(self, predicate: Callable[[], object], timeout: float) -> Iterator[None]:
        """Yields while `predicate` is false; raises AssertionError with a summary at timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(f"condition not met within {timeout}s\n{self.describe()}")
            yield

    def describe(self) -> str:
        """What the server saw, for failure messages."""
        lines = [f"Web API calls ({len(self.calls)}):", *map(_describe_call, self.calls[-40:])]
        lines.append(f"response_url posts ({len(self.responses)}):")
        lines += [f"  {_short(post.body)}" for post in self.responses[-10:]]
        lines.append(f"Socket Mode acks: {_short(self.socket_acks, 400)}")
        lines += [f"Socket Mode error: {error}" for error in self.socket_errors]
        return "\n".join(lines)

    # -- Socket Mode ---------------------------------------------------------------------------

    def socket_send(
        self,
        envelope_type: str = "slash_commands",
        payload: dict[str, Any] | None = None,
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Push an envelope to the connected client; returns its envelope_id at once.

        Delivery waits up to `timeout` for a connection; failures show in `socket_errors`.
        """
        envelope = build_envelope(
            envelope_type, payload or {}, accepts_response_payload=accepts_response_payload
        )
        self._submit(self._socket_mode.deliver(envelope, timeout))
        return str(envelope["envelope_id"])

    def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does every few hours."""
        self._submit(self._socket_mode.deliver(disconnect_message(reason), 5.0))

    def socket_drop(self) -> None:
        """Close every Socket Mode connection from Slack's side (a network drop, or a revoked
        app token when `apps.connections.open` is also made to fail)."""
        self._submit(self._socket_mode.close_all())

    @property
    def socket_acks(self) -> dict[str, dict[str, Any]]:
        return self._socket_mode.acks

    @property
    def socket_errors(self) -> list[str]:
        return self._socket_mode.errors

    @property
    def socket_connections(self) -> int:
        """Open Socket Mode connections right now."""
        return self._socket_mode.open_connections

    @property
    def socket_connections_opened(self) -> int:
        """Socket Mode connections opened since start (reconnects count)."""
        return self._socket_mode.connections_opened

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        self.wait_for(lambda: envelope_id in self.socket_acks, timeout)
        return self.socket_acks[envelope_id]

    async def await_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        await self.await_for(lambda: envelope_id in self.socket_acks, timeout)
        return self.socket_acks[envelope_id]

    def _submit(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._loop is None:
            raise RuntimeError("FakeSlackAPI is not started")
        asyncio.run_coroutine_threadsafe(coro, self._loop)

    # -- the server ----------------------------------------------------------------------------

    def _serve(
        self, sock: socket.socket, ready: threading.Event, started: list[BaseException | None]
    ) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            runner = loop.run_until_complete(self._start_site(sock))
        except Exception as exc:
            started.append(exc)
            ready.set()
            return
        started.append(None)
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        _cancel_pending_tasks(loop)
        loop.close()

    async def _start_site(self, sock: socket.socket) -> web.AppRunner:
        runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        return runner

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{key}", self._handle_response)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_get("/link/", self._socket_mode.handle)
        app.on_shutdown.append(self._socket_mode.close_all)
        return app

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await read_args(request)
        call, answer = self._answer(method, args, bearer_token(request, args))
        if answer.error is None and method in MESSAGE_METHODS:
            self._notify(call)
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[SlackCall, _Answer]:
        with self._lock:
            failure = self._take_failure(method)
            if failure is not None:
                answer = _failure_answer(failure)
            else:
                answer = self._run_method(method, args, token)
            call = SlackCall(method, args, token, time.time(), answer.error)
            self._calls.append(call)
        return call, answer

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure

    def _run_method(self, method: str, args: dict[str, Any], token: str | None) -> _Answer:
        if not token:
            return _error_answer("not_authed")
        if method == "apps.connections.open" and not token.startswith("xapp-"):
            return _error_answer("not_allowed_token_type")
        handler = self._workspace.handlers.get(method)
        try:
            result = handler(args) if handler is not None else {}
        except SlackError as exc:
            return _refusal_answer(exc)
        return _Answer({"ok": True, **result})

    async def _handle_response(self, request: web.Request) -> web.Response:
        """A response_url post: Slack's 404 once used 5 times or 30 minutes old, 400 for a body
        that is not JSON or has blocks Slack refuses (a refused post does not count a use)."""
        key = request.match_info["key"]
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict) or message_block_problems(body.get("blocks")):
            return web.Response(status=400, text="invalid_blocks")
        with self._lock:
            try:
                tag = self._response_urls.use(key)
            except SlackError as exc:
                return web.Response(status=404, text=exc.error)
            post = ResponsePost(f"{self._root_url}response/{key}", body, time.time(), tag)
            self._responses.append(post)
        self._notify(SlackCall("response_url", body, None, post.at))
        return web.Response(text="ok")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        content = await request.read()
        with self._lock:
            found = self._workspace.receive_upload(request.match_info["file_id"], content)
        if not found:
            return web.Response(status=404, text="file_not_found")
        return web.Response(text=f"OK - {len(content)}")

    def _notify(self, call: SlackCall) -> None:
        if self.on_message is None:
            return
        try:
            self.on_message(call)
        except Exception:
            log.exception("FakeSlackAPI.on_message callback failed")


def _ts_key(ts: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ts.split("."))


def _cancel_pending_tasks(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    with contextlib.suppress(Exception):
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
