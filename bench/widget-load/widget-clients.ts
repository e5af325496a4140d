/**
 * A share of the simulated widgets for the widget load bench, run as a child process (`fork`) so
 * several of them keep the client side off the server's core. Each widget does what
 * widget/app/transport.ts does, over socket.io-client on the `/widget` namespace:
 *
 * - connects (websocket) with the widget's auth payload — widget key, its own visitorId, the
 *   page's origin — and an Origin header of that site, then asks `sync` for its transcript;
 * - writes a message to its outbox every `intervalMs` (first one at a random phase, so the load is
 *   spread over the second) and sends the outbox oldest first, one at a time, waiting for the
 *   acknowledgement before the next, as the widget keeps order;
 * - counts the agent replies that reach it.
 *
 * Latency is from the moment the prospect "sent" the message (it entered the outbox) to its ack,
 * so a slow ack also delays the messages queued behind it, as a prospect would see it; the bare
 * round trip of each emit is kept as well. A message with no ack within `ackTimeoutMs` (the
 * widget's own 20 s) is counted as timed out and the widget moves on to the next. After the send
 * window the outboxes get `drainMs` to empty; then nothing more is emitted, the messages in flight
 * get their ack (or time out), and what is left in the outboxes is reported as never sent.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { SendAnswer, ServerToWidget, WidgetToServer } from '../../widget/app/protocol.ts';

export interface ConnectRequest {
  type: 'connect';
  url: string;
  key: string;
  origin: string;
  /** Index of this process's first widget: visitor ids and bodies are numbered from it. */
  first: number;
  count: number;
  /** Connections opened at once. */
  concurrency: number;
}

export interface RunRequest {
  type: 'run';
  /** Epoch ms at which every client process starts its send window. */
  startAt: number;
  seconds: number;
  intervalMs: number;
  ackTimeoutMs: number;
  /** After the window, how long to wait for outboxes to empty. */
  drainMs: number;
}

/**
 * Before the window: each widget opens its chat (its first message, acked) and waits for the
 * agent's answer, so the window measures visitors writing in chats they have open.
 */
export interface OpenRequest {
  type: 'open';
  /** First messages in flight at once, per process. */
  concurrency: number;
  ackTimeoutMs: number;
  /** Wait for the agent's answer to each (not for the echo, which has no agent). */
  awaitAnswer: boolean;
  /** Give up waiting for answers after this long. */
  answerTimeoutMs: number;
}

export interface Opened {
  type: 'opened';
  opened: number;
  failed: number;
  /** Written → ack of each first message, ms. */
  latency: number[];
  answered: number;
  ms: number;
}

export type ClientRequest = ConnectRequest | OpenRequest | RunRequest | { type: 'close' };

export interface Connected {
  type: 'connected';
  connected: number;
  failures: Record<string, number>;
  ms: number;
}

export interface RunResult {
  type: 'result';
  /** Messages the prospects wrote in the window. */
  written: number;
  /** Emitted to the server (the rest were still in an outbox at the end of the drain). */
  emitted: number;
  /** Per acknowledged message: [ack time after startAt, ms since written, ms since emitted]. */
  acks: [number, number, number][];
  /** [clientId, stored message id] of every message acknowledged as stored. */
  stored: [string, string][];
  /** Acknowledged but refused (not stored), by error. */
  refused: Record<string, number>;
  refusedIds: string[];
  /** No ack within ackTimeoutMs. */
  timedOut: string[];
  unsent: number;
  agentReplies: number;
  /** Connections lost during the run, by reason, with the first one's time after startAt. */
  disconnects: Record<string, number>;
  firstDisconnectMs: number | null;
}

const dialogue = [
  'Hi there',
  'Our forecasts are always wrong and deals slip without warning.',
  'We use Clari today but it is too expensive.',
  'We want something in place within 30 days.',
  "I'm the VP of Sales, so it's my call.",
  'We have around $50k a year for this.',
  'How does the forecast roll-up work with our CRM?',
  'Can it flag deals that have gone quiet?',
];

interface Outgoing {
  clientId: string;
  body: string;
  writtenAt: number;
}

interface Widget {
  socket: Socket<ServerToWidget, WidgetToServer>;
  visitorId: string;
  outbox: Outgoing[];
  flushing: boolean;
  written: number;
  answers: number;
}

const widgets: Widget[] = [];
let result: RunResult | undefined;
let runStart = 0;
/** Set at the end of the drain: nothing more is emitted, what is in flight gets its ack or times out. */
let stopSending = false;
let closing = false;

function newResult(): RunResult {
  return {
    type: 'result',
    written: 0,
    emitted: 0,
    acks: [],
    stored: [],
    refused: {},
    refusedIds: [],
    timedOut: [],
    unsent: 0,
    agentReplies: 0,
    disconnects: {},
    firstDisconnectMs: null,
  };
}

