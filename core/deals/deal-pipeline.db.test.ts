import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { Actor } from '../actor.ts';
import { systemActor } from '../actor.ts';
import { createOrganization } from '../organizations.ts';
import { createRep, type Rep } from '../reps.ts';
import {
  advanceDeal,
  changeDeal,
  type DealStage,
  dealPatchSchema,
  findLeadDeal,
  getDeal,
  leadDealId,
  listDeals,
  openLeadDeal,
  winDeal,
} from './deal-pipeline.ts';
import { changeDealAsRep, leadDealForRep } from './rep-deals.ts';

/**
 * The pipeline's rules on a real database: one deal per lead, a won deal is final, `lost` needs a
 * reason, an agent only moves forward (a rep's decision made during its turn stands), and every
 * move leaves a history row, an audit entry and one `deal.stage.changed`.
 */
let db: Database;
let orgId: string;
let otherOrgId: string;
let repId: string;
const closer: Actor = { type: 'agent', id: 'closer' };
const apiKey: Actor = { type: 'api_key', id: 'key-1' };

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ orgId: otherOrgId } = await createOrganization(db, { name: 'Globex' }, systemActor));
  ({ repId } = await createRep(
    db,
    { orgId, email: 'rae@acme.example', password: 'long-enough-pw', name: 'Rae' },
    systemActor,
  ));
});
afterAll(() => db.close());

async function newContact(org = orgId): Promise<string> {
  const rows = await db.query<{ id: string }>(
    `insert into contacts (org_id, email, status) values ($1, $2, 'routed') returning id`,
    [org, `lead-${randomUUID().slice(0, 8)}@prospect.example`],
  );
  return rows[0]!.id;
}

async function newDeal(amountCents: number | null = 1_200_000, org = orgId) {
  const contactId = await newContact(org);
  const deal = await db.transaction((tx) =>
    openLeadDeal(tx, { orgId: org, contactId, amountCents, currency: 'usd', actor: systemActor }),
  );
  return { contactId, dealId: deal.id };
}

const moves = async (dealId: string) =>
  (
    await db.query<{ data: { from: DealStage | null; to: DealStage } }>(
      `select data from events where name = 'deal.stage.changed' and data ->> 'dealId' = $1 order by seq`,
      [dealId],
    )
  ).map((row) => `${row.data.from}→${row.data.to}`);

const audits = async (dealId: string) =>
  db.query<{ action: string; actor_type: string; details: Record<string, unknown> }>(
    `select action, actor_type, details from audit_log where entity_type = 'deal' and entity_id = $1 order by seq`,
    [dealId],
  );

const change = (dealId: string, patch: Parameters<typeof changeDeal>[1]['patch'], actor: Actor = apiKey) =>
  changeDeal(db, { orgId, dealId, patch, actor });

describe('openLeadDeal', () => {
  it('opens one deal per lead at qualified, with its history, audit and event, however often it is called', async () => {
    const contactId = await newContact();
    const open = () =>
      db.transaction((tx) =>
        openLeadDeal(tx, { orgId, contactId, amountCents: null, currency: 'eur', actor: systemActor }),
      );
    const first = await open();
    expect(first).toMatchObject({
      id: leadDealId(contactId),
      orgId,
      contactId,
      stage: 'qualified',
      amountCents: null,
      currency: 'eur',
      ownerId: null,
      stageChangedAt: expect.any(Date),
    });
    expect(await open()).toEqual(first);
    expect(await moves(first.id)).toEqual(['null→qualified']);
    expect((await audits(first.id)).map((row) => row.action)).toEqual(['deal.opened']);
    expect((await getDeal(db, orgId, first.id)).history).toEqual([
      {
        fromStage: null,
        toStage: 'qualified',
        amountCents: null,
        actor: { type: 'system', id: 'system' },
        reason: expect.any(String),
        at: expect.any(Date),
      },
    ]);
    expect(await findLeadDeal(db, orgId, contactId)).toEqual(first);
  });

  it('gives an existing deal only the owner and amount it did not have, never a new stage', async () => {
    const { contactId, dealId } = await newDeal(null);
    await change(dealId, { stage: 'negotiation' });
    const again = await db.transaction((tx) =>
      openLeadDeal(tx, {
        orgId,
        contactId,
        amountCents: 5_000,
        currency: 'usd',
        ownerId: repId,
        actor: systemActor,
      }),
    );
    expect(again).toMatchObject({ stage: 'negotiation', amountCents: 5_000, ownerId: repId });
    const third = await db.transaction((tx) =>
      openLeadDeal(tx, {
        orgId,
        contactId,
        amountCents: 9_999,
        currency: 'usd',
        ownerId: null,
        actor: systemActor,
      }),
    );
    expect(third).toMatchObject({ stage: 'negotiation', amountCents: 5_000, ownerId: repId });
    expect(await moves(dealId)).toEqual(['null→qualified', 'qualified→negotiation']);
    const trail = await audits(dealId);
    expect(trail.map((row) => row.action)).toEqual(['deal.opened', 'deal.stage.changed', 'deal.updated']);
    expect(trail[2]!.details).toEqual({
      before: { amountCents: null, ownerId: null },
      after: { amountCents: 5_000, ownerId: repId },
    });
    const [stored] = await db.query<{ proposal_is_null: boolean }>(
      'select proposal is null as proposal_is_null from deals where id = $1',
      [dealId],
    );
    expect(stored!.proposal_is_null).toBe(true);
  });
});

