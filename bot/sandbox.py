"""`rtb-bot sandbox`: the console's local sandbox on its own, until interrupted."""

from __future__ import annotations

import contextlib
import signal
import threading


def run_sandbox_forever() -> int:
    from sandbox.stack import SandboxStack

    stop = threading.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):  # Ctrl-C: KeyboardInterrupt below
        signal.signal(stop_signal, lambda *_: stop.set())
    with SandboxStack() as stack:
        print(stack.describe(), flush=True)
        print(
            "\nSandbox running. Export the settings above, then e.g. "
            "`rtb-bot serve --http --port 3000` or `rtb-bot shell`. Ctrl-C stops it.",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0
