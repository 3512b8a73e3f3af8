// A real job queue on ember: BullMQ (Lua scripts by EVALSHA, MULTI with
// scripts inside, streams with XREAD BLOCK, blocking sorted-set pops),
// unchanged, against a running ember whose address is in EMBER_ADDR
// (host:port).
//
//   EMBER_ADDR=127.0.0.1:6379 node --test bullmq.test.mjs
//
// The Go test TestNodeBullMQ (tests/node_test.go) starts ember and runs
// this file. The scenario is bounded: short delays and backoffs, one
// deadline for everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, Worker, QueueEvents, FlowProducer } from 'bullmq';

const addr = process.env.EMBER_ADDR;
if (!addr) {
  throw new Error('set EMBER_ADDR=host:port to the ember server under test');
}
const sep = addr.lastIndexOf(':');
const connection = {
  host: addr.slice(0, sep),
  port: Number(addr.slice(sep + 1)),
  maxRetriesPerRequest: null, // BullMQ requires it for workers
  retryStrategy: () => null, // a dead server fails the test instead of hanging it
};

const DELAY_MS = 400;
const BACKOFF_MS = 100;
const ATTEMPTS = 3;
const NORMAL_JOBS = 5;
const DEADLINE_MS = 20_000;

// eventually resolves when cond() holds, polling; rejects at the deadline
// with what was last seen.
const eventually = async (what, cond, deadline) => {
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

test('BullMQ: normal, delayed, retried and flow jobs, counts, logs, QueueEvents', { timeout: DEADLINE_MS + 10_000 }, async () => {
  const deadline = Date.now() + DEADLINE_MS;
  const name = `q-${process.pid}-${Date.now().toString(36)}`;
  const queue = new Queue(name, { connection });
  // From the stream's start, so that no event can slip by before the first
  // XREAD BLOCK is parked.
  const events = new QueueEvents(name, { connection, lastEventId: '0-0' });
  const seen = { attempts: new Map(), completedEvents: new Map(), failedEvents: [], errors: [] };
  const flows = new FlowProducer({ connection });
  let worker;
  try {
    queue.on('error', (e) => seen.errors.push(`queue: ${e.message}`));
    events.on('error', (e) => seen.errors.push(`events: ${e.message}`));
    events.on('completed', ({ jobId, returnvalue }) => seen.completedEvents.set(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => seen.failedEvents.push({ jobId, failedReason }));
    await queue.waitUntilReady();
    await events.waitUntilReady();

    const normal = [];
    for (let i = 0; i < NORMAL_JOBS; i++) normal.push(await queue.add('normal', { i }));
    const delayed = await queue.add('delayed', { d: true }, { delay: DELAY_MS });
    const failing = await queue.add('failing', { f: true }, {
      attempts: ATTEMPTS,
      backoff: { type: 'fixed', delay: BACKOFF_MS },
    });
    // A flow (one MULTI holding the scripts that add a parent and its
    // children): the parent waits for both children.
    const flow = await flows.add({
      name: 'parent', queueName: name, data: {},
      children: [1, 2].map((v) => ({ name: 'child', queueName: name, data: { v } })),
    });
    const before = await queue.getJobCounts('wait', 'delayed', 'waiting-children');
    assert.deepEqual(before, { wait: NORMAL_JOBS + 3, delayed: 1, 'waiting-children': 1 });

    worker = new Worker(name, async (job) => {
      seen.attempts.set(job.id, (seen.attempts.get(job.id) ?? 0) + 1);
      if (job.name === 'failing') {
        await job.log(`attempt ${job.attemptsMade + 1}`);
        throw new Error(`boom ${job.attemptsMade + 1}`);
      }
      if (job.name === 'delayed') return { ranAfterMs: Date.now() - job.timestamp };
      if (job.name === 'child') return job.data.v * 10;
      if (job.name === 'parent') return Object.values(await job.getChildrenValues()).reduce((a, b) => a + b, 0);
      return { doubled: job.data.i * 2 };
    }, { connection, concurrency: 2 });
    worker.on('error', (e) => seen.errors.push(`worker: ${e.message}`));

    await eventually('every job to finish', async () => {
      const c = await queue.getJobCounts('completed', 'failed');
      return c.completed === NORMAL_JOBS + 4 && c.failed === 1;
    }, deadline);
    await eventually("QueueEvents' completed events", () => seen.completedEvents.size === NORMAL_JOBS + 4, deadline);

    assert.deepEqual(await queue.getJobCounts('completed', 'failed', 'delayed', 'wait', 'active', 'paused', 'waiting-children'),
      { completed: NORMAL_JOBS + 4, failed: 1, delayed: 0, wait: 0, active: 0, paused: 0, 'waiting-children': 0 });

    // Normal jobs: each ran once and stored its return value.
    for (const job of normal) {
      const done = await queue.getJob(job.id);
      assert.deepEqual(done.returnvalue, { doubled: job.data.i * 2 }, `job ${job.id} return value`);
      assert.equal(done.attemptsMade, 1, `job ${job.id} attempts`);
      assert.ok(await done.isCompleted());
      assert.deepEqual(seen.completedEvents.get(job.id), { doubled: job.data.i * 2 }, `completed event of ${job.id}`);
    }

    // The delayed job ran once, not before its delay. BullMQ promotes
    // delayed jobs due within the next millisecond (its scripts take
    // delayed scores up to (now + 1) * 0x1000 - 1), so 1 ms early is its
    // own behaviour, against Redis too.
    const ran = await queue.getJob(delayed.id);
    assert.equal(ran.attemptsMade, 1);
    assert.ok(ran.processedOn - ran.timestamp >= DELAY_MS - 1, `delayed job ran after ${ran.processedOn - ran.timestamp} ms`);
    assert.ok(ran.returnvalue.ranAfterMs >= DELAY_MS - 1);
    assert.deepEqual(seen.completedEvents.get(delayed.id), ran.returnvalue);

    // The failing job was tried ATTEMPTS times (backing off in the delayed
    // set between tries), then failed for good with its last error.
    const dead = await queue.getJob(failing.id);
    assert.equal(seen.attempts.get(failing.id), ATTEMPTS);
    assert.equal(dead.attemptsMade, ATTEMPTS);
    assert.equal(dead.failedReason, `boom ${ATTEMPTS}`);
    assert.ok(await dead.isFailed());
    assert.equal(dead.stacktrace.length, ATTEMPTS);
    assert.ok(dead.finishedOn - dead.timestamp >= (ATTEMPTS - 1) * BACKOFF_MS,
      `retries took ${dead.finishedOn - dead.timestamp} ms`);
    await eventually("QueueEvents' failed event", () => seen.failedEvents.length > 0, deadline);
    assert.deepEqual(seen.failedEvents, [{ jobId: failing.id, failedReason: `boom ${ATTEMPTS}` }]);
    // Its log, one line per attempt (read back in a MULTI: LRANGE, LLEN).
    assert.deepEqual(await queue.getJobLogs(failing.id),
      { logs: Array.from({ length: ATTEMPTS }, (_, i) => `attempt ${i + 1}`), count: ATTEMPTS });

    // The flow: children first, then the parent with their values.
    const parent = await queue.getJob(flow.job.id);
    assert.equal(parent.returnvalue, 30);
    for (const child of flow.children) {
      const c = await queue.getJob(child.job.id);
      assert.ok(c.finishedOn <= parent.processedOn, 'a child finished after its parent started');
    }
    assert.equal(seen.completedEvents.get(flow.job.id), 30);

    // The lists BullMQ keeps agree with the counts.
    assert.deepEqual((await queue.getCompleted()).map((j) => j.id).sort(),
      [...normal, delayed, flow.job, ...flow.children.map((c) => c.job)].map((j) => j.id).sort());
    assert.deepEqual((await queue.getFailed()).map((j) => j.id), [failing.id]);
    assert.deepEqual(seen.errors, []);
  } finally {
    await worker?.close();
    await flows.close();
    await events.close();
    await queue.close();
  }
});