describe('changeDeal: a person’s change', () => {
  it('refuses to move a won deal (conflict) and lost without a reason (invalid), naming the rule', async () => {
    const { dealId } = await newDeal();
    await expect(change(dealId, { stage: 'lost' })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('needs a reason'),
    });
    await expect(change(dealId, { stage: 'lost', lostReason: '   ' })).rejects.toThrow();
    expect((await getDeal(db, orgId, dealId)).stage).toBe('qualified');

    const won = await change(dealId, { stage: 'won' });
    expect(won).toMatchObject({ stage: 'won', wonAt: expect.any(Date) });
    await expect(change(dealId, { stage: 'lost', lostReason: 'changed their mind' })).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining('a won deal is final'),
    });
    await expect(change(dealId, { stage: 'negotiation' })).rejects.toMatchObject({ kind: 'conflict' });
    // Not a stage change: a won deal's amount can still be corrected.
    expect(await change(dealId, { amountCents: 1_000_000 })).toMatchObject({
      stage: 'won',
      amountCents: 1_000_000,
    });
  });

  it('reopens a lost deal, clearing the reason and when it was lost', async () => {
    const { dealId } = await newDeal();
    const lost = await change(dealId, { stage: 'lost', lostReason: 'chose a competitor' });
    expect(lost).toMatchObject({ stage: 'lost', lostReason: 'chose a competitor', lostAt: expect.any(Date) });
    const reopened = await change(dealId, { stage: 'proposal' });
    expect(reopened).toMatchObject({ stage: 'proposal', lostReason: null, lostAt: null });
    const history = (await getDeal(db, orgId, dealId)).history;
    expect(history.map((row) => `${row.fromStage}→${row.toStage}`)).toEqual([
      'null→qualified',
      'qualified→lost',
      'lost→proposal',
    ]);
    expect(history[1]).toMatchObject({
      reason: 'chose a competitor',
      actor: { type: 'api_key', id: 'key-1' },
    });
  });

  it('audits every move and every other change, and a no-op changes nothing', async () => {
    const { contactId, dealId } = await newDeal();
    const before = await getDeal(db, orgId, dealId);
    const same = await change(dealId, { stage: 'qualified', amountCents: 1_200_000 });
    expect(same.updatedAt).toEqual(before.updatedAt);
    expect(await moves(dealId)).toEqual(['null→qualified']);
    expect(await audits(dealId)).toHaveLength(1);

    await change(dealId, { amountCents: 900_000, ownerId: repId });
    await change(dealId, { stage: 'negotiation' });
    const trail = await audits(dealId);
    expect(trail.map((row) => row.action)).toEqual(['deal.opened', 'deal.updated', 'deal.stage.changed']);
    expect(trail[1]!.details).toMatchObject({
      before: { amountCents: 1_200_000, ownerId: null },
      after: { amountCents: 900_000, ownerId: repId },
    });
    expect(trail[2]!.details).toEqual({
      from: 'qualified',
      to: 'negotiation',
      amountCents: 900_000,
      reason: null,
    });
    const contactTrail = await db.query('select 1 from audit_log where contact_id = $1 and entity_id = $2', [
      contactId,
      dealId,
    ]);
    expect(contactTrail).toHaveLength(3);
    const events = await db.query<{ data: Record<string, unknown> }>(
      `select data from events where name = 'deal.stage.changed' and data ->> 'dealId' = $1 order by seq`,
      [dealId],
    );
    expect(events.at(-1)!.data).toEqual({
      orgId,
      contactId,
      dealId,
      from: 'qualified',
      to: 'negotiation',
      amountCents: 900_000,
    });
  });

  it('takes an owner only from the active reps of the same organization, and a strict body', async () => {
    const { dealId } = await newDeal();
    const { repId: stranger } = await createRep(
      db,
      { orgId: otherOrgId, email: 'sam@globex.example', password: 'long-enough-pw' },
      systemActor,
    );
    await expect(change(dealId, { ownerId: stranger })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(change(dealId, { ownerId: randomUUID() })).rejects.toMatchObject({ kind: 'invalid' });
    const { repId: gone } = await createRep(
      db,
      { orgId, email: 'gone@acme.example', password: 'long-enough-pw' },
      systemActor,
    );
    await db.query('update users set active = false where id = $1', [gone]);
    await expect(change(dealId, { ownerId: gone })).rejects.toMatchObject({ kind: 'invalid' });
    expect(await change(dealId, { ownerId: repId })).toMatchObject({ ownerId: repId });
    expect(await change(dealId, { ownerId: null })).toMatchObject({ ownerId: null });

    expect(dealPatchSchema.safeParse({ stage: 'won', probability: 90 }).success).toBe(false);
    expect(dealPatchSchema.safeParse({ amountCents: 1.5 }).success).toBe(false);
    expect(dealPatchSchema.safeParse({ amountCents: -1 }).success).toBe(false);
    expect(dealPatchSchema.safeParse({ stage: 'closed' }).success).toBe(false);
    await expect(change(dealId, { amountCents: -5 })).rejects.toThrow();
  });
});

