"""`/rtb help` and `/rtb ping`."""

from __future__ import annotations

from handlers.context import CommandCall
from handlers.parse import unknown_verb
from handlers.render.general import render_command_help, render_help, render_ping
from handlers.render.message import Message
from handlers.spec import Arg, Command, text_arg
from ops import health


async def run_help(call: CommandCall) -> Message:
    """With a verb: that command's usage; with a family's first word (`preview`, `queue`):
    the commands of that family; without: every command, grouped."""
    verb = " ".join((call.values["command"] or "").lower().split())
    if not verb:
        return render_help(call.table.values())
    if verb in call.table:
        return render_command_help(call.table[verb])
    family = [c for c in call.table.values() if c.verb.split()[0] == verb]
    if family:
        return render_help(family)
    raise unknown_verb(verb, call.table)


async def run_ping(call: CommandCall) -> Message:
    report = await health.ping(call.deps.backends, call.deps.version)
    return render_ping(report)


COMMANDS = (
    Command(
        "help",
        "List the commands, or explain one.",
        run_help,
        args=(
            Arg(
                "command",
                "a command, e.g. `status` or `queue pause`",
                text_arg(40),
                optional=True,
                rest=True,
            ),
        ),
        examples=("/rtb help", "/rtb help pods"),
        light=True,
    ),
    Command(
        "ping",
        "Bot version and, per env, whether each backend is configured and reachable.",
        run_ping,
    ),
)
