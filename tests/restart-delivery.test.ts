import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDemoCredentials } from '../server/data-dir.ts';
import { openPglite } from '../server/db/pglite-database.ts';
import type { WidgetMessage } from '../widget/app/protocol.ts';
import { WidgetTransport } from '../widget/app/transport.ts';
import { type ServerProcess, startServerProcess } from './support/server-process.ts';
import { inboundTextParams, postTwilioWebhook, startTwilioLoopback } from './support/twilio-loopback.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * A hostile day for delivery: widgets running the widget's own transport code, and prospects
 * texting through signed Twilio webhooks, write in bursts while the server is stopped with
 * SIGTERM once and killed with SIGKILL twice, restarting on the same data. Afterwards every
 * message written is stored once and in order, every outbox is empty, every widget shows exactly
 * its page-load history, every stored reply went out on its channel once, and after each restart
 * a new prospect is answered within seconds.
 */
const widgets = 24;
const messagesPerWidget = 8;
const texters = 4;
const textsPerTexter = 3;
const windowMs = 16_000;

let server: ServerProcess | undefined;
const transports: WidgetTransport[] = [];
const twilioApi = await startTwilioLoopback();

afterAll(async () => {
  for (const transport of transports) transport.close();
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  await twilioApi.close();
});

class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem = (key: string) => this.items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.items.set(key, value);
}

