import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import type { Db } from '../../../core/db.ts';
import { advanceDeal, leadDealId, openLeadDeal } from '../../../core/deals/deal-pipeline.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createRep, signIn } from '../../../core/reps.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';

/**
 * The deal pipeline through the API: stage rules named in the error, a stage history with who
 * moved it, one event per move, newest first with cursors, other organizations' deals invisible,
 * and a closer's forward-only move never overriding a rep's decision made during its turn.
 */
let base: Database;
let db: Db;
let server: TestServer;
let acme: { orgId: string; apiKey: string };
let globex: { orgId: string; apiKey: string };
const closer = { type: 'agent' as const, id: 'closer' };

async function newDeal(orgId: string, email: string) {
  const rows = await db.query<{ id: string }>(
    `insert into contacts (org_id, email, status) values ($1, $2, 'routed') returning id`,
    [orgId, email],
  );
  const contactId = rows[0]!.id;
  const deal = await db.transaction((tx) =>
    openLeadDeal(tx, { orgId, contactId, amountCents: 1_200_000, currency: 'usd', actor: systemActor }),
  );
  return { contactId, dealId: deal.id };
}

const eventsOf = (dealId: string) =>
  db.query<{ data: { from: string | null; to: string } }>(
    `select data from events where name = 'deal.stage.changed' and data ->> 'dealId' = $1 order by seq`,
    [dealId],
  );

beforeAll(async () => {
  base = await createTestDatabase();
  db = base;
  acme = await createOrganization(db, { name: 'Acme' }, systemActor);
  globex = await createOrganization(db, { name: 'Globex' }, systemActor);
  server = await startTestServer(db);
});
afterAll(async () => {
  await server.close();
  await base.close();
});

describe('deals as a pipeline', () => {
  it('opens one deal per lead, at qualified, however often it is opened', async () => {
    const { contactId, dealId } = await newDeal(acme.orgId, 'one@acme.example');
    expect(dealId).toBe(leadDealId(contactId));
    const again = await db.transaction((tx) =>
      openLeadDeal(tx, { orgId: acme.orgId, contactId, amountCents: 5, currency: 'usd', actor: systemActor }),
    );
    expect(again).toMatchObject({ id: dealId, stage: 'qualified', amountCents: 1_200_000 });
    expect((await eventsOf(dealId)).map((row) => row.data.to)).toEqual(['qualified']);
  });

  it('moves through the stages with a history, and names the rule it refuses', async () => {
    const { contactId, dealId } = await newDeal(acme.orgId, 'two@acme.example');
    const key = acme.apiKey;
    expect(
      (await server.request('PATCH', `/api/deals/${dealId}`, { key, body: { stage: 'proposal' } })).status,
    ).toBe(200);
    const noReason = await server.request('PATCH', `/api/deals/${dealId}`, { key, body: { stage: 'lost' } });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('needs a reason');
    const unknown = await server.request('PATCH', `/api/deals/${dealId}`, {
      key,
      body: { stage: 'won', x: 1 },
    });
    expect(unknown.status).toBe(400);
    const lost = await server.request('PATCH', `/api/deals/${dealId}`, {
      key,
      body: { stage: 'lost', lostReason: 'chose a competitor' },
    });
    expect(lost.body).toMatchObject({ stage: 'lost', lostReason: 'chose a competitor' });
    const reopened = await server.request('PATCH', `/api/deals/${dealId}`, {
      key,
      body: { stage: 'negotiation' },
    });
    expect(reopened.body).toMatchObject({ stage: 'negotiation', lostReason: null });
    await server.request('PATCH', `/api/deals/${dealId}`, {
      key,
      body: { stage: 'won', amountCents: 900_000 },
    });
    const final = await server.request('PATCH', `/api/deals/${dealId}`, {
      key,
      body: { stage: 'lost', lostReason: 'x' },
    });
    expect(final.status).toBe(409);
    expect(JSON.stringify(final.body)).toContain('a won deal is final');

    const read = await server.request('GET', `/api/deals/${dealId}`, { key });
    const history = read.body.history as {
      fromStage: string | null;
      toStage: string;
      actor: { type: string };
    }[];
    expect(history.map((change) => `${change.fromStage}→${change.toStage}`)).toEqual([
      'null→qualified',
      'qualified→proposal',
      'proposal→lost',
      'lost→negotiation',
      'negotiation→won',
    ]);
    expect(history[1]!.actor.type).toBe('api_key');
    expect(read.body).toMatchObject({ contactId, amountCents: 900_000, stage: 'won' });
    expect((await eventsOf(dealId)).map((row) => row.data.to)).toEqual(
      history.map((change) => change.toStage),
    );
    const audits = await db.query(
      `select 1 from audit_log where entity_id = $1 and action = 'deal.stage.changed'`,
      [dealId],
    );
    expect(audits.length).toBe(4);
  });

  it('lets a rep decision made during a closer turn stand: the closer only moves forward', async () => {
    const { dealId } = await newDeal(acme.orgId, 'three@acme.example');
    await server.request('PATCH', `/api/deals/${dealId}`, {
      key: acme.apiKey,
      body: { stage: 'lost', lostReason: 'no budget after all' },
    });
    const late = await db.transaction((tx) =>
      advanceDeal(tx, { orgId: acme.orgId, dealId, to: 'proposal', amountCents: 1, actor: closer }),
    );
    expect(late).toMatchObject({ moved: false, deal: { stage: 'lost', amountCents: 1_200_000 } });

    const { dealId: other } = await newDeal(acme.orgId, 'four@acme.example');
    await server.request('PATCH', `/api/deals/${other}`, {
      key: acme.apiKey,
      body: { stage: 'negotiation' },
    });
    const back = await db.transaction((tx) =>
      advanceDeal(tx, { orgId: acme.orgId, dealId: other, to: 'proposal', actor: closer }),
    );
    expect(back).toMatchObject({ moved: false, deal: { stage: 'negotiation' } });
  });

  it('lists newest first with a cursor and filters, inside the organization only', async () => {
    const { contactId, dealId } = await newDeal(globex.orgId, 'one@globex.example');
    const page = await server.request('GET', '/api/deals?limit=2', { key: acme.apiKey });
    expect(page.body.items).toHaveLength(2);
    const rest = await server.request('GET', `/api/deals?limit=50&cursor=${page.body.nextCursor}`, {
      key: acme.apiKey,
    });
    const ids = [...page.body.items!, ...rest.body.items!].map((deal) => (deal as { id: string }).id);
    expect(new Set(ids).size).toBe(4);
    expect(ids).not.toContain(dealId);
    expect((await server.request('GET', `/api/deals/${dealId}`, { key: acme.apiKey })).status).toBe(404);
    expect(
      (
        await server.request('PATCH', `/api/deals/${dealId}`, {
          key: acme.apiKey,
          body: { stage: 'proposal' },
        })
      ).status,
    ).toBe(404);
    const mine = await server.request('GET', `/api/deals?contactId=${contactId}`, { key: globex.apiKey });
    expect(mine.body.items).toHaveLength(1);
    const won = await server.request('GET', '/api/deals?stage=won', { key: acme.apiKey });
    expect(won.body.items).toHaveLength(1);
    expect((await server.request('GET', '/api/deals?stage=closed', { key: acme.apiKey })).status).toBe(400);
    expect((await server.request('GET', '/api/deals?cursor=nonsense', { key: acme.apiKey })).status).toBe(
      400,
    );
  });
});

