import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../../agents/offline-model/offline-qualifier.ts';
import { systemActor } from '../../../core/actor.ts';
import { recordConsent } from '../../../core/compliance/consent.ts';
import { createConversationServiceDeps } from '../../../core/conversations/conversation-service.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { recordingSender, sendOutbound } from '../../../core/outbound.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import type { Database } from '../../db/database.ts';
import { requireApiKey } from '../api-auth.ts';
import { errorHandler, notFoundHandler } from '../problem.ts';
import { requestContext } from '../request-context.ts';
import { followUpRoutes } from './follow-ups.ts';

let db: Database;
let server: Server;
let url: string;
let acme: { orgId: string; apiKey: string };
let globex: { orgId: string; apiKey: string };

/** A sequence whose one touch is due at once, so a run right away has something to send. */
const checkIn = {
  sequences: {
    'check-in': { steps: [{ delay: '0m', body: 'Hi {{firstName}}, a quick check-in from {{orgName}}.' }] },
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  acme = await createOrganization(db, { name: 'Acme' }, systemActor);
  globex = await createOrganization(db, { name: 'Globex' }, systemActor);
  const senders = { email: recordingSender('email'), sms: recordingSender('sms') };
  const conversations = createConversationServiceDeps({
    db,
    qualifier: createOfflineQualifier(),
    deliver: (draft) => sendOutbound({ db, senders }, draft),
  });
  // The route as app.ts mounts it: behind the API key, with the problem+json error handler.
  const app = express();
  app.use(requestContext(pino({ level: 'silent' })));
  app.use(express.json());
  app.use('/api', requireApiKey(db));
  app.use(followUpRoutes({ db, conversations }));
  app.use(notFoundHandler);
  app.use(errorHandler);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await db.close();
});

async function request(method: string, path: string, options: { key?: string; body?: unknown } = {}) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, checked field by field below
    body: (text ? JSON.parse(text) : {}) as any,
  };
}

async function consentingLead(orgId: string, email: string) {
  const { lead } = await upsertLead(db, orgId, { email, firstName: 'Pat' }, systemActor);
  await recordConsent(
    db,
    orgId,
    {
      contactId: lead.id,
      type: 'email_marketing',
      method: 'web_form',
      evidence: { wording: 'Yes, email me.' },
    },
    systemActor,
  );
  return lead.id;
}