describe('advanceDeal: the closer moves forward only', () => {
  it('moves forward with the amount and the proposal, and at the same stage only updates them', async () => {
    const { dealId } = await newDeal(null);
    const proposal = { plan: 'Growth', seats: 12, unitPriceCents: 4_900 };
    const moved = await db.transaction((tx) =>
      advanceDeal(tx, { orgId, dealId, to: 'proposal', amountCents: 705_600, proposal, actor: closer }),
    );
    expect(moved).toMatchObject({ moved: true, deal: { stage: 'proposal', amountCents: 705_600, proposal } });
    const revised = await db.transaction((tx) =>
      advanceDeal(tx, {
        orgId,
        dealId,
        to: 'proposal',
        amountCents: 588_000,
        proposal: { ...proposal, seats: 10 },
        actor: closer,
      }),
    );
    expect(revised).toMatchObject({
      moved: false,
      deal: { stage: 'proposal', amountCents: 588_000, proposal: { seats: 10 } },
    });
    const back = await db.transaction((tx) =>
      advanceDeal(tx, { orgId, dealId, to: 'qualified', actor: closer }),
    );
    expect(back).toMatchObject({ moved: false, deal: { stage: 'proposal' } });
    await db.transaction((tx) =>
      advanceDeal(tx, { orgId, dealId, to: 'negotiation', actor: closer, reason: 'objection: price' }),
    );
    const deal = await getDeal(db, orgId, dealId);
    expect(deal.history.slice(1)).toEqual([
      expect.objectContaining({
        fromStage: 'qualified',
        toStage: 'proposal',
        amountCents: 705_600,
        actor: closer,
      }),
      expect.objectContaining({ fromStage: 'proposal', toStage: 'negotiation', reason: 'objection: price' }),
    ]);
    expect(await moves(dealId)).toEqual(['null→qualified', 'qualified→proposal', 'proposal→negotiation']);
    expect((await audits(dealId)).map((row) => `${row.action} ${row.actor_type}`)).toEqual([
      'deal.opened system',
      'deal.updated agent',
      'deal.stage.changed agent',
      'deal.updated agent',
      'deal.stage.changed agent',
    ]);
  });

  it('never overrides a rep who closed the deal while the closer was mid-turn', async () => {
    const { contactId, dealId } = await newDeal();
    // The closer's turn starts: it reads the deal at qualified and goes off to the model.
    const seenByCloser = await findLeadDeal(db, orgId, contactId);
    expect(seenByCloser!.stage).toBe('qualified');
    // Meanwhile a rep marks it lost from the console.
    await change(dealId, { stage: 'lost', lostReason: 'bought elsewhere' }, { type: 'rep', id: repId });
    // The turn ends with the closer proposing: nothing changes.
    const late = await db.transaction((tx) =>
      advanceDeal(tx, {
        orgId,
        dealId,
        to: 'proposal',
        amountCents: 1,
        proposal: { plan: 'Starter' },
        actor: closer,
      }),
    );
    expect(late).toMatchObject({
      moved: false,
      deal: { stage: 'lost', lostReason: 'bought elsewhere', amountCents: 1_200_000, proposal: null },
    });
    expect(await moves(dealId)).toEqual(['null→qualified', 'qualified→lost']);

    const { dealId: won } = await newDeal();
    await db.transaction((tx) => winDeal(tx, { orgId, dealId: won, actor: systemActor, now: new Date() }));
    const afterWin = await db.transaction((tx) =>
      advanceDeal(tx, { orgId, dealId: won, to: 'negotiation', actor: closer }),
    );
    expect(afterWin).toMatchObject({ moved: false, deal: { stage: 'won' } });
  });

  it('waits for a rep change holding the row, then sees it (the row lock)', async () => {
    const { dealId } = await newDeal();
    let releaseRep!: () => void;
    let repLocked!: () => void;
    const repHolds = new Promise<void>((resolve) => {
      releaseRep = resolve;
    });
    const locked = new Promise<void>((resolve) => {
      repLocked = resolve;
    });
    const rep = db.transaction(async (tx) => {
      await tx.query('select 1 from deals where id = $1 for update', [dealId]);
      repLocked();
      await repHolds;
      await tx.query(
        `update deals set stage = 'lost', lost_reason = 'no budget', lost_at = now() where id = $1`,
        [dealId],
      );
    });
    await locked;
    const closerMove = db.transaction((tx) =>
      advanceDeal(tx, { orgId, dealId, to: 'proposal', actor: closer }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    releaseRep();
    await rep;
    expect(await closerMove).toMatchObject({ moved: false, deal: { stage: 'lost' } });
  });
});

describe('winDeal', () => {
  it('wins once, with its history, and reads the history in the order of the moves whatever the clocks', async () => {
    const contactId = await newContact();
    const opened = new Date('2031-01-01T00:00:00Z');
    await db.transaction((tx) =>
      openLeadDeal(tx, {
        orgId,
        contactId,
        amountCents: 100,
        currency: 'usd',
        actor: systemActor,
        now: opened,
      }),
    );
    const dealId = leadDealId(contactId);
    const earlier = new Date('2030-01-01T00:00:00Z');
    const first = await db.transaction((tx) =>
      winDeal(tx, { orgId, dealId, actor: systemActor, now: earlier, reason: 'payment completed' }),
    );
    expect(first).toMatchObject({
      moved: true,
      deal: { stage: 'won', wonAt: earlier, stageChangedAt: earlier },
    });
    const again = await db.transaction((tx) =>
      winDeal(tx, { orgId, dealId, actor: systemActor, now: new Date() }),
    );
    expect(again).toMatchObject({ moved: false, deal: { stage: 'won', wonAt: earlier } });
    expect((await getDeal(db, orgId, dealId)).history.map((row) => row.toStage)).toEqual([
      'qualified',
      'won',
    ]);
    expect(await moves(dealId)).toEqual(['null→qualified', 'qualified→won']);
  });
});

describe('organizations', () => {
  it('never shows or moves another organization’s deal', async () => {
    const { contactId, dealId } = await newDeal(500, otherOrgId);
    await expect(getDeal(db, orgId, dealId)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(change(dealId, { stage: 'proposal' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      db.transaction((tx) => advanceDeal(tx, { orgId, dealId, to: 'proposal', actor: closer })),
    ).rejects.toMatchObject({ kind: 'not_found' });
    await expect(
      db.transaction((tx) => winDeal(tx, { orgId, dealId, actor: systemActor, now: new Date() })),
    ).rejects.toMatchObject({ kind: 'not_found' });
    expect(await findLeadDeal(db, orgId, contactId)).toBeNull();
    expect((await listDeals(db, orgId, { contactId })).items).toEqual([]);
    expect((await listDeals(db, otherOrgId, { contactId })).items.map((deal) => deal.id)).toEqual([dealId]);
    expect((await getDeal(db, otherOrgId, dealId)).stage).toBe('qualified');
  });
});

describe('listDeals', () => {
  it('lists newest change first, a page at a time, filtered by stage and owner', async () => {
    const { orgId: fresh } = await createOrganization(db, { name: 'Initech' }, systemActor);
    const { repId: owner } = await createRep(
      db,
      { orgId: fresh, email: 'owner@initech.example', password: 'long-enough-pw' },
      systemActor,
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newDeal(i * 100, fresh)).dealId);
    await changeDeal(db, {
      orgId: fresh,
      dealId: ids[1]!,
      patch: { stage: 'proposal', ownerId: owner },
      actor: apiKey,
    });
    const first = await listDeals(db, fresh, { limit: 2 });
    expect(first.items.map((deal) => deal.id)).toEqual([ids[1], ids[4]]);
    const second = await listDeals(db, fresh, { limit: 2, cursor: first.nextCursor! });
    const third = await listDeals(db, fresh, { limit: 2, cursor: second.nextCursor! });
    expect([...second.items, ...third.items].map((deal) => deal.id)).toEqual([ids[3], ids[2], ids[0]]);
    expect(third.nextCursor).toBeNull();
    expect((await listDeals(db, fresh, { stage: 'proposal' })).items.map((deal) => deal.id)).toEqual([
      ids[1],
    ]);
    expect((await listDeals(db, fresh, { ownerId: owner })).items.map((deal) => deal.id)).toEqual([ids[1]]);
    await expect(listDeals(db, fresh, { cursor: 'not-a-cursor' })).rejects.toMatchObject({ kind: 'invalid' });
  });
});

describe('the console: a rep’s view of deals', () => {
  it('shows the lead’s deal (or null) and lets a rep move it as themselves; hidden leads are not found', async () => {
    const { orgId: shop } = await createOrganization(db, { name: 'Umbrella' }, systemActor);
    const reps: Rep[] = [];
    for (const name of ['ann', 'ben']) {
      const { repId: id } = await createRep(
        db,
        { orgId: shop, email: `${name}@umbrella.example`, password: 'long-enough-pw' },
        systemActor,
      );
      reps.push({
        id,
        orgId: shop,
        email: `${name}@umbrella.example`,
        name: null,
        role: 'rep',
        territory: null,
        expertise: [],
        capacity: 20,
        winRate: 0,
      });
    }
    const [ann, ben] = reps as [Rep, Rep];
    const fresh = await newContact(shop);
    expect(await leadDealForRep(db, ann, fresh)).toBeNull();
    await expect(leadDealForRep(db, ann, randomUUID())).rejects.toMatchObject({ kind: 'not_found' });

    const { contactId, dealId } = await newDeal(2_000, shop);
    await db.transaction((tx) =>
      openLeadDeal(tx, {
        orgId: shop,
        contactId,
        amountCents: null,
        currency: 'usd',
        ownerId: ann.id,
        actor: systemActor,
      }),
    );
    expect(await leadDealForRep(db, ben, contactId)).toMatchObject({
      id: dealId,
      history: [expect.anything()],
    });
    const moved = await changeDealAsRep(db, ann, dealId, { stage: 'negotiation' });
    expect(moved.stage).toBe('negotiation');
    expect((await getDeal(db, shop, dealId)).history.at(-1)!.actor).toEqual({ type: 'rep', id: ann.id });

    // Reps see only their own leads: Ben no longer sees Ann's deal.
    await db.query(
      `update organizations set settings = settings || '{"console": {"repVisibility": "assigned"}}'::jsonb where id = $1`,
      [shop],
    );
    expect(await leadDealForRep(db, ann, contactId)).toMatchObject({ id: dealId, stage: 'negotiation' });
    await expect(leadDealForRep(db, ben, contactId)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(changeDealAsRep(db, ben, dealId, { stage: 'lost', lostReason: 'x' })).rejects.toMatchObject({
      kind: 'not_found',
    });
    // Another organization's rep: not found either.
    await expect(
      changeDealAsRep(db, ann, (await newDeal(1, orgId)).dealId, { stage: 'proposal' }),
    ).rejects.toMatchObject({ kind: 'not_found' });
  });
});
