import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server as SocketServer } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../core/actor.ts';
import { createOrganization } from '../../core/organizations.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { SendAnswer } from '../../widget/app/protocol.ts';
import { createConversations } from '../conversations.ts';
import type { Database } from '../db/database.ts';
import { attachWidgetGateway } from './widget-gateway.ts';

/**
 * The widget's socket as a stranger can use it: identity comes from the widget key and the
 * handshake only, text the database cannot store is refused for good, the page's real Origin is
 * checked, and new chats are limited per organization and per client address.
 */
const publicUrl = 'https://chat.quotahit.example';
const logger = pino({ level: 'silent' });

let db: Database;
let http: HttpServer;
let socketServer: SocketServer;
let url: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const conversations = createConversations(db, { logger });
  http = await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
  socketServer = new SocketServer(http, { serveClient: false });
  attachWidgetGateway(socketServer, db, conversations, logger, {
    publicUrl,
    clientAddress: (request) => request.socket.remoteAddress ?? '',
  });
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await socketServer.close();
  http.closeAllConnections();
  await db.close();
});

async function organization(settings: Record<string, unknown> = {}) {
  return createOrganization(db, { name: `Org ${randomUUID().slice(0, 8)}`, settings }, systemActor);
}

/** A connected widget, or the handshake's refusal. */
function connect(
  key: string,
  options: { visitorId?: string; origin?: string; pageOrigin?: string } = {},
): Promise<Socket | string> {
  const socket = io(`${url}/widget`, {
    transports: ['websocket'],
    reconnection: false,
    auth: { key, visitorId: options.visitorId ?? `visitor-${randomUUID()}`, origin: options.origin },
    extraHeaders: options.pageOrigin ? { origin: options.pageOrigin } : {},
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

async function connected(key: string, options: Parameters<typeof connect>[1] = {}): Promise<Socket> {
  const socket = await connect(key, options);
  if (typeof socket === 'string') throw new Error(socket);
  return socket;
}

const send = (socket: Socket, body: string): Promise<SendAnswer> =>
  socket.timeout(10_000).emitWithAck('send', { clientId: randomUUID(), body });

const count = async (sql: string, params: unknown[]) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from (${sql}) rows`, params))[0]!.n;

describe('the /widget namespace', () => {
  it('takes identity only from the server: a pre-chat naming another organization changes nothing', async () => {
    const acme = await organization();
    const globex = await organization();
    // Globex's visitor has a chat of their own.
    const victimId = `visitor-${randomUUID()}`;
    const victim = await connected(globex.widgetKey, { visitorId: victimId });
    expect((await send(victim, 'Hello from Globex')).ok).toBe(true);
    const victimContact = await db.query<{ contact_id: string }>(
      'select contact_id from conversations where org_id = $1 and visitor_id = $2',
      [globex.orgId, victimId],
    );

    const attacker = await connected(acme.widgetKey);
    const answer = await attacker.timeout(10_000).emitWithAck('prechat', {
      orgId: globex.orgId,
      visitorId: victimId,
      email: 'mallory@evil.example',
      consent: true,
      wording: 'I agree to marketing',
    });
    expect(answer.ok).toBe(false);
    expect(answer.error).toMatch(/orgId|visitorId|Unrecognized/);
    expect(await count('select 1 from contacts where email = $1', ['mallory@evil.example'])).toBe(0);
    expect(await count('select 1 from consent_records where org_id = $1', [globex.orgId])).toBe(0);
    expect(
      await db.query('select contact_id from conversations where org_id = $1 and visitor_id = $2', [
        globex.orgId,
        victimId,
      ]),
    ).toEqual(victimContact);

    // The same form without the forged fields identifies the visitor in their own organization.
    const own = await attacker
      .timeout(10_000)
      .emitWithAck('prechat', { email: 'pat@acme.example', consent: false, wording: 'Contact me' });
    expect(own).toEqual({ ok: true });
    expect(
      await count('select 1 from contacts where org_id = $1 and email = $2', [
        acme.orgId,
        'pat@acme.example',
      ]),
    ).toBe(1);
  });

  it.each([
    ['a NUL character', 'before\u0000after'],
    ['a lone surrogate', 'broken \ud800 text'],
  ])('refuses a message with %s for good, stores nothing, and takes the next one', async (_what, body) => {
    const acme = await organization();
    const visitorId = `visitor-${randomUUID()}`;
    const widget = await connected(acme.widgetKey, { visitorId });
    const refused = await send(widget, body);
    expect(refused).toMatchObject({ ok: false, retry: false });
    expect(refused.ok === false && refused.error).toMatch(/^body contains a character that cannot be stored/);
    expect(await count('select 1 from messages where org_id = $1', [acme.orgId])).toBe(0);
    const prechat = await widget
      .timeout(10_000)
      .emitWithAck('prechat', { name: body, email: 'a@b.example', consent: false, wording: 'w' });
    expect(prechat).toMatchObject({ ok: false, retry: false });
    expect(await count('select 1 from contacts where org_id = $1', [acme.orgId])).toBe(0);

    expect(await send(widget, 'A normal question')).toMatchObject({ ok: true });
    expect(
      await count('select 1 from messages where org_id = $1 and sender = $2', [acme.orgId, 'prospect']),
    ).toBe(1);
  });

  it("checks the page's real Origin as well as the embed origin it claims", async () => {
    const shop = 'https://shop.example';
    const acme = await organization({ allowedOrigins: [shop] });
    // A page on another site opening the socket itself, claiming to be embedded on an allowed one.
    expect(await connect(acme.widgetKey, { origin: shop, pageOrigin: 'https://evil.example' })).toBe(
      'this site may not embed the chat',
    );
    // The chat frame (served from PUBLIC_URL) on the allowed site, and the allowed site itself.
    expect(typeof (await connect(acme.widgetKey, { origin: shop, pageOrigin: publicUrl }))).not.toBe(
      'string',
    );
    expect(typeof (await connect(acme.widgetKey, { origin: shop, pageOrigin: shop }))).not.toBe('string');
    // The claimed embed origin is still checked.
    expect(await connect(acme.widgetKey, { origin: 'https://evil.example', pageOrigin: publicUrl })).toBe(
      'this site may not embed the chat',
    );
  });

  it('limits new chats per client address and per organization, not the chats already open', async () => {
    const acme = await organization({ limits: { newChatsPerAddress: 2 } });
    const firstVisitor = `visitor-${randomUUID()}`;
    const first = await connected(acme.widgetKey, { visitorId: firstVisitor });
    const second = await connected(acme.widgetKey);
    expect((await send(first, 'one')).ok).toBe(true);
    expect((await send(second, 'two')).ok).toBe(true);
    const third = await send(await connected(acme.widgetKey), 'three');
    expect(third).toMatchObject({ ok: false, retry: false });
    expect(third.ok === false && third.error).toMatch(
      /too many new chats from this address; try again in \d+ s/,
    );
    expect(await count('select 1 from conversations where org_id = $1', [acme.orgId])).toBe(2);
    // Chats already open go on; a reconnecting visitor with a chat is not a new chat.
    expect((await send(first, 'still here')).ok).toBe(true);
    expect((await send(await connected(acme.widgetKey, { visitorId: firstVisitor }), 'back')).ok).toBe(true);

    // Another organization's widget, from the same address, is not held back by Acme's flood.
    const globex = await organization({ limits: { newChatsPerWidgetKey: 1 } });
    expect((await send(await connected(globex.widgetKey), 'hello')).ok).toBe(true);
    const flood = await send(await connected(globex.widgetKey), 'hello again');
    expect(flood.ok === false && flood.error).toMatch(/too many new chats on this site/);
  });
});
