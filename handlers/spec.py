"""The shape of a command table entry: data, from which parsing, help and usage are derived."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from handlers.render.i18n import N_
from ops.errors import UserError

if TYPE_CHECKING:
    from handlers.context import CommandCall
    from handlers.render.message import Message

Runner = Callable[["CommandCall"], Awaitable["Message"]]
Parser = Callable[[str], Any]

_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DURATION = re.compile(r"^(\d{1,4})([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class InvalidValue(ValueError):
    """A parser's refusal as data: an English msgid marked with `N_` and its placeholders,
    worded in the reader's language where it is shown (`handlers.parse`). Other parsers may
    raise a plain ValueError with a marked msgid and no placeholders."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message)
        self.message, self.params = message, params


def kube_name(text: str) -> str:
    """A DNS-1123 label (namespace, deployment, pod names)."""
    if len(text) > 63 or not _DNS1123.match(text):
        raise InvalidValue(
            N_("must be a Kubernetes name: lowercase letters, digits and '-', at most 63")
        )
    return text


def duration(text: str) -> timedelta:
    """30m, 1h, 24h, 7d …"""
    match = _DURATION.match(text)
    if not match:
        raise InvalidValue(N_("must be a duration like 30m, 1h, 24h or 7d"))
    seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
    if not 0 < seconds <= 90 * 86400:
        raise InvalidValue(N_("must be more than 0 and at most 90d"))
    return timedelta(seconds=seconds)


def bounded_int(low: int, high: int) -> Parser:
    def parse(text: str) -> int:
        if not re.fullmatch(r"-?\d{1,9}", text):
            raise InvalidValue(N_("must be a whole number"))
        value = int(text)
        if not low <= value <= high:
            raise InvalidValue(N_("must be between {low} and {high}"), low=low, high=high)
        return value

    return parse


@dataclass(frozen=True)
class Choice:
    """A parser that takes one of `options`; the options are data (the console completes them)."""

    options: tuple[str, ...]
    any_case: bool = False  # `ERROR` is `error` (the options are written lowercase)

    def __call__(self, text: str) -> Any:  # a Parser (some callers read it as a Literal)
        text = text.lower() if self.any_case else text
        if text not in self.options:
            raise InvalidValue(N_("must be one of: {options}"), options=", ".join(self.options))
        return text


def choice(*options: str, any_case: bool = False) -> Choice:
    return Choice(options, any_case)


def text_arg(max_length: int = 500) -> Parser:
    def parse(text: str) -> str:
        if len(text) > max_length:
            raise InvalidValue(N_("must be at most {n} characters"), n=max_length)
        return text

    return parse


ENV = choice("int", "stg", "prd")


@dataclass(frozen=True)
class Arg:
    """A positional argument."""

    name: str
    help: str
    parse: Parser = text_arg()
    optional: bool = False
    default: Any = None
    rest: bool = False  # takes every remaining word (free text)

    def usage(self) -> str:
        text = f"<{self.name}>" + ("…" if self.rest else "")
        return f"[{text}]" if self.optional else text


@dataclass(frozen=True)
class Flag:
    """`--name value`, or `--name` alone when `is_switch`."""

    name: str
    help: str
    parse: Parser = text_arg()
    default: Any = None
    is_switch: bool = False
    metavar: str = "value"

    def usage(self) -> str:
        return f"[--{self.name}]" if self.is_switch else f"[--{self.name} {self.metavar}]"


@dataclass(frozen=True)
class Command:
    """One `/rtb <verb>` (or `/rtb <verb> <sub>`) entry of the command table."""

    verb: str
    summary: str
    run: Runner
    args: tuple[Arg, ...] = ()
    flags: tuple[Flag, ...] = ()
    mutating: bool = False
    # answers from the table, the config or the bot's own database (help, whoami, policy):
    # runs at once instead of taking a turn behind fan-outs to slow backends
    light: bool = False
    group: str = "General"
    examples: tuple[str, ...] = field(default=())

    def usage(self) -> str:
        parts = [
            f"/rtb {self.verb}",
            *(a.usage() for a in self.args),
            *(f.usage() for f in self.flags),
        ]
        return " ".join(parts)

    def usage_error(self, message: str) -> UserError:
        return UserError(message, usage=self.usage())
