"""The rules real Slack enforces, so the fake Slack refuses what Slack refuses.

A looser fake hid two bugs in the bot (a modal opened after its trigger expired, a private reply
into a conversation the bot is not in). Each rule here has a test in tests/fakes/ that the fake
refuses what breaks it:

- `trigger_id`: issued with an interaction, exchangeable once (`views.open`/`views.push`),
  within 3 s (`invalid_trigger_id`, `exchanged_trigger_id`, `expired_trigger_id`);
- `response_url`: 5 posts within 30 minutes (then 404 `used_url` / `expired_url`);
- membership: the bot posts (`chat.postMessage`, `chat.postEphemeral`) only where it is a member:
  its own DMs with users, channels it was added to; a DM between two people or a private channel
  without it is `channel_not_found`, a public channel without it `not_in_channel`;
- channel names (`#rtb-approvals`) are resolved to IDs, and answers carry the ID;
- Block Kit: 50 blocks a message (100 a view), 3,000 characters a section's text, 10 fields of
  2,000 characters, a view's JSON at most 250 kB (`invalid_blocks` / `invalid_arguments`);
  buttons (in an actions block, at most 25 elements, or a section's accessory): a value of at
  most 2,000 characters, a label of 75, an action_id of 255, unique in its block;
- pacing: about one `chat.postMessage` a second per channel (bursts of `CHANNEL_BURST`), then
  HTTP 429 with Retry-After (`ratelimited`).

Time comes from an injectable clock (`ManualClock` in tests), so no test sleeps 3 s.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

TRIGGER_SECONDS = 3.0
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT_CHARS = 3000
SECTION_FIELDS = 10
SECTION_FIELD_CHARS = 2000
VIEW_BYTES = 250_000
ACTIONS_ELEMENTS = 25
BUTTON_VALUE_CHARS = 2000
BUTTON_TEXT_CHARS = 75
ACTION_ID_CHARS = 255
CHANNEL_BURST = 3  # messages a channel takes at once before the 1-a-second pace applies
CHANNEL_PER_SECOND = 1.0

Clock = Callable[[], float]
ChannelKind = Literal["public", "private", "im", "mpim"]


class SlackError(Exception):
    """Makes a method handler answer `{"ok": false, "error": error}` (HTTP 429 for
    `ratelimited`, with `retry_after` seconds)."""

    def __init__(self, error: str, *, retry_after: int = 0, messages: Iterable[str] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.retry_after = retry_after
        self.messages = list(messages)


class ManualClock:
    """A clock that moves only when told: `clock.advance(3.1)` expires a trigger_id at once."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- trigger ids and response URLs ------------------------------------------------------------


class Triggers:
    """trigger_ids this Slack issued: valid `TRIGGER_SECONDS`, exchangeable once."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._issued: dict[str, float] = {}
        self._exchanged: set[str] = set()

    def issue(self) -> str:
        """Same form as Slack's: `<digits>.<digits>.<32 hex>`."""
        digits = str(uuid.uuid4().int)
        trigger_id = f"{digits[:13]}.{digits[13:23]}.{uuid.uuid4().hex}"
        self._issued[trigger_id] = self._clock()
        return trigger_id

    def check(self, trigger_id: Any) -> str:
        """The trigger_id if it may open a view now; SlackError otherwise."""
        issued = self._issued.get(str(trigger_id or ""))
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if trigger_id in self._exchanged:
            raise SlackError("exchanged_trigger_id")
        if self._clock() - issued > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        return str(trigger_id)

    def exchange(self, trigger_id: str) -> None:
        self._exchanged.add(trigger_id)


@dataclass
class _Hook:
    tag: str
    issued: float
    uses: int = 0


class ResponseUrls:
    """response_url keys: `RESPONSE_URL_USES` posts within `RESPONSE_URL_SECONDS`."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._hooks: dict[str, _Hook] = {}

    def issue(self, tag: str) -> str:
        key = uuid.uuid4().hex
        self._hooks[key] = _Hook(tag, self._clock())
        return key

    def use(self, key: str) -> str:
        """The hook's tag, counting this post; SlackError when Slack would answer 404."""
        hook = self._hooks.get(key)
        if hook is None:
            raise SlackError("no_active_hooks")
        if self._clock() - hook.issued > RESPONSE_URL_SECONDS:
            raise SlackError("expired_url")
        if hook.uses >= RESPONSE_URL_USES:
            raise SlackError("used_url")
        hook.uses += 1
        return hook.tag


