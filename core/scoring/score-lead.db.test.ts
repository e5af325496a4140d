import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import type { Db } from '../db.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { breakdownJsonbText, rescoreOrganization, updateScoringProfile } from './rescore-organization.ts';
import { scoreLead } from './score-lead.ts';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

let db: Database;
let orgId: string;
let otherOrgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ orgId: otherOrgId } = await createOrganization(db, { name: 'Globex' }, systemActor));
});
afterAll(() => db.close());

async function newLead(org: string, email: string, fields: Record<string, unknown> = {}) {
  const { lead } = await upsertLead(db, org, { email, ...fields }, systemActor);
  return lead.id;
}

const history = (contactId: string) =>
  db.query<{ old_score: number | null; new_score: number; trigger: string; breakdown: unknown[] }>(
    'select old_score, new_score, trigger, breakdown from score_history where contact_id = $1 order by created_at, id',
    [contactId],
  );
const scoredEvents = (contactId: string) =>
  db.query<{ data: { orgId: string; contactId: string; oldScore: number | null; newScore: number } }>(
    `select data from events where name = 'lead.scored' and data ->> 'contactId' = $1 order by seq`,
    [contactId],
  );
const contact = async (contactId: string) =>
  (
    await db.query<{ lead_score: number | null; status: string; score_breakdown: { reason: string }[] }>(
      'select lead_score, status, score_breakdown from contacts where id = $1',
      [contactId],
    )
  )[0]!;

