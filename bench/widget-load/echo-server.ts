/**
 * The bare socket.io baseline for the widget load bench: the same socket.io version and
 * namespace as the widget gateway, no database and no checks — `send` is acknowledged at once
 * with the message echoed back in the gateway's answer shape, `sync` with an empty transcript.
 * Run as a child process (`fork`) like the real server, measured the same way.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { answerMemory, type BenchTargetMessage } from './target-ipc.ts';

const http = createServer();
const io = new Server(http, { serveClient: false });
let seq = 0;
io.of('/widget').on('connection', (socket) => {
  socket.on('sync', (_request, answer) => {
    if (typeof answer === 'function') answer({ messages: [], mode: 'ai', repName: null });
  });
  socket.on('send', (request: { clientId: string; body: string }, answer) => {
    if (typeof answer !== 'function') return;
    seq++;
    answer({
      ok: true,
      message: {
        id: String(seq),
        seq,
        sender: 'prospect',
        body: request.body,
        createdAt: new Date().toISOString(),
        clientId: request.clientId,
        authorName: null,
      },
    });
  });
});
http.listen(0, '127.0.0.1', () => {
  const { port } = http.address() as AddressInfo;
  process.send!({
    type: 'ready',
    url: `http://127.0.0.1:${port}`,
    key: 'echo',
    orgId: null,
    origin: process.env.BENCH_ORIGIN ?? 'https://shop.bench.test',
  });
});
process.on('message', (message: BenchTargetMessage) => {
  if (message.type === 'memory') answerMemory();
  if (message.type === 'stop') {
    io.disconnectSockets(true);
    io.close(() => process.exit(0));
  }
});
