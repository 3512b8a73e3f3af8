// ember's Node.js client suite: node-redis and ioredis, unchanged, against a
// running ember whose address is in EMBER_ADDR (host:port).
//
//   EMBER_ADDR=127.0.0.1:6379 node --test clients.test.mjs
//
// The Go test TestNodeClients (tests/node_test.go) starts ember and runs
// this file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import Redis from 'ioredis';

const addr = process.env.EMBER_ADDR;
if (!addr) {
  throw new Error('set EMBER_ADDR=host:port to the ember server under test');
}
const sep = addr.lastIndexOf(':');
const host = addr.slice(0, sep);
const port = Number(addr.slice(sep + 1));

const KEYS = 1000;
// A per-run prefix keeps reruns against the same server independent.
const run = `${process.pid}.${Date.now().toString(36)}`;
const nr = (k) => `nr:${run}:${k}`;
const io = (k) => `io:${run}:${k}`;
const range = (n) => Array.from({ length: n }, (_, i) => i);

// parseInfo reads INFO text into { Section: { field: value } }, the way
// monitoring code built on these clients reads it.
const parseInfo = (text) => {
  const out = {};
  let cur;
  for (const line of String(text).split('\r\n')) {
    if (line.startsWith('# ')) out[line.slice(2)] = cur = {};
    else if (line) {
      const i = line.indexOf(':');
      assert.ok(i > 0 && cur, `bad INFO line ${JSON.stringify(line)}`);
      cur[line.slice(0, i)] = line.slice(i + 1);
    }
  }
  return out;
};

describe('node-redis', { timeout: 60_000 }, () => {
  let client;
  before(async () => {
    client = createClient({ url: `redis://${addr}`, socket: { reconnectStrategy: false } });
    client.on('error', () => {}); // failures surface through the awaited calls
    await client.connect();
  });
  after(async () => {
    await client?.close();
  });

  test('SET with EX, GET, TTL', async () => {
    assert.equal(await client.set(nr('greeting'), 'hello', { expiration: { type: 'EX', value: 100 } }), 'OK');
    assert.equal(await client.get(nr('greeting')), 'hello');
    const ttl = await client.ttl(nr('greeting'));
    assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
    assert.equal(await client.get(nr('missing')), null);
  });

  test('MGET', async () => {
    await client.set(nr('a'), '1');
    await client.set(nr('b'), '2');
    assert.deepEqual(await client.mGet([nr('a'), nr('missing'), nr('b')]), ['1', null, '2']);
  });

  test('INCR', async () => {
    assert.equal(await client.incr(nr('counter')), 1);
    assert.equal(await client.incr(nr('counter')), 2);
    await assert.rejects(client.incr(nr('greeting')), /ERR value is not an integer or out of range/);
  });

  test(`SCAN iterator over ${KEYS} keys`, async () => {
    const setter = client.multi();
    for (const i of range(KEYS)) setter.set(nr(`scan:${i}`), String(i));
    await setter.execAsPipeline();
    const seen = new Set();
    for await (const keys of client.scanIterator({ MATCH: nr('scan:*'), COUNT: 100 })) {
      for (const k of keys) seen.add(k);
    }
    assert.equal(seen.size, KEYS);
    for (const i of range(KEYS)) assert.ok(seen.has(nr(`scan:${i}`)), `${nr(`scan:${i}`)} not scanned`);
  });

  test(`pipeline of ${KEYS} commands`, async () => {
    const pipe = client.multi();
    for (let i = 0; i < KEYS; i++) pipe.incr(nr('pipe'));
    assert.deepEqual(await pipe.execAsPipeline(), range(KEYS).map((i) => i + 1));
  });

  test('RESP3 (HELLO 3)', async () => {
    const c3 = createClient({ url: `redis://${addr}`, RESP: 3, socket: { reconnectStrategy: false } });
    c3.on('error', () => {});
    await c3.connect();
    try {
      assert.equal(await c3.set(nr('r3'), 'v'), 'OK');
      assert.equal(await c3.get(nr('r3')), 'v');
      assert.equal(await c3.get(nr('missing')), null);
      assert.deepEqual(await c3.mGet([nr('r3'), nr('missing')]), ['v', null]);
      // INFO comes as a verbatim string in RESP3: the same text.
      const info = parseInfo(await c3.info('server'));
      assert.equal(info.Server.redis_version, '7.2.4');
    } finally {
      await c3.close();
    }
  });

  test('INFO everything', async () => {
    await client.set(nr('info'), 'v');
    const info = parseInfo(await client.info('everything'));
    for (const s of ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules',
      'Commandstats', 'Errorstats', 'Latencystats', 'Cluster', 'Keyspace']) {
      assert.ok(info[s], `section ${s} missing`);
    }
    assert.equal(info.Server.redis_version, '7.2.4');
    assert.ok(Number(info.Stats.total_commands_processed) > 0);
    assert.ok(Number(info.Memory.used_memory) > 0);
    assert.match(info.Commandstats.cmdstat_set, /^calls=\d+,usec=\d+,usec_per_call=\d+\.\d{2},rejected_calls=0,failed_calls=0$/);
    assert.match(info.Latencystats.latency_percentiles_usec_set, /^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
    assert.match(info.Keyspace.db0, /^keys=\d+,expires=\d+,avg_ttl=\d+$/);
  });
});

describe('ioredis', { timeout: 60_000 }, () => {
  let redis;
  before(async () => {
    redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    await redis.connect();
  });
  after(() => {
    redis?.disconnect();
  });

  test('SET with EX, GET, TTL', async () => {
    assert.equal(await redis.set(io('greeting'), 'hello', 'EX', 100), 'OK');
    assert.equal(await redis.get(io('greeting')), 'hello');
    const ttl = await redis.ttl(io('greeting'));
    assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
    assert.equal(await redis.get(io('missing')), null);
  });

  test('MGET', async () => {
    await redis.set(io('a'), '1');
    await redis.set(io('b'), '2');
    assert.deepEqual(await redis.mget(io('a'), io('missing'), io('b')), ['1', null, '2']);
  });

  test('INCR', async () => {
    assert.equal(await redis.incr(io('counter')), 1);
    assert.equal(await redis.incr(io('counter')), 2);
    await assert.rejects(redis.incr(io('greeting')), /ERR value is not an integer or out of range/);
  });

  test(`scanStream over ${KEYS} keys`, async () => {
    const setter = redis.pipeline();
    for (const i of range(KEYS)) setter.set(io(`scan:${i}`), String(i));
    await setter.exec();
    const seen = new Set();
    for await (const keys of redis.scanStream({ match: io('scan:*'), count: 100 })) {
      for (const k of keys) seen.add(k);
    }
    assert.equal(seen.size, KEYS);
    for (const i of range(KEYS)) assert.ok(seen.has(io(`scan:${i}`)), `${io(`scan:${i}`)} not scanned`);
  });

  test(`pipeline of ${KEYS} commands`, async () => {
    const pipe = redis.pipeline();
    for (let i = 0; i < KEYS; i++) pipe.incr(io('pipe'));
    const replies = await pipe.exec();
    assert.deepEqual(replies, range(KEYS).map((i) => [null, i + 1]));
  });

  test('ready check and INFO', async () => {
    // ioredis's ready check parsed INFO on connect and found loading:0.
    assert.equal(redis.status, 'ready');
    const info = parseInfo(await redis.info());
    assert.equal(info.Server.redis_version, '7.2.4');
    assert.equal(info.Persistence.loading, '0');
    assert.ok(Number(info.Clients.connected_clients) >= 1);
  });
});