# -- conversations and membership ---------------------------------------------------------------


@dataclass(frozen=True)
class Conversation:
    id: str
    name: str
    kind: ChannelKind = "public"
    bot_member: bool = True
    users: tuple[str, ...] = ()  # of a DM or group DM


# The channels a sandbox or test bot posts to by default (the config's default names included).
DEFAULT_CONVERSATIONS = (
    Conversation("C_OPS", "rtb-ops"),
    Conversation("C0OPS", "ops"),
    Conversation("C1", "general"),
    Conversation("C_CONSOLE", "console"),
    Conversation("C_APPROVALS", "rtb-approvals"),
    Conversation("C_ALERTS", "rtb-alerts"),
    Conversation("C_COSTS", "rtb-costs"),
    Conversation("C_INCIDENTS", "rtb-incidents"),
)


@dataclass
class Directory:
    """Which conversations exist and which the bot is in. The bot's DM with a user is
    `D<user id>` and always open to it (`conversations.open`, or posting to the user's ID)."""

    conversations: dict[str, Conversation] = field(default_factory=dict)
    unknown_users: set[str] = field(default_factory=set)  # member ids not in the workspace
    user_names: dict[str, str] = field(default_factory=dict)  # display names, by member id

    @classmethod
    def default(cls) -> Directory:
        return cls({c.id: c for c in DEFAULT_CONVERSATIONS})

    def add(self, conversation: Conversation) -> None:
        self.conversations[conversation.id] = conversation

    def resolve(self, channel: Any) -> str:
        """An ID for a channel argument: an ID, `#name`/`name`, or a user's ID (their DM with
        the bot). Unknown: `channel_not_found`."""
        text = str(channel or "")
        if text in self.unknown_users:
            raise SlackError("channel_not_found")
        if text.startswith(("U", "W")):
            return bot_dm(text)
        if text in self.conversations or is_bot_dm(text):
            return text
        name = text.removeprefix("#")
        found = next((c.id for c in self.conversations.values() if c.name == name), None)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def require_user(self, user_id: Any) -> str:
        """A member of the workspace (users.info), else `user_not_found`."""
        text = str(user_id)
        if text in self.unknown_users:
            raise SlackError("user_not_found")
        return text

    def user_name(self, user_id: str) -> str:
        """A member's display name: the one arranged (`add_user`), else the ID in lowercase."""
        return self.user_names.get(user_id, user_id.lower())

    def require_id(self, channel: Any) -> str:
        """Methods that take only an ID (chat.update, chat.delete, reactions.add)."""
        text = str(channel or "")
        if text not in self.conversations and not is_bot_dm(text):
            raise SlackError("channel_not_found")
        return text

    def postable(self, channel: Any) -> str:
        """The ID the bot may post to; Slack's error where it is not a member."""
        channel_id = self.resolve(channel)
        if is_bot_dm(channel_id):
            return channel_id
        conversation = self.conversations[channel_id]
        if conversation.bot_member:
            return channel_id
        if conversation.kind == "public":
            raise SlackError("not_in_channel")
        raise SlackError("channel_not_found")  # a DM between people, a private channel


def bot_dm(user_id: str) -> str:
    return "D" + user_id


def is_bot_dm(channel_id: str) -> bool:
    return channel_id.startswith(("DU", "DW"))


# -- Block Kit limits ---------------------------------------------------------------------------


def message_block_problems(blocks: Any) -> list[str]:
    """Slack's `[ERROR] …` lines for a message's blocks (empty when Slack takes them)."""
    if blocks in (None, ""):
        return []
    if not isinstance(blocks, list):
        return ["[ERROR] must be an array [json-pointer:/blocks]"]
    return _block_problems(blocks, MESSAGE_BLOCKS)