/** One prospect's browser: the widget transport, what it wrote, and what its chat shows. */
function openWidget(url: string, widgetKey: string) {
  const shown = new Map<string, WidgetMessage>();
  const storage = new MemoryStorage();
  let outbox: unknown[] = [];
  const transport = new WidgetTransport(
    url,
    widgetKey,
    'https://brightwave.example',
    {
      onMessages: (messages) => {
        for (const message of messages) shown.set(message.id, message);
      },
      onPending: (pending) => {
        outbox = pending;
      },
      onRefused: (message, reason) => {
        throw new Error(`refused ${message.body}: ${reason}`);
      },
      onDelta: () => {},
      onTyping: () => {},
      onMode: () => {},
      onConnection: () => {},
    },
    {
      storage,
      socket: { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500 },
    },
  );
  transports.push(transport);
  const visitorId = storage.getItem(`qh:${widgetKey}:visitor`)!;
  return { transport, visitorId, written: [] as string[], shown, outbox: () => outbox };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('nothing stranded across restarts', () => {
  it('stores, answers and delivers everything once while the server is stopped and killed', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'qh-restart-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const smsNumber = '+14155550000';
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      SHUTDOWN_TIMEOUT_MS: '2000',
      TWILIO_ACCOUNT_SID: twilioApi.accountSid,
      TWILIO_AUTH_TOKEN: twilioApi.authToken,
      TWILIO_FROM: smsNumber,
      TWILIO_BASE_URL: twilioApi.url,
    };
    server = await startServerProcess({ ...env, PORT: String(port) });
    const demo = (await readDemoCredentials(dataDir))!;
    const api = (route: string, init: RequestInit = {}) =>
      fetch(`${url}${route}`, {
        ...init,
        headers: { authorization: `Bearer ${demo.apiKey}`, 'content-type': 'application/json' },
      });
    // Every simulated prospect opens a chat from this one address within seconds.
    await api('/api/limits', {
      method: 'PUT',
      body: JSON.stringify({
        newChatsPerAddress: 1_000,
        newChatsPerWidgetKey: 1_000,
        apiRequestsPerKey: 100_000,
      }),
    });

    const browsers = Array.from({ length: widgets }, () => openWidget(url, demo.widgetKey));
    const writing = browsers.map(async (browser, b) => {
      for (let i = 0; i < messagesPerWidget; ) {
        await sleep(Math.random() * (windowMs / messagesPerWidget));
        // Now and then two at once: the second is written while the first awaits its ack.
        const burst = Math.random() < 0.3 && i + 1 < messagesPerWidget ? 2 : 1;
        for (let k = 0; k < burst; k++, i++) {
          const body = `widget ${b} message ${i}: what does the growth plan cost?`;
          browser.written.push(body);
          browser.transport.send(body);
        }
      }
    });
    const phones = Array.from({ length: texters }, (_, t) => `+1415555${String(1000 + t)}`);
    const texting = phones.map(async (phone, t) => {
      for (let i = 0; i < textsPerTexter; i++) {
        await sleep(Math.random() * (windowMs / textsPerTexter));
        const params = inboundTextParams({
          accountSid: twilioApi.accountSid,
          from: phone,
          to: smsNumber,
          body: `texter ${t} text ${i}: do you integrate with HubSpot?`,
        });
        // Twilio retries a webhook that fails; so does this, until the server takes it.
        for (;;) {
          const answer = await postTwilioWebhook(
            url,
            `${url}/webhooks/twilio/sms?org=${demo.orgId}`,
            params,
            {
              authToken: twilioApi.authToken,
            },
          ).catch(() => null);
          if (answer?.status === 200) break;
          await sleep(200);
        }
      }
    });

    /** A new prospect after a restart: how long until the agent answers them. */
    const answeredIn = async () => {
      const started = Date.now();
      const probe = openWidget(url, demo.widgetKey);
      probe.transport.send('Hello, is anyone there?');
      await waitFor(
        () => [...probe.shown.values()].some((m) => m.sender === 'agent'),
        'a new prospect answered',
        15_000,
      );
      probe.transport.close();
      return Date.now() - started;
    };
    const restartAnswers: number[] = [];
    for (const signal of ['SIGTERM', 'SIGKILL', 'SIGKILL'] as const) {
      await sleep(3_000 + Math.random() * 2_000);
      server.child.kill(signal);
      await server.exited;
      server = await startServerProcess({ ...env, PORT: String(port) });
      restartAnswers.push(await answeredIn());
    }
    await Promise.all([...writing, ...texting]);

    // Drained: every outbox empty, every prospect message answered, every reply handed over.
    await waitFor(
      () => browsers.every((browser) => browser.outbox().length === 0),
      'every outbox empty',
      60_000,
    );
    type Row = { id: string; seq: number; direction: string; status: string };
    const everything = async () => {
      const leads = ((await (await api('/api/leads?limit=500')).json()) as { items: { id: string }[] }).items;
      const rows: Row[] = [];
      for (const lead of leads) {
        const conversations = (
          (await (await api(`/api/conversations?contactId=${lead.id}`)).json()) as { items: { id: string }[] }
        ).items;
        for (const conversation of conversations)
          rows.push(
            ...(
              (await (await api(`/api/conversations/${conversation.id}/messages`)).json()) as { items: Row[] }
            ).items,
          );
      }
      return rows;
    };
    await waitFor(
      async () => {
        const rows = await everything();
        return rows.every((row) =>
          row.direction === 'inbound' ? row.status === 'processed' : row.status !== 'pending',
        );
      },
      'every message answered and every reply delivered',
      60_000,
    );
    await sleep(500); // the last pushes reach the widgets

    // What each widget shows is what a page load would show: its whole transcript, nothing else.
    const db = () => openPglite(path.join(dataDir, 'pglite'));
    const views = browsers.map((browser) => [...browser.shown.values()].map((m) => m.id).sort());
    server.child.kill('SIGTERM');
    await server.exited;
    const stored = await db();
    try {
      for (const [b, browser] of browsers.entries()) {
        const { visitorId } = browser;
        const rows = await stored.query<{ id: string; body: string; direction: string; status: string }>(
          `select m.id, m.seq, m.body, m.direction, m.status, m.sender, m.created_at, m.updated_at from messages m
           join conversations c on c.id = m.conversation_id
           where c.visitor_id = $1 order by m.seq`,
          [visitorId],
        );
        // Every message written, stored exactly once, in the order written.
        expect(rows.filter((row) => row.direction === 'inbound').map((row) => row.body)).toEqual(
          browser.written,
        );
        const history = rows
          .filter((row) => !['refused', 'failed'].includes(row.status))
          .map((row) => row.id);
        const missing = rows.filter((row) => !views[b]!.includes(row.id));
        const extra = views[b]!.filter((id) => !history.includes(id));
        expect({ missing, extra }, `widget ${b}'s view`).toEqual({ missing: [], extra: [] });
        expect(rows.filter((row) => row.direction === 'outbound').every((row) => row.status === 'sent')).toBe(
          true,
        );
      }
      for (const [t, phone] of phones.entries()) {
        const rows = await stored.query<{
          body: string;
          direction: string;
          status: string;
          provider_message_id: string;
        }>(
          `select m.body, m.direction, m.status, m.provider_message_id from messages m
           join contacts c on c.id = m.contact_id where c.phone = $1 order by m.seq`,
          [phone],
        );
        expect(rows.filter((row) => row.direction === 'inbound').map((row) => row.body)).toEqual(
          Array.from(
            { length: textsPerTexter },
            (_, i) => `texter ${t} text ${i}: do you integrate with HubSpot?`,
          ),
        );
        // Each stored reply reached the phone once, through Twilio.
        const replies = rows.filter((row) => row.direction === 'outbound');
        expect(replies.length).toBeGreaterThan(0);
        expect(replies.every((row) => row.status === 'sent')).toBe(true);
        const received = twilioApi.messages.filter((message) => message.to === phone);
        expect(received.map((message) => message.sid).sort()).toEqual(
          replies.map((row) => row.provider_message_id).sort(),
        );
      }
    } finally {
      await stored.close();
    }
    // Alone on this machine a new prospect is answered within about 3 s of each restart; the
    // bound is loose for a loaded CI run, and still far from the minute or more a dead node's
    // leases used to hold answering back.
    for (const ms of restartAnswers) expect(ms).toBeLessThan(20_000);
  }, 300_000);
});
