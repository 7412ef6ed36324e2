"""Issue 3 benchmark: `/rtb queues` (ops.queues.all_queue_counts) over 20 queues, 1M jobs.

    .venv/bin/python bench/queues.py        # about 10 s; prints Markdown, exits

A throwaway Redis (sandbox.servers.RedisServer) holds 20 queues of 50,000 jobs in BullMQ's
layout (`wait` lists, the `prioritized` zset, the `delayed` zset, one job hash each): 60 %
waiting, 30 % prioritized, 10 % delayed, one queue paused. The first 2,500 jobs of each queue
go through bullmq's own `addBulk`; the rest are server-side writes (one Lua call per 10,000
jobs) of the same keys and fields (addBulk alone takes ~2 minutes for 1M jobs on this machine),
checked to read back like the sample.

Then the op behind `/rtb queues` runs as the bot runs it (one shared client, the `BullQueues`
adapter with its Queue objects cached): the first call (Queue objects built, Lua scripts
loaded into Redis, connections opened) and `RUNS` warm calls. Redis' own time comes from
`INFO commandstats` (usec spent in the commands the calls sent, the ones the Lua script runs
included).
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from bullmq import Queue

from ops.backends.queues import BullQueues
from ops.backends.redis_client import connect_redis
from ops.queues import all_queue_counts
from sandbox.servers import RedisServer

QUEUES = tuple(f"queue-{n:02d}" for n in range(20))
JOBS_PER_QUEUE = 50_000
REAL_PER_QUEUE = 2_500  # through bullmq addBulk; the rest mirrors what it writes
CHUNK = 2_500
RAW_CHUNK = 10_000
JOB_NAME = "jira-auto-dev"
RUNS = 50
TARGET_MS = 50.0


def plan(n: int) -> dict[str, int]:
    """Job options by position: 60 % waiting, 30 % prioritized (1–5), 10 % delayed (1 h)."""
    slot = n % 10
    if slot < 6:
        return {}
    if slot < 9:
        return {"priority": 1 + n % 5}
    return {"delay": 3_600_000}


async def fill(url: str) -> float:
    """A real bullmq `addBulk` sample in every queue, then the rest written the same way."""
    started = time.perf_counter()
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        queues = {name: Queue(name, {"connection": client, "prefix": "bull"}) for name in QUEUES}
        await asyncio.gather(*(add_bulk(queue, 0, REAL_PER_QUEUE) for queue in queues.values()))
        for name in QUEUES:
            await write_like_bullmq(client, name, REAL_PER_QUEUE, JOBS_PER_QUEUE)
        await queues[QUEUES[3]].pause()
        await check_layout(queues[QUEUES[0]])
    finally:
        await client.aclose()
    return time.perf_counter() - started


async def add_bulk(queue: Queue, start: int, end: int) -> None:
    for first in range(start, end, CHUNK):
        await queue.addBulk(
            [
                {"name": JOB_NAME, "data": job_data(n), "opts": plan(n)}
                for n in range(first, min(first + CHUNK, end))
            ]
        )


def job_data(n: int) -> dict[str, str]:
    return {"issueKey": f"PROJ-{n}"}


# Bench setup only: what bullmq's addStandardJob / addPrioritizedJob / addDelayedJob scripts
# write for a job (its hash; `wait` LPUSH; `prioritized` score priority·2^32 + `pc`; `delayed`
# score (timestamp + delay)·0x1000 + id&0xfff), run server-side for a chunk of jobs at once.
# The job plan is `plan()`'s: n % 10 < 6 waiting, < 9 priority 1 + n % 5, else delayed 1 h.
WRITE_LIKE_BULLMQ = """
local prefix, first_n, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now, name = tonumber(ARGV[4]), ARGV[5]
local first_id = redis.call("INCRBY", prefix .. ":id", count) - count + 1
local pc = tonumber(redis.call("GET", prefix .. ":pc") or "0")
for i = 0, count - 1 do
  local id, n = first_id + i, first_n + i
  local slot, priority, delay = n % 10, 0, 0
  if slot >= 9 then delay = 3600000 elseif slot >= 6 then priority = 1 + n % 5 end
  local opts = '{"delay":' .. delay .. ',"attempts":0}'
  if priority > 0 then opts = '{"priority":' .. priority .. ',"delay":0,"attempts":0}' end
  redis.call("HSET", prefix .. ":" .. id, "name", name, "data",
    '{"issueKey":"PROJ-' .. n .. '"}', "opts", opts, "timestamp", now, "delay", delay,
    "priority", priority)
  if priority > 0 then
    pc = pc + 1
    redis.call("ZADD", prefix .. ":prioritized", priority * 4294967296 + pc, id)
  elseif delay > 0 then
    redis.call("ZADD", prefix .. ":delayed", (now + delay) * 4096 + id % 4096, id)
  else
    redis.call("LPUSH", prefix .. ":wait", id)
  end
