import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../core/actor.ts';
import { isPermanentDataError } from '../../core/db.ts';
import { createOrganization } from '../../core/organizations.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { Database } from '../db/database.ts';
import { createApp } from './app.ts';

/**
 * Behind a reverse proxy without TRUST_PROXY every client has the proxy's address, so per-address
 * limits would count a whole site as one client: the server says so, once.
 */
let db: Database;
const lines: { level: number; msg: string }[] = [];
const servers: Server[] = [];

async function serve(trustProxy?: ['loopback']): Promise<string> {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = createApp({ db, logger: pino({ level: 'warn' }, sink), adminToken: 'unused', trustProxy });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await createOrganization(db, { name: 'Acme' }, systemActor);
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await db.close();
});

const proxyWarnings = () => lines.filter((line) => /TRUST_PROXY is not set/.test(line.msg));

describe('an untrusted proxy', () => {
  it('is named once in the log when requests carry X-Forwarded-For without TRUST_PROXY', async () => {
    const url = await serve();
    await fetch(`${url}/health`);
    expect(proxyWarnings()).toHaveLength(0);
    for (let i = 0; i < 3; i++)
      await fetch(`${url}/health`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(proxyWarnings()).toHaveLength(1);
  });

  it('is not warned about when TRUST_PROXY names it', async () => {
    lines.length = 0;
    const url = await serve(['loopback']);
    await fetch(`${url}/health`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(proxyWarnings()).toHaveLength(0);
  });
});

describe('a write the database refuses for good', () => {
  it('is told from one worth retrying by its SQLSTATE class', async () => {
    const refused = await db.query("select 'not a number'::int").catch((error: unknown) => error);
    expect(isPermanentDataError(refused)).toBe(true); // 22P02, a data exception
    const unique = await db
      .query(
        'insert into organizations (id, name, widget_key) select id, name, widget_key from organizations limit 1',
      )
      .catch((error: unknown) => error);
    expect(isPermanentDataError(unique)).toBe(true); // 23505, a broken constraint
    expect(isPermanentDataError(new Error('connection terminated'))).toBe(false);
    expect(isPermanentDataError({ code: '40001' })).toBe(false); // serialization: try again
  });
});
