import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';

/**
 * The admin routes answer the local CLI only. A reverse proxy on the same machine connects from
 * loopback on every remote caller's behalf, so "the socket is local" is not enough.
 */
let db: Database;
let server: TestServer;
/** Behind a proxy Express trusts (TRUST_PROXY=true): req.ip is whatever X-Forwarded-For says. */
let trusting: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  trusting = await startTestServer(db, { trustProxy: true });
});
afterAll(async () => {
  await Promise.all([server.close(), trusting.close()]);
  await db.close();
});

const createOrg = (target: TestServer, headers: Record<string, string> = {}) =>
  target.request('POST', '/admin/organizations', {
    headers: { 'x-admin-token': target.adminToken, ...headers },
    body: { name: 'Initech' },
  });

describe('admin routes behind a proxy on this machine', () => {
  it.each([
    ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.9' }],
    ['Forwarded', { forwarded: 'for=203.0.113.9;proto=https' }],
    ['X-Real-IP', { 'x-real-ip': '203.0.113.9' }],
    ['X-Forwarded-Host', { 'x-forwarded-host': 'sales.example.com' }],
    ['Via', { via: '1.1 nginx' }],
  ])('refuses a request a proxy passed on (%s), even with the token', async (_name, headers) => {
    const res = await createOrg(server, headers);
    expect(res.status).toBe(403);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.detail).toBe('admin routes answer only the local CLI');
  });

  it('refuses a forwarded request that claims to come from loopback, when proxies are trusted', async () => {
    expect((await createOrg(trusting, { 'x-forwarded-for': '127.0.0.1' })).status).toBe(403);
  });

  it('answers the CLI: a direct loopback request with the token and no forwarding headers', async () => {
    expect((await createOrg(server)).status).toBe(201);
    expect((await createOrg(trusting)).status).toBe(201);
  });
});
