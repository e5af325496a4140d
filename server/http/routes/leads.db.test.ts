import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';

let db: Database;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
});
afterAll(async () => {
  await server.close();
  await db.close();
});

async function lead(
  orgId: string,
  email: string,
  set: { score?: number; status?: string; outcome?: string; route?: string },
) {
  const { lead } = await upsertLead(db, orgId, { email }, systemActor);
  await db.query(
    `update contacts set lead_score = $2, status = coalesce($3, status),
       qualification = case when $4::text is null then qualification else jsonb_build_object('outcome', $4::text) end,
       routing = case when $5::text is null then routing else jsonb_build_object('mode', $5::text) end
     where id = $1`,
    [lead.id, set.score ?? null, set.status ?? null, set.outcome ?? null, set.route ?? null],
  );
  return lead.id;
}

describe('GET /api/leads/summary', () => {
  it('counts every lead of the organization, and only its own', async () => {
    const acme = await createOrganization(db, { name: 'Acme' }, systemActor);
    const globex = await createOrganization(db, { name: 'Globex' }, systemActor);
    await lead(acme.orgId, 'new@prospect.example', {});
    await lead(acme.orgId, 'warm@prospect.example', { score: 40, status: 'qualifying' });
    const best = await lead(acme.orgId, 'hot@prospect.example', {
      score: 90,
      status: 'routed',
      outcome: 'QUALIFIED',
      route: 'A',
    });
    await lead(acme.orgId, 'later@prospect.example', { score: 61, status: 'nurture', outcome: 'NURTURE' });
    await lead(globex.orgId, 'other@globex.example', { score: 99, status: 'routed', route: 'B' });

    const res = await server.request('GET', '/api/leads/summary', { key: acme.apiKey });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      leads: 4,
      scored: 3,
      averageScore: 64, // (40 + 90 + 61) / 3
      byOutcome: { QUALIFIED: 1, NURTURE: 1 },
      byRoute: { A: 1 },
      waitingForRep: 0,
    });
    expect(res.body.byStatus).toEqual({ new: 1, qualifying: 1, routed: 1, nurture: 1 });
    const top = res.body.topLeads as { id: string; leadScore: number }[];
    expect(top[0]!.id).toBe(best);
    expect(top.map((entry) => entry.leadScore)).toEqual([90, 61, 40]);
  });

  it('needs an API key', async () => {
    expect((await server.request('GET', '/api/leads/summary')).status).toBe(401);
  });
});
