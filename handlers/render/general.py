"""Help, usage, errors and ping."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from slack_sdk.models.blocks import Block

from handlers.render.errors import error_text
from handlers.render.message import Message, context, escape, header, section, simple
from handlers.spec import Command
from ops.errors import BackendUnavailable, UserError
from ops.health import PingReport


def render_user_error(error: UserError) -> Message:
    # escaped: the message may echo what the user typed (`<!channel>` must stay text), and
    # usage lines hold `<env>`-style placeholders that Slack would otherwise read as links
    text = f":warning: {escape(error_text(error))}"
    if error.usage:
        text += f"\nUsage: `{escape(error.usage)}`"
    return simple(text, ephemeral=True)


def render_backend_unavailable(error: BackendUnavailable) -> Message:
    return simple(
        f":warning: *{escape(error.backend)}* is not answering: {escape(error.reason)}. "
        "Other commands still work; try again in a moment.",
        ephemeral=True,
    )


def render_internal_error(correlation_id: str) -> Message:
    return simple(
        f":x: Something went wrong on my side. Reference `{correlation_id}` "
        "(the details are in the bot's log under that id).",
        ephemeral=True,
    )


def render_help(commands: Iterable[Command]) -> Message:
    blocks: list[Block] = [header("rtb-ops-bot: the rtb-ai-hub runbook in Slack")]
    ordered = sorted(commands, key=lambda c: c.group)
    for group, members in groupby(ordered, key=lambda c: c.group):
        lines = [f"`/rtb {c.verb}`{' :lock:' if c.mutating else ''} — {c.summary}" for c in members]
        blocks.append(section(f"*{group}*\n" + "\n".join(lines)))
    blocks.append(
        context(
            ":lock: changes something (goes through the policy gate). "
            "`/rtb help <command>` shows its arguments."
        )
    )
    return Message(text="rtb-ops-bot commands", blocks=tuple(blocks), ephemeral=True)


def render_command_help(command: Command) -> Message:
    lines = [f"*/rtb {command.verb}* — {command.summary}", f"`{escape(command.usage())}`"]
    lines += [f"• `&lt;{a.name}&gt;` {a.help}" for a in command.args]
    lines += [f"• `--{f.name}` {f.help}" for f in command.flags]
    if command.examples:
        lines.append("Examples: " + ", ".join(f"`{e}`" for e in command.examples))
    return simple("\n".join(lines), ephemeral=True)


def render_ping(report: PingReport) -> Message:
    rows = [
        f"{_mark(c.reachable, c.configured)} *{c.name}* — {escape(c.detail)}" for c in report.checks
    ]
    # a backend left out of the config is shown (white) but does not make the bot unhealthy
    healthy = all(c.reachable for c in report.checks if c.configured)
    summary = "all configured backends reachable" if healthy else "some backends are not reachable"
    # the first line's mark is the rows' verdict (a decorative emoji, which a text rendering
    # drops, left that line starting with a space)
    return Message(
        text=f"pong — rtb-ops-bot {report.version}: {summary}",
        blocks=(
            section(f"{_mark(healthy, True)} *pong* — rtb-ops-bot `{report.version}`: {summary}"),
            section("\n".join(rows)),
        ),
    )


def _mark(reachable: bool, configured: bool) -> str:
    if reachable:
        return ":large_green_circle:"
    return ":red_circle:" if configured else ":white_circle:"
