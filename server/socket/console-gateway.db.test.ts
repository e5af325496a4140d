import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server as SocketServer } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../core/actor.ts';
import { createOrganization } from '../../core/organizations.ts';
import { createRep, signIn } from '../../core/reps.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { createConversations } from '../conversations.ts';
import type { Database } from '../db/database.ts';
import { createApp } from '../http/app.ts';
import { attachConsoleGateway } from './console-gateway.ts';

/**
 * The console's live inbox authenticates by the session cookie, and WebSockets have no CORS: a
 * handshake whose Origin is another site's is refused (cross-site WebSocket hijacking).
 */
const publicUrl = 'https://sales.example.com';
const logger = pino({ level: 'silent' });

let db: Database;
let session: string;
const servers: { http: HttpServer; io: SocketServer }[] = [];
const sockets: Socket[] = [];

async function startGateway(options: { publicUrl?: string }): Promise<string> {
  const conversations = createConversations(db, { logger });
  const app = createApp({ db, logger, adminToken: 'unused', conversations, ...options });
  const http: HttpServer = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const socketServer = new SocketServer(http, { serveClient: false });
  attachConsoleGateway(socketServer, db, conversations, logger, options);
  servers.push({ http, io: socketServer });
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** Resolves 'connected', or the refusal's message. */
function handshake(
  url: string,
  transport: 'websocket' | 'polling',
  headers: Record<string, string>,
  token = session,
) {
  const socket = io(`${url}/console`, {
    transports: [transport],
    reconnection: false,
    extraHeaders: { cookie: `qh_session=${token}`, ...headers },
  });
  sockets.push(socket);
  return new Promise<string>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

let withPublicUrl: string;
let withoutPublicUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const { orgId } = await createOrganization(db, { name: 'Acme' }, systemActor);
  await createRep(db, { orgId, email: 'ann@acme.example', password: 'long-enough-pw' }, systemActor);
  ({ token: session } = await signIn(db, { email: 'ann@acme.example', password: 'long-enough-pw' }));
  withPublicUrl = await startGateway({ publicUrl });
  withoutPublicUrl = await startGateway({});
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  for (const { http, io: socketServer } of servers) {
    await socketServer.close();
    http.closeAllConnections();
  }
  await db.close();
});

describe('the /console namespace handshake', () => {
  it.each(['websocket', 'polling'] as const)(
    'refuses a %s handshake from another site, though it carries a valid session cookie',
    async (transport) => {
      expect(await handshake(withPublicUrl, transport, { origin: 'https://evil.example' })).toBe(
        'cross-site request refused: Origin https://evil.example is not https://sales.example.com',
      );
      expect(await handshake(withPublicUrl, transport, { origin: 'null' })).toMatch(
        /^cross-site request refused/,
      );
    },
  );

  it('admits the console served from PUBLIC_URL, and a client that sends no Origin', async () => {
    expect(await handshake(withPublicUrl, 'websocket', { origin: publicUrl })).toBe('connected');
    expect(await handshake(withPublicUrl, 'websocket', {})).toBe('connected');
  });

  it('without PUBLIC_URL, admits an Origin naming the host it was sent to and refuses others', async () => {
    expect(await handshake(withoutPublicUrl, 'websocket', { origin: withoutPublicUrl })).toBe('connected');
    expect(await handshake(withoutPublicUrl, 'websocket', { origin: 'https://evil.example' })).toMatch(
      /^cross-site request refused: Origin https:\/\/evil\.example is not this server's host/,
    );
  });

  it('still refuses a handshake without a session, from the right origin', async () => {
    expect(await handshake(withPublicUrl, 'websocket', { origin: publicUrl }, 'qhs_not-a-session')).toBe(
      'sign in to the console',
    );
  });
});
