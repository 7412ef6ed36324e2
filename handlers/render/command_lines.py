"""The `/rtb` command lines buttons run (without `/rtb`): the read paths anyone can type.

A button carrying one runs it through the command table as if typed (handlers.command_buttons),
so a line here must parse as the command it names (tests check every one against the table).
"""

from __future__ import annotations


def logs_command(env: str, namespace: str, pod: str, container: str) -> str:
    """What a container wrote before its last restart (an OOMKill, a crash)."""
    return f"logs {env} {pod} --namespace {namespace} --container {container} --previous --tail 200"


def events_command(env: str, namespace: str, pod: str) -> str:
    return f"events {env} {pod} --namespace {namespace}"