def view_problems(view: dict[str, Any]) -> list[str]:
    problems = _block_problems(view.get("blocks") or [], VIEW_BLOCKS)
    size = len(json.dumps(view, separators=(",", ":")).encode())
    if size > VIEW_BYTES:
        problems.append(f"[ERROR] view is {size} bytes, more than {VIEW_BYTES} [json-pointer:/]")
    return problems


def _block_problems(blocks: list[Any], most: int) -> list[str]:
    problems = []
    if len(blocks) > most:
        problems.append(f"[ERROR] no more than {most} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        if isinstance(block, dict) and block.get("type") == "section":
            problems += _section_problems(block, f"/blocks/{index}")
        if isinstance(block, dict):
            problems += _button_problems(block, f"/blocks/{index}")
    return problems


def _button_problems(block: dict[str, Any], pointer: str) -> list[str]:
    """The buttons of an actions block (or a section's accessory): sizes, unique action ids."""
    if block.get("type") == "actions":
        elements = list(block.get("elements") or [])
        where = f"{pointer}/elements"
    else:
        elements, where = [block.get("accessory") or {}], f"{pointer}/accessory"
    problems = []
    if len(elements) > ACTIONS_ELEMENTS:
        problems.append(
            f"[ERROR] no more than {ACTIONS_ELEMENTS} items allowed [json-pointer:{where}]"
        )
    seen: set[str] = set()
    for n, element in enumerate(elements):
        if not isinstance(element, dict) or element.get("type") != "button":
            continue
        at = f"{where}/{n}" if block.get("type") == "actions" else where
        limits = (
            ("value", str(element.get("value", "")), BUTTON_VALUE_CHARS),
            ("text/text", str((element.get("text") or {}).get("text", "")), BUTTON_TEXT_CHARS),
            ("action_id", str(element.get("action_id", "")), ACTION_ID_CHARS),
        )
        problems += [
            f"[ERROR] must be less than {most + 1} characters [json-pointer:{at}/{name}]"
            for name, text, most in limits
            if len(text) > most
        ]
        action_id = str(element.get("action_id", ""))
        if action_id and action_id in seen:
            problems.append(f"[ERROR] action_id already exists [json-pointer:{at}/action_id]")
        seen.add(action_id)
    return problems


def _section_problems(block: dict[str, Any], pointer: str) -> list[str]:
    problems = []
    text = str((block.get("text") or {}).get("text", ""))
    if len(text) > SECTION_TEXT_CHARS:
        problems.append(
            f"[ERROR] must be less than {SECTION_TEXT_CHARS + 1} characters "
            f"[json-pointer:{pointer}/text/text]"
        )
    fields = block.get("fields") or []
    if len(fields) > SECTION_FIELDS:
        problems.append(
            f"[ERROR] no more than {SECTION_FIELDS} items allowed [json-pointer:{pointer}/fields]"
        )
    for n, item in enumerate(fields):
        if len(str((item or {}).get("text", ""))) > SECTION_FIELD_CHARS:
            problems.append(
                f"[ERROR] must be less than {SECTION_FIELD_CHARS + 1} characters "
                f"[json-pointer:{pointer}/fields/{n}/text]"
            )
    return problems


# -- pacing -------------------------------------------------------------------------------------


class ChannelPacing:
    """About one message a second per channel (a token bucket of `CHANNEL_BURST`); `enforce`
    is switched off only where a test is not about pacing."""

    def __init__(self, clock: Clock, *, enforce: bool = True) -> None:
        self._clock = clock
        self.enforce = enforce
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)

    def admit(self, channel: str) -> None:
        """Count one message to `channel`; SlackError `ratelimited` with Retry-After if over."""
        now = self._clock()
        tokens, at = self._buckets.get(channel, (float(CHANNEL_BURST), now))
        tokens = min(float(CHANNEL_BURST), tokens + (now - at) * CHANNEL_PER_SECOND)
        if tokens < 1.0 and self.enforce:
            wait = math.ceil((1.0 - tokens) / CHANNEL_PER_SECOND)
            self._buckets[channel] = (tokens, now)
            raise SlackError("ratelimited", retry_after=max(wait, 1))
        self._buckets[channel] = (max(tokens - 1.0, 0.0), now)


def monotonic() -> float:
    return time.monotonic()
