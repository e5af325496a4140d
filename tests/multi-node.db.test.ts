import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor.ts';
import { updateOrganizationSettings } from '../core/organizations.ts';
import { loadConfig } from '../server/config.ts';
import { type RunningServer, startServer } from '../server/start-server.ts';
import { createFreshPostgresDatabase } from './support/fresh-postgres-database.ts';

/**
 * Two server nodes on one PostgreSQL database, joined through Redis (`REDIS_URL`), as a
 * multi-node install runs: what a widget sends to one node reaches the visitor's tab and the
 * rep's console on the other. Needs both servers: TEST_DATABASE_URL and TEST_REDIS_URL.
 */
const databaseServer = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.TEST_REDIS_URL;
const site = 'https://shop.multi-node.test';

describe.skipIf(!databaseServer || !redisUrl)('two server nodes joined through Redis', () => {
  let database: { url: string; drop: () => Promise<void> };
  const nodes: RunningServer[] = [];
  const dataDirs: string[] = [];
  const sockets: Socket[] = [];

  async function startNode(redis = redisUrl): Promise<RunningServer> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'qh-node-'));
    dataDirs.push(dataDir);
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: redis,
    });
    const node = await startServer(config, pino({ level: 'silent' }));
    nodes.push(node);
    return node;
  }

  const connect = (url: string, options: Parameters<typeof io>[1]) => {
    const socket = io(url, { transports: ['websocket'], reconnection: false, ...options });
    sockets.push(socket);
    return socket;
  };
  const connected = (socket: Socket) =>
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });

  beforeAll(async () => {
    database = await createFreshPostgresDatabase(databaseServer!, 'qh_test');
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    for (const node of nodes) await node.close();
    await database.drop();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  it("delivers a widget's message to the visitor's tab and the rep's console on the other node", async () => {
    const first = await startNode();
    const second = await startNode();
    const demo = first.demo!;
    expect(second.demo).toBeUndefined(); // the database is shared: one demo organization
    await updateOrganizationSettings(first.db, demo.orgId, { allowedOrigins: [site] }, systemActor);

    // The rep signs in and opens the console on the second node.
    const signIn = await fetch(`http://127.0.0.1:${second.port}/console/api/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demo.repEmail, password: demo.repPassword }),
    });
    expect(signIn.status).toBe(200);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const repConsole = connect(`http://127.0.0.1:${second.port}/console`, { extraHeaders: { cookie } });
    const consoleEvents: { type: string; message?: { body: string; sender: string } }[] = [];
    repConsole.on('conversation', (event) => consoleEvents.push(event));

    // The visitor has one tab on each node.
    const tab = (port: number) =>
      connect(`http://127.0.0.1:${port}/widget`, {
        auth: { key: demo.widgetKey, visitorId: 'visitor-on-two-nodes', origin: site },
      });
    const writing = tab(first.port);
    const reading = tab(second.port);
    const read: { body: string; sender: string }[] = [];
    reading.on('message', (message) => read.push(message));
    await Promise.all([connected(repConsole), connected(writing), connected(reading)]);

    const ack = await writing
      .timeout(10_000)
      .emitWithAck('send', { clientId: 'two-nodes-1', body: 'Hello from the first node' });
    expect(ack).toMatchObject({ ok: true, message: { body: 'Hello from the first node' } });

    // The agent answers on the first node; the tab and the console on the second see both.
    await expect
      .poll(() => read.map((m) => `${m.sender}: ${m.body}`), { timeout: 15_000 })
      .toContainEqual(expect.stringMatching(/^agent: /));
    expect(read.filter((m) => m.body === 'Hello from the first node')).toHaveLength(1);
    // Each console event is pushed on its own, after a look across the nodes for reps.
    const seenByConsole = () => consoleEvents.map((e) => `${e.message?.sender}: ${e.message?.body}`);
    await expect.poll(seenByConsole, { timeout: 10_000 }).toContain('prospect: Hello from the first node');
    await expect.poll(seenByConsole, { timeout: 10_000 }).toContainEqual(expect.stringMatching(/^agent: /));

    // A node shutting down ends its own connections only.
    const writerLeft = new Promise((resolve) => writing.once('disconnect', resolve));
    await first.close();
    await writerLeft;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reading.connected).toBe(true);
    expect(repConsole.connected).toBe(true);
  });

  it('does not start a node that cannot reach Redis', async () => {
    // Port 1 on loopback: nothing listens there.
    await expect(startNode('redis://:secret-password@127.0.0.1:1')).rejects.toThrow(
      /^could not connect to Redis at REDIS_URL: (?!.*secret-password)/,
    );
  });
});
