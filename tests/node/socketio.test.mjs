// socket.io's Redis adapter against ember: two socket.io servers share
// rooms and broadcasts over ember's pub/sub, as a horizontally scaled
// real-time app does. Run against a running ember whose address is in
// EMBER_ADDR (host:port):
//
//   EMBER_ADDR=127.0.0.1:6379 node --test socketio.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

const addr = process.env.EMBER_ADDR;
if (!addr) {
  throw new Error('set EMBER_ADDR=host:port to the ember server under test');
}

// startNode starts one socket.io server with the Redis adapter; key names
// its channels so concurrent runs don't meet.
async function startNode(key) {
  const pub = createClient({ url: `redis://${addr}` });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub, { key }) });
  io.on('connection', (socket) => {
    socket.on('join', (room, ack) => { socket.join(room); ack('ok'); });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    io,
    url: `http://127.0.0.1:${http.address().port}`,
    async close() {
      io.close();
      await Promise.all([pub.quit(), sub.quit()]);
    },
  };
}

// nextEvent resolves with the next payload of event on socket.
const nextEvent = (socket, event) => new Promise((resolve) => socket.once(event, resolve));

test('socket.io redis adapter broadcasts across servers through ember', async () => {
  const key = `sio-${process.pid}-${Date.now().toString(36)}`;
  const a = await startNode(key);
  const b = await startNode(key);
  const clients = [];
  try {
    const ca = connect(a.url, { transports: ['websocket'] });
    const cb = connect(b.url, { transports: ['websocket'] });
    const cc = connect(b.url, { transports: ['websocket'] });
    clients.push(ca, cb, cc);
    await Promise.all(clients.map((c) => once(c, 'connect')));

    // A broadcast on server a reaches the clients of server b.
    const got = Promise.all([nextEvent(ca, 'news'), nextEvent(cb, 'news'), nextEvent(cc, 'news')]);
    a.io.emit('news', { n: 1 });
    assert.deepEqual(await got, [{ n: 1 }, { n: 1 }, { n: 1 }]);

    // Rooms: only members of "lobby" (one per server) get the room's message.
    assert.equal(await ca.emitWithAck('join', 'lobby'), 'ok');
    assert.equal(await cb.emitWithAck('join', 'lobby'), 'ok');
    let strayed = false;
    cc.on('room', () => { strayed = true; });
    const inRoom = Promise.all([nextEvent(ca, 'room'), nextEvent(cb, 'room')]);
    b.io.to('lobby').emit('room', 'hello');
    assert.deepEqual(await inRoom, ['hello', 'hello']);

    // Cross-server requests (fetchSockets, serverCount) answer through
    // ember's pub/sub and PUBSUB NUMSUB.
    assert.equal(await a.io.of('/').adapter.serverCount(), 2);
    const inLobby = await a.io.in('lobby').fetchSockets();
    assert.equal(inLobby.length, 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(strayed, false, 'a client outside the room got its message');
  } finally {
    clients.forEach((c) => c.close());
    await a.close();
    await b.close();
  }
});