describe('the console: a signed-in rep reads and moves the lead’s deal', () => {
  it('answers the lead’s deal with its history (or null), moves it as the rep, and refuses another site', async () => {
    const rep = { email: 'rae@acme.example', password: 'long-enough-pw' };
    const { repId } = await createRep(db, { orgId: acme.orgId, ...rep }, systemActor);
    const headers = { authorization: `Bearer ${(await signIn(db, rep)).token}` };
    // The console is served where its bundles are.
    const consoleServer = await startTestServer(db, {
      widget: { loader: '', widgetApp: '', consoleApp: '' },
    });
    onTestFinished(() => consoleServer.close());
    const { contactId, dealId } = await newDeal(acme.orgId, 'console@acme.example');

    const panel = await consoleServer.request('GET', `/console/api/contacts/${contactId}/deal`, { headers });
    expect(panel).toMatchObject({
      status: 200,
      body: {
        deal: { id: dealId, stage: 'qualified', history: [{ fromStage: null, toStage: 'qualified' }] },
      },
    });
    const [bare] = await db.query<{ id: string }>(
      `insert into contacts (org_id, email) values ($1, 'no-deal@acme.example') returning id`,
      [acme.orgId],
    );
    expect(
      (await consoleServer.request('GET', `/console/api/contacts/${bare!.id}/deal`, { headers })).body,
    ).toEqual({
      deal: null,
    });

    const moved = await consoleServer.request('PATCH', `/console/api/deals/${dealId}`, {
      headers,
      body: { stage: 'lost', lostReason: 'went quiet' },
    });
    expect(moved).toMatchObject({ status: 200, body: { stage: 'lost', lostReason: 'went quiet' } });
    const read = await server.request('GET', `/api/deals/${dealId}`, { key: acme.apiKey });
    expect((read.body.history as { actor: unknown }[]).at(-1)!.actor).toEqual({ type: 'rep', id: repId });

    const crossSite = await consoleServer.request('PATCH', `/console/api/deals/${dealId}`, {
      headers: { ...headers, origin: 'https://evil.example' },
      body: { stage: 'proposal' },
    });
    expect(crossSite.status).toBe(403);
    const noReason = await consoleServer.request('PATCH', `/console/api/deals/${dealId}`, {
      headers,
      body: { stage: 'lost', x: 1 },
    });
    expect(noReason.status).toBe(400);
    const { dealId: theirs, contactId: theirContact } = await newDeal(globex.orgId, 'console@globex.example');
    expect(
      (
        await consoleServer.request('PATCH', `/console/api/deals/${theirs}`, {
          headers,
          body: { stage: 'proposal' },
        })
      ).status,
    ).toBe(404);
    expect(
      (await consoleServer.request('GET', `/console/api/contacts/${theirContact}/deal`, { headers })).status,
    ).toBe(404);
    expect((await consoleServer.request('GET', `/console/api/contacts/${contactId}/deal`)).status).toBe(401);
  });
});
