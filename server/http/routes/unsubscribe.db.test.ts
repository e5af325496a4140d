import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import { currentConsent, recordConsent } from '../../../core/compliance/consent.ts';
import { checkOutbound } from '../../../core/compliance/outbound-gate.ts';
import { suppressionsFor } from '../../../core/compliance/suppressions.ts';
import { unsubscribeToken } from '../../../core/compliance/unsubscribe-link.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';
import { createApp } from '../app.ts';

const secret = randomBytes(32).toString('base64url');
let db: Database;
let orgId: string;
let url: string;
let http: Server;
/** The app as tests start it elsewhere: without an unsubscribe secret. */
let unconfigured: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme <Sales> & "Co"' }, systemActor));
  const app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    adminToken: 'admin',
    unsubscribeSecret: secret,
  });
  http = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  unconfigured = await startTestServer(db);
});
afterAll(async () => {
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
  await unconfigured.close();
  await db.close();
});

let n = 0;
async function newLead(): Promise<{ id: string; email: string }> {
  n += 1;
  const email = `unsubscribe${n}@example.com`;
  const { lead } = await upsertLead(db, orgId, { email }, systemActor);
  return { id: lead.id, email };
}

describe('one-click unsubscribe', () => {
  it('shows a confirmation page on GET, without unsubscribing (link scanners fetch it)', async () => {
    const lead = await newLead();
    const res = await fetch(`${url}/unsubscribe/${unsubscribeToken(secret, orgId, lead.id)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).toContain('<form method="post">');
    expect(html).toContain('Acme &lt;Sales&gt; &amp; &quot;Co&quot;');
    expect(html).not.toContain('<Sales>');
    expect((await currentConsent(db, orgId, lead.id)).email_marketing.status).toBe('none');
  });

  it('unsubscribes at once on the one-click POST (RFC 8058)', async () => {
    const lead = await newLead();
    await recordConsent(
      db,
      orgId,
      {
        contactId: lead.id,
        type: 'email_marketing',
        method: 'web_form',
        evidence: { wording: 'Email me offers' },
      },
      systemActor,
    );
    const token = unsubscribeToken(secret, orgId, lead.id);
    const res = await fetch(`${url}/unsubscribe/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'MailClient/2.0' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('will not send you marketing emails');
    const state = await currentConsent(db, orgId, lead.id);
    expect(state.email_marketing).toMatchObject({ status: 'revoked', method: 'email_link' });
    expect(await suppressionsFor(db, orgId, 'email', lead.email)).toEqual(['unsubscribed']);
    const decision = await checkOutbound(db, {
      orgId,
      contactId: lead.id,
      channel: 'email',
      purpose: 'marketing',
    });
    expect(decision.allowed).toBe(false);
    expect(decision.reasons).toContain('consent_revoked');
    // Clicking again is harmless.
    expect((await fetch(`${url}/unsubscribe/${token}`, { method: 'POST' })).status).toBe(200);
  });

  it('refuses a forged or garbled token and changes nothing', async () => {
    const lead = await newLead();
    const forged = unsubscribeToken(randomBytes(32).toString('base64url'), orgId, lead.id);
    const res = await fetch(`${url}/unsubscribe/${forged}`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('not valid');
    expect((await fetch(`${url}/unsubscribe/%3Cscript%3E`)).status).toBe(400);
    expect((await currentConsent(db, orgId, lead.id)).email_marketing.status).toBe('none');
  });

  it('says so when the server has no unsubscribe secret', async () => {
    const lead = await newLead();
    const token = unsubscribeToken(secret, orgId, lead.id);
    const res = await fetch(`${unconfigured.url}/unsubscribe/${token}`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect((await currentConsent(db, orgId, lead.id)).email_marketing.status).toBe('none');
  });
});