describe('scoreLead', () => {
  it('scores a new lead, stores the breakdown, moves it to "scored" and announces it once', async () => {
    const id = await newLead(orgId, 'vp@acme.example', {
      title: 'VP Sales',
      companySize: 120,
      industry: 'Software',
      country: 'US',
      source: 'demo_request',
    });
    const result = await scoreLead(db, orgId, id, 'lead.created');
    // 20 ICP + 15 size + 15 decision maker + 5 geography + 4 intent (source)
    expect(result).toMatchObject({ contactId: id, score: 59, oldScore: null, changed: true });
    expect(result.breakdown).toHaveLength(8);
    expect(await contact(id)).toMatchObject({ lead_score: 59, status: 'scored' });
    expect((await contact(id)).score_breakdown).toEqual(result.breakdown);
    expect(await history(id)).toMatchObject([{ old_score: null, new_score: 59, trigger: 'lead.created' }]);
    expect((await scoredEvents(id)).map((e) => e.data)).toEqual([
      { orgId, contactId: id, oldScore: null, newScore: 59 },
    ]);

    const again = await scoreLead(db, orgId, id, 'manual');
    expect(again).toMatchObject({ score: 59, oldScore: 59, changed: false, breakdown: result.breakdown });
    expect(await history(id)).toHaveLength(1);
    expect(await scoredEvents(id)).toHaveLength(1);
  });

  it('re-scores when the qualifier learns something, recording the trigger', async () => {
    const id = await newLead(orgId, 'buyer@acme.example', { title: 'Head of Sales' });
    await scoreLead(db, orgId, id, 'lead.created');
    await db.query(`update contacts set status = 'qualifying', qualification = $2 where id = $1`, [
      id,
      {
        outcome: null,
        bant: { budget: { amountCents: 1_000_000 }, timeline: { withinDays: 20 } },
        engagement: { messages: 5 },
      },
    ]);
    const result = await scoreLead(db, orgId, id, 'qualification.changed');
    expect(result).toMatchObject({ score: 15 + 15 + 6, oldScore: 15, changed: true });
    expect(await history(id)).toMatchObject([
      { old_score: null, new_score: 15, trigger: 'lead.created' },
      { old_score: 15, new_score: 36, trigger: 'qualification.changed' },
    ]);
    expect((await scoredEvents(id)).map((e) => [e.data.oldScore, e.data.newScore])).toEqual([
      [null, 15],
      [15, 36],
    ]);
    // Scoring never moves a lead backwards in the pipeline.
    expect((await contact(id)).status).toBe('qualifying');
  });

  it('updates the explanation without a history row when only a reason changes', async () => {
    const id = await newLead(orgId, 'retail@acme.example');
    await scoreLead(db, orgId, id, 'lead.created');
    await db.query(`update contacts set industry = 'Retail' where id = $1`, [id]);
    const result = await scoreLead(db, orgId, id, 'lead.updated');
    expect(result).toMatchObject({ score: 0, changed: false });
    expect((await contact(id)).score_breakdown[0]?.reason).toBe('Retail is not a target industry');
    expect(await history(id)).toHaveLength(1);
    expect(await scoredEvents(id)).toHaveLength(1);
  });

  it("refuses another organization's lead", async () => {
    const id = await newLead(orgId, 'private@acme.example');
    await expect(scoreLead(db, otherOrgId, id, 'manual')).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('rescoreOrganization', () => {
  it('re-scores every contact in batches, writing history and events once per changed score', async () => {
    const { orgId: org } = await createOrganization(db, { name: 'Initech' }, systemActor);
    const industries = ['Software', 'Healthcare', 'Retail', 'Logistics', 'Software', 'SaaS', 'Mining'];
    const ids: string[] = [];
    for (const [i, industry] of industries.entries())
      ids.push(await newLead(org, `p${i}@initech.example`, { industry, companySize: 60 }));
    const bystander = await newLead(otherOrgId, 'bystander@globex.example', { industry: 'Retail' });

    // First pass: every contact is new, so every score changes (null → n).
    expect(await rescoreOrganization(db, org, { batchSize: 3, trigger: 'manual' })).toEqual({
      rescored: 7,
      changed: 7,
    });
    for (const id of ids) expect((await contact(id)).status).toBe('scored');

    // The seller now targets logistics and mining: their scores go up, software ones go down.
    const before = await Promise.all(ids.map(async (id) => (await contact(id)).lead_score));
    const result = await updateScoringProfile(
      db,
      org,
      { industries: ['logistics', 'mining'], adjacentIndustries: [] },
      systemActor,
      { batchSize: 3 },
    );
    const after = await Promise.all(ids.map(async (id) => (await contact(id)).lead_score));
    const changedIds = ids.filter((_, i) => before[i] !== after[i]);
    expect(changedIds.length).toBe(6); // all but Retail (0 points before and after)
    expect(result).toMatchObject({ rescored: 7, changed: 6 });
    expect(result.profile.industries).toEqual(['logistics', 'mining']);

    for (const [i, id] of ids.entries()) {
      const rows = await history(id);
      const events = await scoredEvents(id);
      if (changedIds.includes(id)) {
        expect(rows.map((r) => r.trigger)).toEqual(['manual', 'profile.changed']);
        expect(rows[1]).toMatchObject({ old_score: before[i], new_score: after[i] });
        expect(events.map((e) => e.data)).toEqual([
          { orgId: org, contactId: id, oldScore: null, newScore: before[i] },
          { orgId: org, contactId: id, oldScore: before[i], newScore: after[i] },
        ]);
      } else {
        expect(rows).toHaveLength(1);
        expect(events).toHaveLength(1);
        // Same score under the new profile: no history row, no event.
        expect((await contact(id)).score_breakdown[0]?.reason).toBe('Retail is not a target industry');
      }
    }
    expect((await contact(ids[3]!)).score_breakdown[0]?.reason).toBe('Logistics is a target industry');

    // Nothing changed since: a second run writes nothing.
    expect(await rescoreOrganization(db, org, { batchSize: 3 })).toEqual({ rescored: 7, changed: 0 });
    for (const id of ids) expect((await history(id)).length).toBeLessThanOrEqual(2);

    // Other organizations are not touched.
    expect(await contact(bystander)).toMatchObject({ lead_score: null, status: 'new' });
  });

  it('handles an organization without contacts, and batch sizes that divide evenly', async () => {
    const { orgId: empty } = await createOrganization(db, { name: 'Empty' }, systemActor);
    expect(await rescoreOrganization(db, empty)).toEqual({ rescored: 0, changed: 0 });
    const { orgId: four } = await createOrganization(db, { name: 'Four' }, systemActor);
    for (let i = 0; i < 4; i++) await newLead(four, `f${i}@four.example`);
    expect(await rescoreOrganization(db, four, { batchSize: 2 })).toEqual({ rescored: 4, changed: 4 });
  });

  it('refuses an invalid profile and changes nothing', async () => {
    const { orgId: org } = await createOrganization(db, { name: 'Strict' }, systemActor);
    await expect(updateScoringProfile(db, org, { weights: { icpMatch: 50 } }, systemActor)).rejects.toThrow();
    const [row] = await db.query<{ settings: Record<string, unknown> }>(
      'select settings from organizations where id = $1',
      [org],
    );
    expect(row!.settings.scoringProfile).toBeUndefined();
  });
});

describe('rescoreOrganization writes', () => {
  it('compares breakdowns by the md5 of their jsonb text, whatever the characters', async () => {
    const { orgId: org } = await createOrganization(db, { name: 'Text' }, systemActor);
    const id = await newLead(org, 'text@text.example', {
      industry: 'Ünïcode "quoted" \\ back\tslash – ok',
      companySize: 1234,
      title: 'VP Sales',
    });
    const { breakdown } = await scoreLead(db, org, id, 'lead.created');
    const [row] = await db.query<{ hash: string }>(
      'select md5(score_breakdown::text) as hash from contacts where id = $1',
      [id],
    );
    expect(md5(breakdownJsonbText(breakdown))).toBe(row!.hash);
  });

  it('leaves rows untouched when nothing changed', async () => {
    const { orgId: org } = await createOrganization(db, { name: 'Still' }, systemActor);
    for (let i = 0; i < 5; i++)
      await newLead(org, `s${i}@still.example`, { industry: 'Software', title: 'CEO' });
    await rescoreOrganization(db, org, { batchSize: 2 });
    const versions = () =>
      db.query<{ v: string }>('select xmin::text as v from contacts where org_id = $1 order by id', [org]);
    const before = await versions();
    expect(await rescoreOrganization(db, org, { batchSize: 2 })).toEqual({ rescored: 5, changed: 0 });
    expect(await versions()).toEqual(before);
  });

  it('re-scores on its own a contact that changed between read and write', async () => {
    const { orgId: org } = await createOrganization(db, { name: 'Race' }, systemActor);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await newLead(org, `r${i}@race.example`, { title: 'Analyst' }));
    const target = ids[1]!;
    let raced = false;
    // The qualifier writes to the contact just before the batch is written back.
    const racing: Db = {
      query: async (sql, params) => {
        if (!raced && sql.includes('with scored as')) {
          raced = true;
          await db.query(`update contacts set title = 'CEO' where id = $1`, [target]);
        }
        return db.query(sql, params);
      },
      transaction: (work) => db.transaction(work),
    };
    expect(await rescoreOrganization(racing, org, { trigger: 'manual' })).toEqual({
      rescored: 3,
      changed: 3,
    });
    expect((await contact(target)).lead_score).toBe(15); // scored as CEO, not as the Analyst it read
    expect((await history(target)).map((h) => [h.old_score, h.new_score, h.trigger])).toEqual([
      [null, 15, 'manual'],
    ]);
    expect(await scoredEvents(target)).toHaveLength(1);
  });
});
