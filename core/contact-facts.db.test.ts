import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../agents/offline-model/offline-qualifier.ts';
import type { Database } from '../server/db/database.ts';
import { createConversationHarness, newVisitorId } from '../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { systemActor } from './actor.ts';
import { listAudit } from './audit.ts';
import { applyContactFacts } from './contact-facts.ts';
import { receiveInbound } from './conversations/conversation-service.ts';
import { identifyVisitor } from './conversations/visitor-identity.ts';
import { getLead, upsertLead } from './leads.ts';
import { createOrganization } from './organizations.ts';
import { scoreLead } from './scoring/score-lead.ts';

/**
 * The conversation fills the lead: what a prospect says about themselves reaches the contact with
 * its message as the source, is re-scored, and never silently replaces a more trusted value.
 */
let db: Database;
let orgId: string;
let harness: ReturnType<typeof createConversationHarness>;
beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  harness = createConversationHarness({ db, model: createOfflineQualifier() });
});
afterAll(() => db.close());

const apiActor = { type: 'api_key' as const, id: 'test-key' };

async function dialogue(lines: string[]) {
  const visitorId = newVisitorId();
  const turns = [];
  for (const line of lines) turns.push(await harness.chat(orgId, visitorId, line));
  return { visitorId, turns, contactId: turns[0]!.contactId };
}

const updatedEvents = async (contactId: string) =>
  (await harness.events(orgId, 'lead.updated')).filter((event) => event.contactId === contactId);

describe('facts stated in conversation', () => {
  it('fill the lead with their message as the source, re-score it and name the conversation in the breakdown', async () => {
    const { turns, contactId } = await dialogue([
      "Hi, I'm Dana Reyes, VP of Sales at Northwind Logistics. We're a 300-person company.",
      'Our forecasts are always wrong and deals slip without warning.',
      'You can call me at +1 415 555 0199.',
      'We have around $50k a year for this.',
      'We want something in place within 30 days.',
      'We use Clari today but it is too expensive.',
    ]);
    const [intro, , phoneTurn, , , toolsTurn] = turns.map((turn) => turn.message.id);
    const conversationId = turns[0]!.conversation.id;

    const lead = await getLead(db, orgId, contactId);
    expect(lead).toMatchObject({
      firstName: 'Dana',
      lastName: 'Reyes',
      title: 'VP of Sales',
      company: 'Northwind Logistics',
      companySize: 300,
      phone: '+14155550199',
      tools: ['Clari'],
      conflicts: [],
    });
    const fromMessage = (messageId: string) => ({ source: 'conversation', messageId, conversationId });
    expect(lead.sources).toMatchObject({
      firstName: fromMessage(intro!),
      lastName: fromMessage(intro!),
      title: fromMessage(intro!),
      company: fromMessage(intro!),
      companySize: fromMessage(intro!),
      phone: fromMessage(phoneTurn!),
      tools: fromMessage(toolsTurn!),
    });

    // Each change is announced for the re-scoring workflow and audited with its message.
    const updated = await updatedEvents(contactId);
    expect(updated).toContainEqual(
      expect.objectContaining({ fields: ['firstName', 'lastName', 'company', 'title', 'companySize'] }),
    );
    expect(updated).toContainEqual(expect.objectContaining({ fields: ['phone'] }));
    const audit = await listAudit(db, orgId, { contactId });
    expect(audit).toContainEqual(
      expect.objectContaining({
        actorType: 'agent',
        action: 'lead.updated',
        details: expect.objectContaining({ fields: ['phone'], messageId: phoneTurn, source: 'conversation' }),
      }),
    );

    // The workflow's step (`lead.updated` → scoreLead): the breakdown says where the size came from.
    const scored = await scoreLead(db, orgId, contactId, 'lead.updated');
    const reasons = Object.fromEntries(scored.breakdown.map((entry) => [entry.signal, entry.reason]));
    expect(reasons.companySize).toMatch(/^300 employees, stated in conversation, is in the .+ band$/);
    expect(reasons.decisionMaker).toBe('VP of Sales, stated in conversation, is a decision maker');
    expect(scored.breakdown.find((entry) => entry.signal === 'companySize')!.points).toBeGreaterThan(0);
    expect(
      (await harness.events(orgId, 'lead.scored')).filter((event) => event.contactId === contactId),
    ).toHaveLength(1);
    expect((await getLead(db, orgId, contactId)).scoreBreakdown).toEqual(scored.breakdown);
  });

  it('keep a fact that disagrees with the API’s as a conflict, without overwriting it', async () => {
    const { lead: created } = await upsertLead(
      db,
      orgId,
      { email: 'jo@globex.example', firstName: 'Jo', company: 'Globex' },
      apiActor,
    );
    expect(created.sources.company).toMatchObject({ source: 'api' });
    const turn = await receiveInbound(harness.deps, {
      orgId,
      channel: 'email',
      from: { email: 'jo@globex.example' },
      subject: 'Forecasting',
      body: 'Hi, I work at Initech and our forecasts are always wrong.',
    });
    expect(turn.contactId).toBe(created.id);

    const lead = await getLead(db, orgId, created.id);
    expect(lead.company).toBe('Globex');
    expect(lead.sources.company).toMatchObject({ source: 'api' });
    expect(lead.conflicts).toEqual([
      expect.objectContaining({
        field: 'company',
        value: 'Initech',
        source: 'conversation',
        messageId: turn.message.id,
        current: 'Globex',
        currentSource: 'api',
        reason: 'trusted_value',
      }),
    ]);
    expect(await listAudit(db, orgId, { contactId: created.id })).toContainEqual(
      expect.objectContaining({ action: 'lead.fact_conflict', outcome: 'refused' }),
    );
    // Nothing was written, so nothing is re-scored for it.
    expect((await updatedEvents(created.id)).some((e) => (e.fields as string[]).includes('company'))).toBe(
      false,
    );
  });

  it('never take another contact’s email: no merge, the address kept as a conflict', async () => {
    const { lead: other } = await upsertLead(db, orgId, { email: 'taken@example.com' }, apiActor);
    const { contactId, turns } = await dialogue(["I'm Sam, my email is taken@example.com"]);
    expect(contactId).not.toBe(other.id);

    const lead = await getLead(db, orgId, contactId);
    expect(lead.email).toBeNull();
    expect(lead.firstName).toBe('Sam');
    expect(lead.conflicts).toEqual([
      expect.objectContaining({
        field: 'email',
        value: 'taken@example.com',
        reason: 'other_contact',
        otherContactId: other.id,
        messageId: turns[0]!.message.id,
      }),
    ]);
    const untouched = await getLead(db, orgId, other.id);
    expect(untouched).toMatchObject({ email: 'taken@example.com', firstName: null, conflicts: [] });
    expect(
      await db.query('select 1 from conversations where org_id = $1 and contact_id = $2', [orgId, other.id]),
    ).toEqual([]);
  });

  it('never overwrite what the pre-chat form said, but fill in what it did not', async () => {
    const visitorId = newVisitorId();
    const { contactId } = await identifyVisitor(
      db,
      { orgId, visitorId },
      { name: 'Pat Lee', email: 'pat@lee.example', consent: false, wording: 'Chat with us' },
    );
    const turn = await harness.chat(orgId, visitorId, "Hi, I'm Patricia Lee, head of sales at Hooli.");
    expect(turn.contactId).toBe(contactId);

    const lead = await getLead(db, orgId, contactId);
    expect(lead).toMatchObject({
      firstName: 'Pat',
      lastName: 'Lee',
      title: 'Head of Sales',
      company: 'Hooli',
    });
    expect(lead.sources).toMatchObject({
      firstName: { source: 'prechat' },
      lastName: { source: 'prechat' },
      email: { source: 'prechat' },
      title: { source: 'conversation', messageId: turn.message.id },
      company: { source: 'conversation', messageId: turn.message.id },
    });
    expect(lead.conflicts).toEqual([
      expect.objectContaining({
        field: 'firstName',
        value: 'Patricia',
        current: 'Pat',
        currentSource: 'prechat',
        reason: 'trusted_value',
      }),
    ]);
  });

  it('let a later statement replace an earlier one of the conversation', async () => {
    const { turns, contactId } = await dialogue([
      "Hi, we're about 300 people and our forecasts are a mess.",
      'Sorry, correction: we have 350 employees now.',
    ]);
    const lead = await getLead(db, orgId, contactId);
    expect(lead.companySize).toBe(350);
    expect(lead.sources.companySize).toMatchObject({
      source: 'conversation',
      messageId: turns[1]!.message.id,
    });
    expect(lead.conflicts).toEqual([]);
    expect(await listAudit(db, orgId, { contactId })).toContainEqual(
      expect.objectContaining({
        action: 'lead.updated',
        details: expect.objectContaining({ fields: ['companySize'], replaced: ['companySize'] }),
      }),
    );
  });
});