describe('/api/follow-ups', () => {
  it('saves sequences, schedules once, lists them, and runs only the calling organization’s touches', async () => {
    const saved = await request('PUT', '/api/follow-ups/sequences', { key: acme.apiKey, body: checkIn });
    expect(saved.status).toBe(200);
    expect(Object.keys(saved.body.sequences)).toEqual(['nurture', 're-engage', 'check-in']);
    await request('PUT', '/api/follow-ups/sequences', { key: globex.apiKey, body: checkIn });

    const contactId = await consentingLead(acme.orgId, 'pat@initech.example');
    const theirs = await consentingLead(globex.orgId, 'pat@globex-lead.example');
    const first = await request('POST', '/api/follow-ups/schedule', {
      key: acme.apiKey,
      body: { contactId, sequence: 'check-in' },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ scheduled: true, sequence: { name: 'check-in', status: 'active' } });
    expect(first.body.sequence.messages[0]).toMatchObject({
      channel: 'email',
      status: 'scheduled',
      body: 'Hi Pat, a quick check-in from Acme.',
    });
    const again = await request('POST', '/api/follow-ups/schedule', {
      key: acme.apiKey,
      body: { contactId, sequence: 'check-in' },
    });
    expect(again).toMatchObject({
      status: 200,
      body: { scheduled: false, sequence: { id: first.body.sequence.id } },
    });
    await request('POST', '/api/follow-ups/schedule', {
      key: globex.apiKey,
      body: { contactId: theirs, sequence: 'check-in' },
    });

    const run = await request('POST', '/api/follow-ups/execute', { key: acme.apiKey });
    expect(run).toMatchObject({ status: 200, body: { sent: 1, failed: 0, skipped: 0 } });
    const listed = await request('GET', `/api/follow-ups?contactId=${contactId}`, { key: acme.apiKey });
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({
      status: 'completed',
      messages: [{ status: 'sent', attempts: 1 }],
    });
    const theirList = await request('GET', `/api/follow-ups?contactId=${theirs}`, { key: globex.apiKey });
    expect(theirList.body.items[0].messages[0].status).toBe('scheduled');
    // Another organization's contact is not visible through this key.
    expect(
      (await request('GET', `/api/follow-ups?contactId=${theirs}`, { key: acme.apiKey })).body.items,
    ).toEqual([]);

    expect((await request('POST', '/api/follow-ups/execute', { key: globex.apiKey })).body).toEqual({
      sent: 1,
      failed: 0,
      skipped: 0,
    });
  });

  it('cancels a contact’s active sequences', async () => {
    const contactId = await consentingLead(acme.orgId, 'sam@initech.example');
    await request('POST', '/api/follow-ups/schedule', {
      key: acme.apiKey,
      body: { contactId, sequence: 'nurture' },
    });
    const cancelled = await request('POST', '/api/follow-ups/cancel', {
      key: acme.apiKey,
      body: { contactId },
    });
    expect(cancelled).toMatchObject({ status: 200, body: { cancelled: 1 } });
    const listed = await request('GET', `/api/follow-ups?contactId=${contactId}`, { key: acme.apiKey });
    expect(listed.body.items[0]).toMatchObject({ status: 'cancelled', endedReason: 'cancelled_on_request' });
    expect(listed.body.items[0].messages.map((m: { status: string }) => m.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
  });

  it('answers bad input with problem+json and changes nothing', async () => {
    const contactId = await consentingLead(acme.orgId, 'kim@initech.example');
    const badId = await request('POST', '/api/follow-ups/schedule', {
      key: acme.apiKey,
      body: { contactId: 'nope', sequence: 'nurture' },
    });
    expect(badId.status).toBe(400);
    expect(badId.contentType).toMatch(/application\/problem\+json/);
    expect(badId.body.detail).toMatch(/contactId must be a UUID/);
    const unknown = await request('POST', '/api/follow-ups/schedule', {
      key: acme.apiKey,
      body: { contactId, sequence: 'winback' },
    });
    expect(unknown).toMatchObject({
      status: 400,
      body: { detail: expect.stringMatching(/unknown follow-up sequence "winback"/) },
    });
    const foreign = await request('POST', '/api/follow-ups/schedule', {
      key: globex.apiKey,
      body: { contactId, sequence: 'nurture' },
    });
    expect(foreign.status).toBe(404);
    expect(
      (await request('POST', '/api/follow-ups/cancel', { key: globex.apiKey, body: { contactId } })).status,
    ).toBe(404);
    expect((await request('GET', '/api/follow-ups?contactId=bad', { key: acme.apiKey })).status).toBe(400);
    expect(
      (await request('POST', '/api/follow-ups/execute', { key: acme.apiKey, body: { limit: 0 } })).status,
    ).toBe(400);
    expect((await request('POST', '/api/follow-ups/execute', {})).status).toBe(401);

    const before = await request('GET', '/api/follow-ups/sequences', { key: acme.apiKey });
    const refused = await request('PUT', '/api/follow-ups/sequences', {
      key: acme.apiKey,
      body: { sequences: { nurture: { steps: [{ delay: '2d', body: 'Hi {{fistName}}' }] } } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      {
        path: 'sequences.nurture.steps.0.body',
        message:
          'unknown placeholder {{fistName}}; use {{firstName}}, {{lastName}}, {{company}}, {{orgName}}',
      },
    ]);
    expect((await request('GET', '/api/follow-ups/sequences', { key: acme.apiKey })).body).toEqual(
      before.body,
    );
    expect(
      (await request('GET', `/api/follow-ups?contactId=${contactId}`, { key: acme.apiKey })).body.items,
    ).toEqual([]);
  });
});
