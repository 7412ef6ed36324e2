"""`/sandbox pagerduty …`: the fake PagerDuty refuses pages on purpose, or shows what it got.

/sandbox pagerduty down          every event answered 503 until `up` (the bot retries)
/sandbox pagerduty up
/sandbox pagerduty fail 429 [n]  the next n events (default 1) answered 429 (or 500…)
/sandbox pagerduty events        what PagerDuty accepted: action, dedup key, summary
"""

from __future__ import annotations

from sandbox.fake_pagerduty import FakePagerDuty
from sandbox.verbs import Verb, VerbContext

USAGE = "down|up|fail <429|500|502|503|504> [times]|events"
FAULT_STATUSES = (429, 500, 502, 503, 504)
MAX_TIMES = 100


async def pagerduty(context: VerbContext, words: list[str]) -> str:
    fake = context.stack.pagerduty
    what = words[0] if words else ""
    if what == "down" and len(words) == 1:
        fake.down()
        return "PagerDuty now answers every event 503 (`/sandbox pagerduty up` to end it)"
    if what == "up" and len(words) == 1:
        fake.up()
        return "PagerDuty answers again"
    if what == "events" and len(words) == 1:
        return describe_events(fake)
    if what == "fail":
        return _fail(fake, words[1:])
    return f"usage: /sandbox pagerduty {USAGE}"


def _fail(fake: FakePagerDuty, words: list[str]) -> str:
    status = int(words[0]) if words and words[0].isdigit() else None
    times = int(words[1]) if len(words) == 2 and words[1].isdigit() else None
    if status not in FAULT_STATUSES or len(words) > 2 or (len(words) == 2 and times is None):
        return f"usage: /sandbox pagerduty fail <{'|'.join(map(str, FAULT_STATUSES))}> [times]"
    count = min(times or 1, MAX_TIMES)
    assert status is not None
    fake.fail(status, count)
    return f"PagerDuty answers the next {count} event(s) {status}"


def describe_events(fake: FakePagerDuty) -> str:
    if not fake.events:
        return f"PagerDuty received no event ({fake.requests} request(s) refused or failed)"
    lines = [f"PagerDuty accepted {len(fake.events)} event(s):"]
    for event in fake.events:
        state = fake.alerts.get(event.dedup_key, "-")
        summary = f": {event.summary}" if event.summary else ""
        lines.append(f"  {event.action} {event.dedup_key} (now {state}){summary}")
    return "\n".join(lines)


PAGERDUTY_VERBS = (
    Verb("pagerduty", USAGE, "PagerDuty down/up, fail the next events, or list them", pagerduty),
)
