"""The small words the diagnose renderers share: lists of names, clocks, ratios, roles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from handlers.render.i18n import _, number
from ops.diagnose.findings import RoleRef


def listing(names: Sequence[str], last: Literal["and", "or"] = "and") -> str:
    """int · "int and stg" · "int, stg and prd" (`last`: "or" after a negation)."""
    names = list(names)
    if len(names) < 2:
        return "".join(names)
    items = ", ".join(names[:-1])
    if last == "or":
        return _("{items} or {last}", items=items, last=names[-1])
    return _("{items} and {last}", items=items, last=names[-1])


def clock(moment: datetime | None, timezone: str) -> str:
    """14:08 in the team's time zone; "?" when the source gave no time."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M") if moment else "?"


def times(ratio: float) -> str:
    """16× (whole from ten on), 5.6× below."""
    return number(ratio, digits=0 if ratio >= 10 else 1) + "×"


def one_line(text: str, limit: int = 160) -> str:
    """A backend's text (a log message, an error) on one line, cut at `limit`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def role(target: RoleRef) -> str:
    """prd's rtb-hub-deployer; the ARN of a role in no configured account; an unknown role."""
    if target.env:
        return _("{env}'s {role}", env=target.env, role=target.role)
    return target.arn or _("an unknown role")


def caller(name: str) -> str:
    return name or _("an unknown caller")
