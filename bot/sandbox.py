"""`rtb-bot sandbox`: the console's local sandbox on its own, until interrupted."""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path


def run_sandbox_forever(env_file: str | None = None) -> int:
    """`env_file`: where to write the `export` lines too (`. F` in another shell)."""
    from sandbox.stack import SandboxStack

    stop = threading.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):  # Ctrl-C: KeyboardInterrupt below
        signal.signal(stop_signal, lambda *_: stop.set())
    with SandboxStack() as stack:
        print(stack.describe(), flush=True)
        if env_file is not None:
            Path(env_file).write_text("\n".join(stack.export_lines()) + "\n", encoding="utf-8")
            print(f"\nThe environment is in {env_file}: `. {env_file}` in another shell.")
        print(
            "\nSandbox running. Paste the export lines above, then e.g. "
            "`rtb-bot serve --http --port 3000` or `rtb-bot shell`. Ctrl-C stops it.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0
