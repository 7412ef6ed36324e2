"""Injected faults: matched in order on (method, path regex), consumed per hit."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    method: str  # "GET", "PATCH", ... or "*"
    path: re.Pattern[str]  # searched in the request path (no query string)
    status: int | None  # None: answer normally, only `delay` later
    delay: float
    count: int | None  # hits left; None: forever
    hold: threading.Event | None = None  # the request waits until the test sets it

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and bool(self.path.search(path))


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        method: str,
        path_regex: str,
        status: int | None,
        delay: float,
        count: int | None,
        hold: threading.Event | None = None,
    ) -> None:
        fault = Fault(method.upper(), re.compile(path_regex), status, delay, count, hold)
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        fault = next((f for f in self._faults if f.matches(method, path)), None)
        if fault is not None and fault.count is not None:
            fault.count -= 1
            if fault.count <= 0:
                self._faults.remove(fault)
        return fault