function connectOne(request: ConnectRequest, index: number): Promise<Widget> {
  const visitorId = `bench-${index}-${randomUUID()}`;
  const socket: Socket<ServerToWidget, WidgetToServer> = io(`${request.url}/widget`, {
    auth: { key: request.key, visitorId, origin: request.origin },
    transports: ['websocket'],
    extraHeaders: { Origin: request.origin, 'User-Agent': 'quotahit-widget-load-bench' },
    forceNew: true,
    reconnection: false,
    timeout: 60_000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', async () => {
      // What the widget does first on every connect: fetch the transcript.
      await socket.timeout(60_000).emitWithAck('sync', { afterSeq: 0 });
      resolve({ socket, visitorId, outbox: [], flushing: false, written: 0, answers: 0 });
    });
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

async function connectAll(request: ConnectRequest): Promise<Connected> {
  const started = performance.now();
  const failures: Record<string, number> = {};
  let next = 0;
  const lane = async () => {
    while (next < request.count) {
      const index = request.first + next++;
      try {
        const widget = await connectOne(request, index);
        widget.socket.on('message', (message) => {
          if (message.sender !== 'agent') return;
          widget.answers++;
          if (result) result.agentReplies++;
        });
        widget.socket.on('disconnect', (reason) => {
          if (!result || closing) return;
          result.disconnects[reason] = (result.disconnects[reason] ?? 0) + 1;
          result.firstDisconnectMs ??= performance.now() - runStart;
        });
        widgets.push(widget);
      } catch (error) {
        const reason = (error as Error).message;
        failures[reason] = (failures[reason] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, lane));
  return { type: 'connected', connected: widgets.length, failures, ms: performance.now() - started };
}

async function openChats(request: OpenRequest): Promise<Opened> {
  const started = performance.now();
  const latency: number[] = [];
  let failed = 0;
  let next = 0;
  const lane = async () => {
    while (next < widgets.length) {
      const widget = widgets[next++]!;
      const clientId = `${widget.visitorId}:${widget.written++}`;
      const writtenAt = performance.now();
      const answer: SendAnswer | null = await widget.socket
        .timeout(request.ackTimeoutMs)
        .emitWithAck('send', { clientId, body: dialogue[0]! })
        .catch(() => null);
      if (answer?.ok) latency.push(performance.now() - writtenAt);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, lane));
  const deadline = performance.now() + request.answerTimeoutMs;
  while (request.awaitAnswer && performance.now() < deadline && widgets.some((w) => w.answers === 0)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    type: 'opened',
    opened: latency.length,
    failed,
    latency,
    answered: widgets.filter((w) => w.answers > 0).length,
    ms: performance.now() - started,
  };
}

async function flush(widget: Widget, run: RunRequest): Promise<void> {
  if (widget.flushing) return;
  widget.flushing = true;
  const out = result!;
  try {
    while (widget.outbox.length > 0 && !stopSending) {
      const next = widget.outbox[0]!;
      const emittedAt = performance.now();
      out.emitted++;
      const answer: SendAnswer | null = await widget.socket
        .timeout(run.ackTimeoutMs)
        .emitWithAck('send', { clientId: next.clientId, body: next.body })
        .catch(() => null);
      const now = performance.now();
      widget.outbox.shift();
      if (!answer) out.timedOut.push(next.clientId);
      else if (answer.ok) {
        out.acks.push([now - runStart, now - next.writtenAt, now - emittedAt]);
        out.stored.push([next.clientId, answer.message.id]);
      } else {
        out.refused[answer.error] = (out.refused[answer.error] ?? 0) + 1;
        out.refusedIds.push(next.clientId);
      }
    }
  } finally {
    widget.flushing = false;
  }
}

async function run(request: RunRequest): Promise<RunResult> {
  result = newResult();
  const out = result;
  const startIn = request.startAt - Date.now();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startIn)));
  runStart = performance.now();
  const windowMs = request.seconds * 1000;
  const writers = widgets.map(
    (widget, i) =>
      new Promise<void>((done) => {
        // Each widget writes at its own phase in the interval, then every interval.
        let due = Math.random() * request.intervalMs;
        // With an interval longer than the window, some widgets write nothing in it.
        if (due >= windowMs) return done();
        const write = () => {
          const n = widget.written++;
          widget.outbox.push({
            clientId: `${widget.visitorId}:${n}`,
            body: dialogue[(i + n) % dialogue.length]!,
            writtenAt: performance.now(),
          });
          out.written++;
          void flush(widget, request);
          due += request.intervalMs;
          if (due < windowMs) setTimeout(write, Math.max(0, runStart + due - performance.now()));
          else done();
        };
        setTimeout(write, due);
      }),
  );
  await Promise.all(writers);
  const waitWhile = async (busy: () => boolean) => {
    while (busy()) await new Promise((resolve) => setTimeout(resolve, 100));
  };
  const deadline = performance.now() + request.drainMs;
  await waitWhile(
    () => performance.now() < deadline && widgets.some((w) => w.outbox.length > 0 || w.flushing),
  );
  // Emitted messages still get their ack or their timeout; the rest were never sent.
  stopSending = true;
  await waitWhile(() => widgets.some((w) => w.flushing));
  out.unsent = widgets.reduce((sum, w) => sum + w.outbox.length, 0);
  return out;
}

process.on('message', async (request: ClientRequest) => {
  if (request.type === 'connect') process.send!(await connectAll(request));
  if (request.type === 'open') process.send!(await openChats(request));
  if (request.type === 'run') process.send!(await run(request));
  if (request.type === 'close') {
    closing = true;
    for (const widget of widgets) widget.socket.close();
    setTimeout(() => process.exit(0), 200);
  }
});
