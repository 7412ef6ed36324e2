#!/usr/bin/env node
// Adds jobs to a BullMQ queue in the states the interop tests ask for, then exits.
//
//   node producer.js REDIS_URL QUEUE SPEC_JSON
//
// SPEC_JSON, every key optional:
//   {"waiting": 5, "prioritized": 3, "delayed": 2, "failed": 4,
//    "failedReason": "upstream timeout", "delayMs": 3600000}
// "failed" jobs are added first (attempts: 1) and run by a worker whose processor throws
// new Error(failedReason); BullMQ stores err.message as the job's failedReason.
// Prints one JSON line: {"event":"produced","queue":...,"ids":{"waiting":[...],...}}.
'use strict';

const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');

const PREFIX = 'bull';
const FAIL_TIMEOUT_MS = 30000;

function parseArgs(argv) {
  if (argv.length !== 3) {
    throw new Error('usage: node producer.js REDIS_URL QUEUE SPEC_JSON');
  }
  const [url, queueName, specJson] = argv;
  return { url, queueName, spec: JSON.parse(specJson) };
}

function jobs(kind, count, opts) {
  return Array.from({ length: count }, (_, i) => ({
    name: `${kind}-${i + 1}`,
    data: { kind, i: i + 1 },
    opts: typeof opts === 'function' ? opts(i) : opts,
  }));
}

async function addFailed(connection, queue, count, reason) {
  if (count === 0) return [];
  let failed = 0;
  let done;
  const allFailed = new Promise((resolve) => { done = resolve; });
  const worker = new Worker(queue.name, async () => { throw new Error(reason); },
    { connection, prefix: PREFIX, concurrency: 1, autorun: false });
  worker.on('failed', () => { failed += 1; if (failed === count) done(); });
  const added = await queue.addBulk(jobs('failed', count, { attempts: 1 }));
  worker.run();
  const timer = setTimeout(() => done(new Error('failing worker timed out')), FAIL_TIMEOUT_MS);
  const error = await allFailed;
  clearTimeout(timer);
  await worker.close();
  if (error) throw error;
  return added;
}

async function main() {
  const { url, queueName, spec } = parseArgs(process.argv.slice(2));
  const connection = new IORedis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, prefix: PREFIX });
  try {
    const reason = spec.failedReason || 'upstream timeout';
    const delay = spec.delayMs || 3600000;
    const ids = {};
    ids.failed = await addFailed(connection, queue, spec.failed || 0, reason);
    ids.waiting = await queue.addBulk(jobs('waiting', spec.waiting || 0, {}));
    ids.prioritized = await queue.addBulk(
      jobs('prioritized', spec.prioritized || 0, (i) => ({ priority: i + 1 })));
    ids.delayed = await queue.addBulk(jobs('delayed', spec.delayed || 0, { delay }));
    for (const kind of Object.keys(ids)) ids[kind] = ids[kind].map((job) => job.id);
    process.stdout.write(`${JSON.stringify({ event: 'produced', queue: queueName, ids })}\n`);
  } finally {
    await queue.close();
    await connection.quit();
  }
}

main().then(
  () => process.exit(0),
  (err) => { process.stderr.write(`producer failed: ${err.stack || err}\n`); process.exit(1); },
);
