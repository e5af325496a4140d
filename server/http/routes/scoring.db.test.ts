import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import { enrichLead } from '../../../core/enrichment/enrich-lead.ts';
import { offlineEnrichmentProvider } from '../../../core/enrichment/offline-provider.ts';
import { createOrganization } from '../../../core/organizations.ts';
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
  ({ apiKey, orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterAll(async () => {
  await server.close();
  await db.close();
});

async function createLead(body: Record<string, unknown>): Promise<string> {
  const res = await server.request('POST', '/api/leads', { key: apiKey, body });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('POST /api/leads/score', () => {
  it('scores one lead and answers the eight-signal breakdown', async () => {
    const id = await createLead({
      email: 'vp@initech.example',
      title: 'VP Sales',
      companySize: 120,
      industry: 'Software',
      country: 'US',
    });
    const res = await server.request('POST', '/api/leads/score', { key: apiKey, body: { contactId: id } });
    expect(res.status).toBe(200);
    expect(res.body.score).toBe(55);
    const breakdown = res.body.breakdown as { signal: string; points: number; max: number; reason: string }[];
    expect(breakdown.map((e) => e.signal)).toEqual([
      'icpMatch',
      'companySize',
      'decisionMaker',
      'budgetSignals',
      'techFit',
      'growth',
      'geography',
      'intent',
    ]);
    expect(breakdown[1]).toMatchObject({
      points: 15,
      max: 15,
      reason: '120 employees is in the 51–500 band',
    });
    expect(breakdown[3]).toMatchObject({ points: 0, max: 15, reason: 'unknown' });

    const lead = await server.request('GET', `/api/leads/${id}`, { key: apiKey });
    expect(lead.body).toMatchObject({ leadScore: 55, status: 'scored', scoreBreakdown: breakdown });
  });

  it('answers 400 for a missing or malformed contactId and 404 for an unknown one', async () => {
    const missing = await server.request('POST', '/api/leads/score', { key: apiKey, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.contentType).toContain('application/problem+json');
    expect(missing.body.detail).toMatch(/contactId must be a UUID/);
    expect(missing.body.errors).toEqual([{ path: 'contactId', message: 'contactId must be a UUID' }]);
    const unknown = await server.request('POST', '/api/leads/score', {
      key: apiKey,
      body: { contactId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('/api/scoring/profile', () => {
  it('answers the defaults until the organization sets its own', async () => {
    const res = await server.request('GET', '/api/scoring/profile', { key: apiKey });
    expect(res.status).toBe(200);
    expect(res.body.weights).toEqual({
      icpMatch: 20,
      companySize: 15,
      decisionMaker: 15,
      budgetSignals: 15,
      techFit: 10,
      growth: 10,
      geography: 5,
      intent: 10,
    });
    expect(res.body.minimumBudgetCents).toBe(500_000);
  });

  it('refuses weights that do not sum to 100 with a clear 400, changing nothing', async () => {
    const before = await server.request('GET', '/api/scoring/profile', { key: apiKey });
    const res = await server.request('PUT', '/api/scoring/profile', {
      key: apiKey,
      body: {
        weights: {
          icpMatch: 40,
          companySize: 15,
          decisionMaker: 15,
          budgetSignals: 15,
          techFit: 10,
          growth: 10,
          geography: 5,
          intent: 10,
        },
      },
    });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.detail).toContain('signal weights must sum to 100');
    expect(res.body.detail).toContain('= 120');
    expect(await server.request('GET', '/api/scoring/profile', { key: apiKey })).toEqual(before);
  });

  it('re-scores existing leads when the profile changes', async () => {
    const logistics = await createLead({
      email: 'ops@freight.example',
      industry: 'Logistics',
      title: 'Head of Operations',
      companySize: 3000,
    });
    const software = await createLead({ email: 'cto@apps.example', industry: 'Software', title: 'CTO' });
    for (const id of [logistics, software])
      await server.request('POST', '/api/leads/score', { key: apiKey, body: { contactId: id } });
    const before = await server.request('GET', `/api/leads/${logistics}`, { key: apiKey });
    expect(before.body.leadScore).toBe(0 + 11 + 15);

    const res = await server.request('PUT', '/api/scoring/profile', {
      key: apiKey,
      body: {
        industries: ['logistics'],
        companySizeBands: [{ min: 1000, max: null, fit: 1 }],
        weights: {
          icpMatch: 30,
          companySize: 20,
          decisionMaker: 20,
          budgetSignals: 10,
          techFit: 5,
          growth: 5,
          geography: 5,
          intent: 5,
        },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rescored: 3, changed: 3 });

    const after = await server.request('GET', `/api/leads/${logistics}`, { key: apiKey });
    expect(after.body.leadScore).toBe(30 + 20 + 20);
    expect((after.body.scoreBreakdown as { reason: string; max: number }[])[0]).toMatchObject({
      reason: 'Logistics is a target industry',
      max: 30,
    });
    const other = await server.request('GET', `/api/leads/${software}`, { key: apiKey });
    expect(other.body.leadScore).toBe(12); // CTO: senior, outside the target functions (0.6 × 20)

    const saved = await server.request('GET', '/api/scoring/profile', { key: apiKey });
    expect(saved.body).toMatchObject({ industries: ['logistics'], weights: { icpMatch: 30 } });
    const history = await db.query<{ trigger: string }>(
      'select trigger from score_history where contact_id = $1 order by created_at',
      [logistics],
    );
    expect(history.map((h) => h.trigger)).toEqual(['manual', 'profile.changed']);
  });
});

describe('GET /api/leads/:id', () => {
  it('shows the enrichment with the source of every field', async () => {
    const id = await createLead({ email: 'info@gmail.com', phone: '+447700900123' });
    await enrichLead(db, [offlineEnrichmentProvider], orgId, id);
    const res = await server.request('GET', `/api/leads/${id}`, { key: apiKey });
    expect(res.body.enrichment).toMatchObject({
      fields: {
        freeMail: { value: true, source: 'offline', basis: 'email domain gmail.com' },
        roleAddress: { value: true, source: 'offline' },
        country: { value: 'GB', source: 'offline', basis: 'phone prefix +44' },
      },
      providers: { offline: { status: 'ok' } },
    });
  });
});
