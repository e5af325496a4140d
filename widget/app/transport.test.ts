import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Socket as ServerSocket, Server as SocketServer } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import type { SendAnswer, WidgetMessage } from './protocol.ts';
import { type TransportEvents, WidgetTransport } from './transport.ts';

/**
 * The widget's own delivery code, in Node against a socket.io server that plays the gateway's
 * part step by step: each test scripts the moments where a real server is slow, drops the
 * connection or refuses, and checks that nothing the prospect wrote or was sent goes missing.
 */
class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

interface Script {
  onSync?(request: { afterSeq: number }, answer: (result: unknown) => void, socket: ServerSocket): void;
  onSend?(
    request: { clientId: string; body: string },
    answer: (result: SendAnswer) => void,
    socket: ServerSocket,
  ): void;
}

let http: HttpServer | undefined;
let io: SocketServer | undefined;
const transports: WidgetTransport[] = [];

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.close();
  await io?.close();
  http?.closeAllConnections();
});

async function scriptedServer(script: Script): Promise<string> {
  http = createServer();
  io = new SocketServer(http);
  io.of('/widget').on('connection', (socket) => {
    socket.on('sync', (request, answer) =>
      script.onSync ? script.onSync(request, answer, socket) : answer({ messages: [], mode: 'ai' }),
    );
    socket.on('send', (request, answer) => script.onSend?.(request, answer, socket));
  });
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

function widget(url: string) {
  const seen: WidgetMessage[] = [];
  const refused: { body: string; reason: string }[] = [];
  let pending: { body: string }[] = [];
  const events: TransportEvents = {
    onMessages: (messages) => seen.push(...messages),
    onPending: (items) => {
      pending = items;
    },
    onRefused: (message, reason) => refused.push({ body: message.body, reason }),
    onDelta: () => {},
    onTyping: () => {},
    onMode: () => {},
    onConnection: () => {},
  };
  const transport = new WidgetTransport(url, 'qhw_test', 'https://shop.example', events, {
    storage: new MemoryStorage(),
    socket: { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 100 },
  });
  transports.push(transport);
  return { transport, seen, refused, pending: () => pending };
}

const stored = (seq: number, body: string, clientId: string | null = null): WidgetMessage => ({
  id: `m${seq}`,
  seq,
  sender: clientId ? 'prospect' : 'agent',
  body,
  createdAt: new Date().toISOString(),
  clientId,
});

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WidgetTransport', () => {
  it('sends a second message written while the first awaits its ack', async () => {
    const received: string[] = [];
    let seq = 0;
    const url = await scriptedServer({
      onSend: (request, answer) => {
        received.push(request.body);
        setTimeout(() => answer({ ok: true, message: stored(++seq, request.body, request.clientId) }), 50);
      },
    });
    const { transport, pending } = widget(url);
    await until(() => transport.connected, 'the connection');
    transport.send('first');
    transport.send('second');
    transport.send('third');
    await until(() => received.length === 3 && pending().length === 0, 'all three sent and acked');
    expect(received).toEqual(['first', 'second', 'third']);
  });

  it('fetches what it missed even when an ack arrives before a failed sync', async () => {
    const history = [stored(1, 'Hi! How can we help?')];
    let connections = 0;
    const url = await scriptedServer({
      onSync: (request, answer, socket) => {
        connections++;
        if (connections === 2) {
          // The reconnect's sync never answers: the connection drops while it is pending.
          setTimeout(() => socket.conn.close(), 200);
          return;
        }
        answer({ messages: history.filter((m) => m.seq > request.afterSeq), mode: 'ai' });
      },
      onSend: (request, answer) => {
        const message = stored(history.length + 1, request.body, request.clientId);
        history.push(message);
        answer({ ok: true, message });
      },
    });
    const { transport, seen } = widget(url);
    await until(() => seen.some((m) => m.seq === 1), 'the first sync');
    // A reply stored while the widget is away, then a message of the prospect's acked after it.
    history.push(stored(2, 'A reply stored while the widget was away'));
    // The connection drops (as in a restart): the client reconnects by itself.
    for (const socket of io!.of('/widget').sockets.values()) socket.conn.close();
    await until(() => connections === 2, 'the reconnect');
    transport.send('Are you there?');
    await until(() => seen.some((m) => m.body === 'Are you there?'), 'the ack');
    await until(() => connections >= 3, 'the next reconnect');
    await until(() => seen.some((m) => m.seq === 2), 'the missed reply');
  });

  it('shows a message the server refuses for good as not sent, and sends the next one', async () => {
    const received: string[] = [];
    const url = await scriptedServer({
      onSend: (request, answer) => {
        received.push(request.body);
        if (request.body === 'bad') answer({ ok: false, error: 'this message cannot be sent', retry: false });
        else answer({ ok: true, message: stored(received.length, request.body, request.clientId) });
      },
    });
    const { transport, refused, pending } = widget(url);
    await until(() => transport.connected, 'the connection');
    transport.send('bad');
    transport.send('good');
    await until(() => received.includes('good') && pending().length === 0, 'the next message sent');
    expect(refused).toEqual([{ body: 'bad', reason: 'this message cannot be sent' }]);
    expect(received).toEqual(['bad', 'good']);
  });

  it('tries a message the server could not store yet again while online', async () => {
    let attempts = 0;
    const url = await scriptedServer({
      onSend: (request, answer) => {
        attempts++;
        if (attempts === 1) answer({ ok: false, error: 'not stored yet', retry: true });
        else answer({ ok: true, message: stored(1, request.body, request.clientId) });
      },
    });
    const { transport, pending } = widget(url);
    await until(() => transport.connected, 'the connection');
    transport.send('hello');
    await until(() => attempts === 2 && pending().length === 0, 'the second attempt', 5_000);
  });
});
