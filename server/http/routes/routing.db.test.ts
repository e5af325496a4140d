import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createRep } from '../../../core/reps.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';

let db: Database;
let server: TestServer;
let apiKey: string;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  ({ orgId, apiKey } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterAll(async () => {
  await server.close();
  await db.close();
});

async function qualifiedLead(email: string, budgetCents: number) {
  const { lead } = await upsertLead(db, orgId, { email, country: 'Germany', industry: 'SaaS' }, systemActor);
  await db.query(
    `update contacts set lead_score = 55, status = 'qualified', qualification = $2::jsonb where id = $1`,
    [lead.id, JSON.stringify({ outcome: 'QUALIFIED', bant: { budget: { amountCents: budgetCents } } })],
  );
  return lead.id;
}

describe('POST /api/leads/route', () => {
  it('routes a lead and answers {mode, repId, reasons}; the lead shows the decision', async () => {
    const { repId } = await createRep(
      db,
      { orgId, email: 'eve@acme.example', password: 'correct horse', territory: 'EMEA', capacity: 1 },
      systemActor,
    );
    const contactId = await qualifiedLead('big@prospect.example', 5_000_000);
    const res = await server.request('POST', '/api/leads/route', { key: apiKey, body: { contactId } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ mode: 'B', repId, queued: false, reasons: expect.any(Array) });
    expect(res.body.reasons).toContainEqual(
      expect.stringMatching(/territory EMEA matches the lead \(country DE\)/),
    );
    const lead = await server.request('GET', `/api/leads/${contactId}`, { key: apiKey });
    expect(lead.body).toMatchObject({ status: 'routed', routing: { mode: 'B', repId } });
  });

  it('queues the next lead while the only rep is full, shows the queue, and assigns it when asked', async () => {
    const contactId = await qualifiedLead('waiting@prospect.example', 5_000_000);
    const res = await server.request('POST', '/api/leads/route', { key: apiKey, body: { contactId } });
    expect(res.body).toMatchObject({ mode: 'B', queued: true });
    const queue = await server.request('GET', '/api/routing/queue', { key: apiKey });
    expect(queue.body.items).toEqual([
      { contactId, position: 1, queuedAt: expect.any(String), reasons: ['every rep is at capacity'] },
    ]);
    expect((await server.request('POST', '/api/routing/queue/assign', { key: apiKey })).body).toEqual({
      assigned: [],
      waiting: 1,
    });
    await db.query(`update contacts set status = 'won' where email = 'big@prospect.example'`);
    const drained = await server.request('POST', '/api/routing/queue/assign', { key: apiKey });
    expect(drained.body).toMatchObject({ assigned: [{ contactId }], waiting: 0 });
  });

  it('answers 400 for a bad body, 404 for an unknown lead, 401 without a key', async () => {
    expect((await server.request('POST', '/api/leads/route', { key: apiKey, body: {} })).status).toBe(400);
    const bad = await server.request('POST', '/api/leads/route', {
      key: apiKey,
      body: { contactId: 'nope' },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { detail: expect.stringMatching(/contactId must be a UUID/) },
    });
    const unknown = await server.request('POST', '/api/leads/route', {
      key: apiKey,
      body: { contactId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknown.status).toBe(404);
    expect((await server.request('POST', '/api/leads/route', { body: {} })).status).toBe(401);
  });
});

describe('/api/routing/settings', () => {
  it('shows the defaults, saves valid settings and refuses invalid ones', async () => {
    const defaults = await server.request('GET', '/api/routing/settings', { key: apiKey });
    expect(defaults.body).toMatchObject({ enabledModes: ['B', 'C'], payment: { amountCents: 4_900 } });
    const saved = await server.request('PUT', '/api/routing/settings', {
      key: apiKey,
      body: { enabledModes: ['A', 'B', 'C'], payment: { amountCents: 9_900, productName: 'Pro plan' } },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      enabledModes: ['A', 'B', 'C'],
      payment: { amountCents: 9_900, currency: 'usd' },
    });
    expect((await server.request('GET', '/api/routing/settings', { key: apiKey })).body).toEqual(saved.body);
    const invalid = await server.request('PUT', '/api/routing/settings', {
      key: apiKey,
      body: { enabledModes: ['Z'] },
    });
    expect(invalid.status).toBe(400);
    expect((await server.request('GET', '/api/routing/settings', { key: apiKey })).body).toEqual(saved.body);
  });
});
