// A session store against ember: express-session with connect-redis on
// node-redis, as web applications use Redis for sessions. Run against a
// running ember whose address is in EMBER_ADDR (host:port):
//
//   EMBER_ADDR=127.0.0.1:6379 node --test session.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';

const addr = process.env.EMBER_ADDR;
if (!addr) {
  throw new Error('set EMBER_ADDR=host:port to the ember server under test');
}

// cb adapts a callback-style store method to a promise.
const cb = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

test('express-session with connect-redis keeps sessions in ember', async () => {
  const client = createClient({ url: `redis://${addr}` });
  await client.connect();
  const prefix = `sess-${process.pid}-${Date.now().toString(36)}:`;
  const store = new RedisStore({ client, prefix });
  const app = express();
  app.use(session({
    store, secret: 'ember-test', resave: false, saveUninitialized: false,
    cookie: { maxAge: 30_000 },
  }));
  app.get('/inc', (req, res) => {
    req.session.n = (req.session.n ?? 0) + 1;
    res.json({ n: req.session.n });
  });
  app.get('/bye', (req, res) => req.session.destroy((err) => res.json({ ok: !err })));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}`;
  const keys = () => client.keys(`${prefix}*`);
  try {
    // A new visitor gets a session cookie; the session lives in ember.
    let r = await fetch(`${base}/inc`);
    assert.equal((await r.json()).n, 1);
    const cookie = r.headers.get('set-cookie').split(';')[0];
    for (const want of [2, 3]) {
      r = await fetch(`${base}/inc`, { headers: { cookie } });
      assert.equal((await r.json()).n, want);
    }
    const [key] = await keys();
    assert.ok(key, 'no session key under the prefix');
    const stored = JSON.parse(await client.get(key));
    assert.equal(stored.n, 3);
    const ttl = await client.ttl(key);
    assert.ok(ttl > 0 && ttl <= 30, `session TTL ${ttl}, want (0, 30] from cookie.maxAge`);

    // A second visitor has a session of its own.
    r = await fetch(`${base}/inc`);
    assert.equal((await r.json()).n, 1);
    assert.equal((await keys()).length, 2);
    assert.equal(await cb((done) => store.length(done)), 2);
    const all = await cb((done) => store.all(done));
    assert.deepEqual(all.map((s) => s.n).sort(), [1, 3]);

    // Logging out destroys the session; clear removes the rest (SCAN + DEL).
    r = await fetch(`${base}/bye`, { headers: { cookie } });
    assert.equal((await r.json()).ok, true);
    assert.equal((await keys()).length, 1);
    r = await fetch(`${base}/inc`, { headers: { cookie } });
    assert.equal((await r.json()).n, 1, 'a destroyed session came back');
    await cb((done) => store.clear(done));
    assert.equal((await keys()).length, 0);
  } finally {
    server.close();
    await client.quit();
  }
});
