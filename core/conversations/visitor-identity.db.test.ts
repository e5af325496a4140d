import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import type { Database } from '../../server/db/database.ts';
import { createConversationHarness, newVisitorId } from '../../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { systemActor } from '../actor.ts';
import { currentConsent } from '../compliance/consent.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { identifyVisitor, visitorTranscript } from './visitor-identity.ts';

let db: Database;
let orgId: string;
let harness: ReturnType<typeof createConversationHarness>;
beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  harness = createConversationHarness({ db, model: createOfflineQualifier({}) });
});
afterAll(() => db.close());

const contactOf = async (visitorId: string) =>
  (
    await db.query<{ id: string; email: string | null }>(
      `select k.id, k.email from conversations c join contacts k on k.id = c.contact_id where c.visitor_id = $1`,
      [visitorId],
    )
  )[0]!;

describe('web visitor identity', () => {
  it('moves an anonymous chat to the contact named in the pre-chat form, with the consent evidence', async () => {
    const visitorId = newVisitorId();
    await harness.chat(orgId, visitorId, 'Hello there');
    const wording = 'I agree that Acme may email me about its products.';
    const { contactId } = await identifyVisitor(
      db,
      { orgId, visitorId, ip: '203.0.113.9' },
      { name: 'Pat Lee', email: 'Pat@Example.com', consent: true, wording },
    );
    expect((await contactOf(visitorId)).id).toBe(contactId);
    const consent = await currentConsent(db, orgId, contactId);
    expect(JSON.stringify(consent)).toContain('email_marketing');
    const transcript = await visitorTranscript(db, orgId, visitorId, 0);
    expect(transcript.messages[0]?.body).toBe('Hello there');
  });

  it('refuses a pre-chat with neither email nor phone, changing nothing', async () => {
    const visitorId = newVisitorId();
    await expect(
      identifyVisitor(db, { orgId, visitorId }, { name: 'X', consent: false, wording: 'w' }),
    ).rejects.toThrow(/email address or a phone number/);
    expect(await db.query('select 1 from conversations where visitor_id = $1', [visitorId])).toEqual([]);
  });

  it('refuses details that try to name the organization or visitor, changing nothing', async () => {
    const visitorId = newVisitorId();
    const [otherOrg] = await db.query<{ id: string }>(
      `insert into organizations (name, widget_key) values ('Other', $1) returning id`,
      [`qhw_other_${visitorId}`],
    );
    const forged = { orgId: otherOrg!.id, visitorId: newVisitorId(), email: 'x@example.com' };
    await expect(
      identifyVisitor(db, { orgId, visitorId }, { ...forged, consent: true, wording: 'w' } as never),
    ).rejects.toThrow(/orgId/);
    expect(await db.query('select 1 from contacts where org_id = $1', [otherOrg!.id])).toEqual([]);
  });

  it('syncs a message committed after a later-numbered one the widget has already seen', async () => {
    const visitorId = newVisitorId();
    const first = await harness.chat(orgId, visitorId, 'Hello');
    const [{ top }] = (await db.query<{ top: number }>('select max(seq)::int as top from messages')) as [
      { top: number },
    ];
    const insert = (seq: number, body: string) =>
      db.query<{ id: string }>(
        `insert into messages (seq, org_id, conversation_id, contact_id, direction, channel, sender, body, status)
         overriding system value
         values ($1, $2, $3, $4, 'outbound', 'web', 'agent', $5, 'sent') returning id`,
        [seq, orgId, first.conversation.id, first.contactId, body],
      );
    // The widget saw message top+1000; the reply numbered top+995 was committed only afterwards.
    await insert(top + 1000, 'Seen by the widget');
    const [late] = await insert(top + 995, 'A reply that committed late');
    const after = await visitorTranscript(db, orgId, visitorId, top + 1000);
    expect(after.messages.map((message) => message.id)).toContain(late!.id);
  });

  it('learns an email the prospect types in the chat, but never takes another contact’s', async () => {
    const visitorId = newVisitorId();
    await harness.chat(orgId, visitorId, 'Hi, you can reach me at sam@northwind.example');
    expect((await contactOf(visitorId)).email).toBe('sam@northwind.example');

    await upsertLead(db, orgId, { email: 'taken@example.com' }, systemActor);
    const other = newVisitorId();
    await harness.chat(orgId, other, 'my email is taken@example.com');
    expect((await contactOf(other)).email).toBeNull();
  });
});
