"""The sandbox's Slack users by name, handed to a second console through the environment:
`rtb-bot sandbox` exports `RTB_CONSOLE_USERS=viewer1=UVIEWER1,…` and `rtb-bot shell` reads it,
so `operator1>` there is the sandbox's operator, not an unknown id the policy treats as a viewer."""

from __future__ import annotations

from collections.abc import Mapping

CONSOLE_USERS_VARIABLE = "RTB_CONSOLE_USERS"


def format_users(users: Mapping[str, str]) -> str:
    return ",".join(f"{name}={user_id}" for name, user_id in users.items())


def parse_users(text: str) -> dict[str, str]:
    """Malformed pairs are skipped (the console then refuses those names with the list)."""
    pairs = (item.partition("=") for item in text.split(",") if item.strip())
    return {name.strip(): user_id.strip() for name, eq, user_id in pairs if eq and name.strip()}
