import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { listAudit } from '../audit.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { consentHistory, currentConsent, recordConsent, revokeConsent } from './consent.ts';
import { suppressionsFor } from './suppressions.ts';

let db: Database;
let orgId: string;
let otherOrgId: string;
const api = { type: 'api_key', id: 'test-key' } as const;
const wording = 'I agree to receive marketing texts from Acme at this number. Reply STOP to opt out.';

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ orgId: otherOrgId } = await createOrganization(db, { name: 'Globex' }, systemActor));
});
afterAll(() => db.close());

let n = 0;
async function newContact(org = orgId): Promise<string> {
  n += 1;
  const { lead } = await upsertLead(
    db,
    org,
    { email: `consent${n}@example.com`, phone: `+1212555${String(1000 + n)}` },
    systemActor,
  );
  return lead.id;
}

describe('consent records', () => {
  it('starts with no consent of any type', async () => {
    const contactId = await newContact();
    expect(await currentConsent(db, orgId, contactId)).toEqual({
      email_marketing: { status: 'none' },
      sms_marketing: { status: 'none' },
      marketing_calls: { status: 'none' },
      ai_voice_calls: { status: 'none' },
    });
  });

  it('records a grant with its evidence and derives the current state from the latest record', async () => {
    const contactId = await newContact();
    const record = await recordConsent(
      db,
      orgId,
      {
        contactId,
        type: 'sms_marketing',
        method: 'web_form',
        evidence: {
          wording,
          pageUrl: 'https://acme.example/demo',
          ip: '203.0.113.7',
          userAgent: 'Mozilla/5.0',
          timestamp: '2026-07-15T12:00:00Z',
        },
      },
      api,
    );
    expect(record).toMatchObject({
      contactId,
      type: 'sms_marketing',
      action: 'given',
      method: 'web_form',
      evidence: { wording, pageUrl: 'https://acme.example/demo', ip: '203.0.113.7' },
    });
    const state = await currentConsent(db, orgId, contactId);
    expect(state.sms_marketing).toMatchObject({ status: 'given', method: 'web_form', recordId: record.id });
    expect(state.email_marketing.status).toBe('none');

    await revokeConsent(db, orgId, { contactId, type: 'sms_marketing', method: 'sms_keyword' }, api);
    expect((await currentConsent(db, orgId, contactId)).sms_marketing.status).toBe('revoked');
    await recordConsent(
      db,
      orgId,
      { contactId, type: 'sms_marketing', method: 'sms_keyword', evidence: { wording: 'Reply START' } },
      api,
    );
    expect((await currentConsent(db, orgId, contactId)).sms_marketing.status).toBe('given');
    const history = await consentHistory(db, orgId, contactId);
    expect(history.map((r) => r.action)).toEqual(['given', 'revoked', 'given']);
  });

  it('requires the consent wording and valid fields, and writes nothing otherwise', async () => {
    const contactId = await newContact();
    await expect(
      recordConsent(db, orgId, { contactId, type: 'sms_marketing', method: 'web_form', evidence: {} }, api),
    ).rejects.toThrow(/wording/);
    await expect(
      recordConsent(
        db,
        orgId,
        // @ts-expect-error: not a consent type
        { contactId, type: 'fax_marketing', method: 'web_form', evidence: { wording } },
        api,
      ),
    ).rejects.toThrow();
    await expect(
      recordConsent(
        db,
        orgId,
        { contactId, type: 'sms_marketing', method: 'web_form', evidence: { wording, ip: 'not-an-ip' } },
        api,
      ),
    ).rejects.toThrow(/IP/);
    expect(await consentHistory(db, orgId, contactId)).toEqual([]);
  });

  it("cannot touch another organization's contact", async () => {
    const theirs = await newContact(otherOrgId);
    await expect(
      recordConsent(
        db,
        orgId,
        { contactId: theirs, type: 'sms_marketing', method: 'api', evidence: { wording } },
        api,
      ),
    ).rejects.toMatchObject({ kind: 'not_found' });
    await expect(revokeConsent(db, orgId, { contactId: theirs, type: 'all' }, api)).rejects.toMatchObject({
      kind: 'not_found',
    });
    expect(await consentHistory(db, otherOrgId, theirs)).toEqual([]);
  });

  it('is append-only', async () => {
    const contactId = await newContact();
    await recordConsent(
      db,
      orgId,
      { contactId, type: 'email_marketing', method: 'api', evidence: { wording } },
      api,
    );
    await expect(
      db.query(`update consent_records set action = 'revoked' where contact_id = $1`, [contactId]),
    ).rejects.toThrow(/append-only/);
    await expect(db.query('delete from consent_records where contact_id = $1', [contactId])).rejects.toThrow(
      /append-only/,
    );
  });
});

describe('revocation', () => {
  it('announces consent.revoked in the outbox and audits it, once per type', async () => {
    const contactId = await newContact();
    await recordConsent(
      db,
      orgId,
      { contactId, type: 'email_marketing', method: 'api', evidence: { wording } },
      api,
    );
    const first = await revokeConsent(
      db,
      orgId,
      { contactId, type: 'all', method: 'conversation', evidence: { message: "don't contact me again" } },
      api,
    );
    expect(first.revoked.map((r) => r.type).sort()).toEqual([
      'ai_voice_calls',
      'email_marketing',
      'marketing_calls',
      'sms_marketing',
    ]);
    const again = await revokeConsent(db, orgId, { contactId, type: 'sms_marketing' }, api);
    expect(again).toEqual({ revoked: [], alreadyRevoked: ['sms_marketing'] });

    const events = await db.query<{ data: { consentType: string; method: string } }>(
      `select data from events where org_id = $1 and name = 'consent.revoked' and data->>'contactId' = $2`,
      [orgId, contactId],
    );
    expect(events.map((e) => e.data.consentType).sort()).toEqual([
      'ai_voice_calls',
      'email_marketing',
      'marketing_calls',
      'sms_marketing',
    ]);
    expect(events[0]!.data.method).toBe('conversation');
    const audit = await listAudit(db, orgId, { contactId });
    expect(audit.filter((e) => e.action === 'consent.revoked')).toHaveLength(1);
  });

  it('suppresses the email address when email marketing is revoked, and a new opt-in lifts it', async () => {
    const contactId = await newContact();
    await revokeConsent(db, orgId, { contactId, type: 'email_marketing', method: 'email_link' }, api);
    const email = `consent${n}@example.com`;
    expect(await suppressionsFor(db, orgId, 'email', email)).toEqual(['unsubscribed']);
    await recordConsent(
      db,
      orgId,
      { contactId, type: 'email_marketing', method: 'web_form', evidence: { wording } },
      api,
    );
    expect(await suppressionsFor(db, orgId, 'email', email)).toEqual([]);
  });
});
