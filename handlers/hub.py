"""Command group: filled in by the investigate issue (placeholder so the table can list it)."""

from __future__ import annotations

from handlers.spec import Command

COMMANDS: tuple[Command, ...] = ()
