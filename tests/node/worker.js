#!/usr/bin/env node
// A BullMQ worker (concurrency 1) that completes every job after ~20 ms.
//
//   node worker.js REDIS_URL QUEUE
//
// stdout, one JSON line each: {"event":"ready"} once connected, then
// {"event":"completed","id":...,"name":...} per job, {"event":"closed"} after SIGTERM/SIGINT.
'use strict';

const { Worker } = require('bullmq');
const IORedis = require('ioredis');

const PREFIX = 'bull';
const WORK_MS = 20;

function emit(record) {
  // Writes to a pipe are synchronous in Node on Linux: each line is out when this returns.
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function main() {
  const [url, queueName] = process.argv.slice(2);
  if (!url || !queueName) throw new Error('usage: node worker.js REDIS_URL QUEUE');
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  const worker = new Worker(queueName, async () => { await sleep(WORK_MS); return { ok: true }; },
    { connection, prefix: PREFIX, concurrency: 1 });
  worker.on('completed', (job) => emit({ event: 'completed', id: job.id, name: job.name }));
  worker.on('failed', (job, err) => emit({ event: 'failed', id: job && job.id, reason: err.message }));
  worker.on('error', (err) => process.stderr.write(`worker error: ${err.stack || err}\n`));

  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await worker.close();
    await connection.quit();
    emit({ event: 'closed' });
    process.exit(0);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  await worker.waitUntilReady();
  emit({ event: 'ready' });
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${err.stack || err}\n`);
  process.exit(1);
});
