import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.ts';
import { type RunningServer, startServer } from '../server/start-server.ts';

/**
 * The whole server as `npm start` composes it, with PUBLIC_URL set: the console routes, the
 * session cookie, the console's socket and `/api/inngest` all take it.
 */
const publicUrl = 'https://sales.example.com';
let dataDir: string;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'qh-public-url-'));
  server = await startServer(
    loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      PUBLIC_URL: publicUrl,
    }),
    pino({ level: 'silent' }),
  );
  base = `http://127.0.0.1:${server.port}`;
}, 60_000);
afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const signIn = (origin: string) =>
  fetch(`${base}/console/api/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email: server.demo!.repEmail, password: server.demo!.repPassword }),
  });

describe('a server started with PUBLIC_URL', () => {
  it('refuses a console sign-in from another site and signs in from PUBLIC_URL with a Secure cookie', async () => {
    const refused = await signIn('https://evil.example');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(
      /is not https:\/\/sales\.example\.com/,
    );
    const signedIn = await signIn(publicUrl);
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
  });

  it("refuses a console socket opened from another site's page", async () => {
    const signedIn = await signIn(publicUrl);
    const cookie = /qh_session=[^;]+/.exec(signedIn.headers.get('set-cookie')!)![0];
    const outcome = async (origin: string) => {
      const socket = io(`${base}/console`, {
        transports: ['websocket'],
        reconnection: false,
        extraHeaders: { cookie, origin },
      });
      try {
        return await new Promise<string>((resolve) => {
          socket.once('connect', () => resolve('connected'));
          socket.once('connect_error', (error) => resolve(error.message));
        });
      } finally {
        socket.close();
      }
    };
    expect(await outcome('https://evil.example')).toMatch(/^cross-site request refused/);
    expect(await outcome(publicUrl)).toBe('connected');
  });

  it('answers PUT /api/inngest without registering anywhere (embedded workflows)', async () => {
    const res = await fetch(`${base}/api/inngest`, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
