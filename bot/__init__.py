"""rtb-ops-bot: entry points and wiring (CLI, settings, app factory, console, sandbox)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rtb-ops-bot")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+checkout"