describe('applyContactFacts', () => {
  const apply = (contactId: string, facts: Parameters<typeof applyContactFacts>[1]['facts']) =>
    db.transaction((tx) =>
      applyContactFacts(tx, {
        orgId,
        contactId,
        facts,
        origin: {},
        actor: { type: 'agent', id: 'qualifier' },
        now: new Date(),
      }),
    );

  it('ignores values that are not values of their field and applies the rest', async () => {
    const { lead } = await upsertLead(db, orgId, { email: 'bad-values@example.com' }, apiActor);
    const result = await apply(lead.id, {
      email: 'not an email',
      phone: '12',
      website: 'not a site',
      companySize: 40,
      country: 'Germany',
    });
    expect(result.ignored).toEqual(['email', 'phone', 'website']);
    expect(result.applied).toEqual(['companySize', 'country']);
    const after = await getLead(db, orgId, lead.id);
    expect(after).toMatchObject({
      email: 'bad-values@example.com',
      phone: null,
      companySize: 40,
      country: 'DE',
    });
  });

  it('keeps a stated fact that disagrees with a sourced enrichment as a conflict', async () => {
    const { lead } = await upsertLead(db, orgId, { email: 'enriched@example.com' }, apiActor);
    await db.query(`update contacts set enrichment = $2 where id = $1`, [
      lead.id,
      { fields: { companySize: { value: 250, source: 'perplexity', at: new Date().toISOString() } } },
    ]);
    const result = await apply(lead.id, { companySize: 300, industry: 'Logistics' });
    expect(result.applied).toEqual(['industry']);
    expect(result.conflicts).toEqual([
      expect.objectContaining({
        field: 'companySize',
        value: 300,
        current: 250,
        currentSource: 'enrichment:perplexity',
        reason: 'enrichment_value',
      }),
    ]);
    expect((await getLead(db, orgId, lead.id)).companySize).toBeNull();
  });

  it('treats a value written before provenance was kept as trusted', async () => {
    const { lead } = await upsertLead(db, orgId, { email: 'legacy@example.com' }, apiActor);
    await db.query(`update contacts set title = 'CFO', field_sources = '{}' where id = $1`, [lead.id]);
    const result = await apply(lead.id, { title: 'Analyst' });
    expect(result.applied).toEqual([]);
    expect(result.conflicts).toEqual([
      expect.objectContaining({ field: 'title', current: 'CFO', currentSource: 'unrecorded' }),
    ]);
  });
});
