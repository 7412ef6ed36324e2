"""Paging benchmark: what a page costs the caller (the incident intake, the escalation job).

    .venv/bin/python bench/paging.py          # a few seconds; prints Markdown, exits

Against the sandbox's fake PagerDuty Events API (sandbox/fake_pagerduty.py, same machine, in a
thread of this process), through the bot's own client (ops/backends/pagerduty.py) and
`ops.paging.send_page`, one aiohttp session as in the bot:

* **Trigger round trip**: 500 triggers one after the other, p50/p99/max.
* **50 at once**: 50 triggers started together (an alarm storm paging 50 alarms), the time
  until all are answered.
* **PagerDuty down**: the time a caller waits for `unavailable` with the default retries (3
  attempts, 1 s then 2 s between them): the page's cost to a caller that awaits it.
The fake answers at once, so the numbers are the bot's side plus loopback HTTP; the real
PagerDuty adds its own latency. The load average is printed: a busy machine inflates them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import statistics
import time

import structlog

from ops.backends.pagerduty import PagerDutyEvents
from ops.paging import PageRequest, send_page
from sandbox.fake_pagerduty import FakePagerDuty

KEY = "benchroutingkey00000000000000000"
SEQUENTIAL = 500
AT_ONCE = 50


def request(n: int) -> PageRequest:
    return PageRequest(f"bench-alarm-{n % 50}", "trigger", f"bench alarm {n}")


async def sequential(client: PagerDutyEvents) -> list[float]:
    took = []
    for n in range(SEQUENTIAL):
        start = time.perf_counter()
        result = await send_page(client, request(n))
        took.append((time.perf_counter() - start) * 1000)
        assert result.sent
    return took


async def at_once(client: PagerDutyEvents) -> float:
    start = time.perf_counter()
    results = await asyncio.gather(*(send_page(client, request(n)) for n in range(AT_ONCE)))
    assert all(r.sent for r in results)
    return (time.perf_counter() - start) * 1000


async def down(fake: FakePagerDuty) -> tuple[float, int]:
    fake.down()
    client = PagerDutyEvents(fake.events_url, KEY)  # the defaults: 3 attempts, 1 s, 2 s
    try:
        start = time.perf_counter()
        result = await send_page(client, request(0))
        return time.perf_counter() - start, result.attempts
    finally:
        fake.up()
        await client.close()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def main() -> None:
    # one log line per page would be most of what this measures
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    fake = FakePagerDuty()
    fake.start()
    client = PagerDutyEvents(fake.events_url, KEY)
    try:
        await send_page(client, request(0))  # warm the session
        print(f"load average before: {os.getloadavg()}")
        took = await sequential(client)
        storm = await at_once(client)
        outage, attempts = await down(fake)
        print(f"load average after: {os.getloadavg()}\n")
        print("| measure | value |\n|---|---|")
        print(f"| trigger round trip p50 ({SEQUENTIAL} in a row) | {percentile(took, 50):.2f} ms |")
        print(f"| trigger round trip p99 | {percentile(took, 99):.2f} ms |")
        print(f"| trigger round trip max | {max(took):.2f} ms |")
        print(f"| {AT_ONCE} triggers at once, all answered | {storm:.1f} ms |")
        print(f"| PagerDuty down: `unavailable` after {attempts} attempts | {outage:.2f} s |")
    finally:
        await client.close()
        fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