end
redis.call("SET", prefix .. ":pc", pc)
return count
"""


async def write_like_bullmq(client: aioredis.Redis, name: str, start: int, end: int) -> None:
    write = client.register_script(WRITE_LIKE_BULLMQ)
    now_ms = int(time.time() * 1000)
    for first in range(start, end, RAW_CHUNK):
        count = min(RAW_CHUNK, end - first)
        await write(keys=[], args=[f"bull:{name}", first, count, now_ms, JOB_NAME])


async def check_layout(queue: Queue) -> None:
    """bullmq reads a job written above like one it added itself."""
    written = await queue.getJob(str(REAL_PER_QUEUE + 7))  # job n = REAL + 6: priority 2
    sample = await queue.getJob("7")  # n = 6: priority 2, added by bullmq
    assert written is not None and sample is not None
    assert (written.name, written.priority, written.opts) == (
        sample.name,
        sample.priority,
        sample.opts,
    )
    assert written.data == job_data(REAL_PER_QUEUE + 7 - 1)


async def redis_usec(client: aioredis.Redis) -> tuple[int, int]:
    """(calls, usec) of every command so far, from INFO commandstats."""
    stats = await client.info("commandstats")
    calls = sum(int(v["calls"]) for v in stats.values())
    usec = sum(int(v["usec"]) for v in stats.values())
    return calls, usec


async def measure(url: str) -> dict[str, float]:
    client = connect_redis(url, 5.0)
    bull = BullQueues(client, "bull")
    try:
        _, usec0 = await redis_usec(client)
        first, overview = await timed(lambda: all_queue_counts(bull, QUEUES))
        times = []
        calls1, usec1 = await redis_usec(client)
        for _ in range(RUNS):
            elapsed, overview = await timed(lambda: all_queue_counts(bull, QUEUES))
            times.append(elapsed)
        calls2, usec2 = await redis_usec(client)
    finally:
        await client.aclose()
    total = sum(q.pending + q.delayed for q in overview.queues)
    assert total == len(QUEUES) * JOBS_PER_QUEUE, total
    assert overview.paused == (QUEUES[3],)
    times.sort()
    return {
        "jobs": total,
        "waiting": overview.pending,
        "first_ms": first * 1000,
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(0.95 * (len(times) - 1))] * 1000,
        "max_ms": times[-1] * 1000,
        # the INFO calls themselves are in the counts: one each, negligible
        "first_redis_ms": (usec1 - usec0) / 1000,
        "redis_ms": (usec2 - usec1) / 1000 / RUNS,
        "commands": (calls2 - calls1 - 1) / RUNS,
    }


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


async def main() -> int:
    logging.disable(logging.WARNING)
    started = time.monotonic()
    with RedisServer() as server:
        fill_s = await fill(server.url)
        result = await measure(server.url)
        memory = (await redis_info_memory(server.url)) / 2**20
    print_table(result, fill_s, memory, time.monotonic() - started)
    return 0 if result["median_ms"] < TARGET_MS else 1


async def redis_info_memory(url: str) -> int:
    client = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        return int((await client.info("memory"))["used_memory"])
    finally:
        await client.aclose()


def print_table(r: dict[str, float], fill_s: float, memory_mb: float, elapsed: float) -> None:
    ok = "yes" if r["median_ms"] < TARGET_MS else "**NO**"
    print(
        f"### `/rtb queues` backend time: {len(QUEUES)} queues, {int(r['jobs']):,} jobs "
        f"({int(r['waiting']):,} waiting the BullMQ way, 1 queue paused)\n"
    )
    print("| measurement | value |")
    print("|---|---:|")
    print(f"| first call (20 Queue objects built, Lua loaded), ms | {r['first_ms']:.1f} |")
    print(f"| warm call, median of {RUNS}, ms | {r['median_ms']:.1f} |")
    print(f"| warm call, p95, ms | {r['p95_ms']:.1f} |")
    print(f"| warm call, max, ms | {r['max_ms']:.1f} |")
    print(f"| Redis time inside a warm call (INFO commandstats), ms | {r['redis_ms']:.2f} |")
    print(f"| Redis commands per warm call (incl. inside the Lua script) | {r['commands']:.0f} |")
    print(f"| target: warm median under {TARGET_MS:.0f} ms | {ok} |")
    print(
        f"\nFill: {int(r['jobs']):,} jobs ({len(QUEUES) * REAL_PER_QUEUE:,} through bullmq "
        f"addBulk) in {fill_s:.0f} s; Redis "
        f"used_memory {memory_mb:,.0f} MiB. {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, bench ran {elapsed:.0f} s."
    )


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
