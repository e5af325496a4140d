import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../../agents/offline-model/offline-qualifier.ts';
import { systemActor } from '../../../core/actor.ts';
import { aiDisclosure } from '../../../core/compliance/ai-disclosure.ts';
import { createDemoOrganization } from '../../../core/demo-organization.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization, getOrganization } from '../../../core/organizations.ts';
import { createConversationHarness } from '../../../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';

let db: Database;
let server: TestServer;
let apiKey: string;
let orgId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const demo = await createDemoOrganization(db, 'demo-password-1');
  apiKey = demo.apiKey;
  orgId = demo.orgId;
  const h = createConversationHarness({
    db,
    model: createOfflineQualifier(),
    limits: { messagesPerMinute: 5 },
  });
  server = await startTestServer(db, { conversations: h.deps });
});
afterAll(async () => {
  await server.close();
  await db.close();
});

const lead = async (email: string) => (await upsertLead(db, orgId, { email }, systemActor)).lead.id;
const ask = (body: unknown, key = apiKey) => server.request('POST', '/api/agents/qualifier', { key, body });

describe('POST /api/agents/qualifier', () => {
  it('answers a turn on the contact’s conversation with reply, BANT+ and outcome', async () => {
    const contactId = await lead('jo@acme.example');
    const first = await ask({ contactId, message: 'Hi! How much does the Growth plan cost?' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: null, bant: {}, duplicate: false });
    expect(first.body.reply).toMatch(/Growth: \$99 per user per month/);
    expect(String(first.body.reply).startsWith(aiDisclosure(await getOrganization(db, orgId), 'web'))).toBe(
      true,
    );

    const second = await ask({ contactId, message: 'We have around $40k a year for this.' });
    expect(second.body.conversationId).toBe(first.body.conversationId);
    expect(second.body.bant).toEqual({ budget: { amountCents: 4_000_000, period: 'year', stated: true } });

    const conversations = await server.request('GET', `/api/conversations?contactId=${contactId}`, {
      key: apiKey,
    });
    expect(conversations.body.items).toEqual([expect.objectContaining({ channel: 'web', mode: 'ai' })]);
  });

  it('ends with an outcome', async () => {
    const contactId = await lead('sam@acme.example');
    const answer = await ask({
      contactId,
      message: "I'm a student writing a thesis about sales tools, just curious.",
    });
    expect(answer.body).toMatchObject({
      outcome: 'DISQUALIFIED',
      bant: { fit: { disqualifier: 'student' } },
    });
  });

  it('is idempotent with a clientId', async () => {
    const contactId = await lead('kim@acme.example');
    const body = { contactId, message: 'Hello', clientId: 'crm-42' };
    const first = await ask(body);
    const again = await ask(body);
    expect(again.body).toMatchObject({
      messageId: first.body.messageId,
      reply: first.body.reply,
      duplicate: true,
    });
  });

  it('refuses bad input with problem details', async () => {
    const contactId = await lead('lee@acme.example');
    const missing = await ask({ message: 'hi' });
    expect(missing.status).toBe(400);
    expect(missing.contentType).toContain('application/problem+json');
    expect(missing.body.detail).toMatch(/contactId/);
    const long = await ask({ contactId, message: 'x'.repeat(4_001) });
    expect(long.status).toBe(400);
    expect(long.body.detail).toMatch(/too long: 4,001 characters, the limit is 4,000/);
    expect((await ask({ contactId, message: 'hi', channel: 'fax' })).status).toBe(400);
    expect((await ask({ contactId: '00000000-0000-4000-8000-000000000000', message: 'hi' })).status).toBe(
      404,
    );
    expect((await ask({ contactId, message: 'hi' }, 'qh_wrong')).status).toBe(401);
  });

  it('answers 429 past the rate limit', async () => {
    const contactId = await lead('max@acme.example');
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask({ contactId, message: `message ${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('does not reach another organization’s contact', async () => {
    const contactId = await lead('pat@acme.example');
    const globex = await createOrganization(db, { name: 'Globex' }, systemActor);
    const answer = await ask({ contactId, message: 'Hi' }, globex.apiKey);
    expect(answer.status).toBe(404);
  });
});
