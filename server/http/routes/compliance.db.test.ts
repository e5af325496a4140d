import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import { currentConsent } from '../../../core/compliance/consent.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { Database } from '../../db/database.ts';

let db: Database;
let server: TestServer;
let orgId: string;
let apiKey: string;
let otherKey: string;
const wording = 'I agree to receive marketing texts from Acme. Reply STOP to opt out.';

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  ({ orgId, apiKey } = await createOrganization(db, { name: 'Acme' }, systemActor));
  ({ apiKey: otherKey } = await createOrganization(db, { name: 'Globex' }, systemActor));
});
afterAll(async () => {
  await server.close();
  await db.close();
});

let n = 0;
async function newLead(key = apiKey): Promise<{ id: string; email: string; phone: string }> {
  n += 1;
  const email = `http${n}@example.com`;
  const phone = `+1212555${String(5000 + n)}`;
  const res = await server.request('POST', '/api/leads', { key, body: { email, phone } });
  return { id: res.body.id as string, email, phone };
}

describe('consent API', () => {
  it('records consent, reports the current state, and revokes it', async () => {
    const lead = await newLead();
    const given = await server.request('POST', '/api/compliance/consent', {
      key: apiKey,
      body: {
        contactId: lead.id,
        type: 'sms_marketing',
        method: 'web_form',
        evidence: {
          wording,
          pageUrl: 'https://acme.example/signup',
          ip: '198.51.100.4',
          userAgent: 'Firefox',
        },
      },
    });
    expect(given.status).toBe(201);
    expect(given.body).toMatchObject({ type: 'sms_marketing', action: 'given', evidence: { wording } });

    const state = await server.request('GET', `/api/compliance/consent?contactId=${lead.id}`, {
      key: apiKey,
    });
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      contactId: lead.id,
      consent: {
        sms_marketing: { status: 'given', method: 'web_form' },
        email_marketing: { status: 'none' },
      },
    });
    expect(state.body.records).toHaveLength(1);

    const check = await server.request('POST', '/api/compliance/check', {
      key: apiKey,
      body: { contactId: lead.id, channel: 'sms', purpose: 'marketing' },
    });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ allowed: expect.any(Boolean), reasons: expect.any(Array) });

    const revoked = await server.request('POST', '/api/compliance/consent/revoke', {
      key: apiKey,
      body: {
        contactId: lead.id,
        type: 'sms_marketing',
        method: 'conversation',
        evidence: { message: 'stop' },
      },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      revoked: ['sms_marketing'],
      alreadyRevoked: [],
      consent: { sms_marketing: { status: 'revoked' } },
    });
    const after = await server.request('POST', '/api/compliance/check', {
      key: apiKey,
      body: { contactId: lead.id, channel: 'sms', purpose: 'conversation_reply' },
    });
    expect(after.body).toMatchObject({ allowed: false, reasons: ['consent_revoked'] });
  });

  it('answers bad input with a 400 that says what is wrong, and writes nothing', async () => {
    const lead = await newLead();
    const cases = [
      [{ contactId: lead.id, type: 'sms_marketing', method: 'web_form', evidence: {} }, /wording/],
      [{ contactId: lead.id, type: 'fax', method: 'web_form', evidence: { wording } }, /type/],
      [{ contactId: 'nope', type: 'sms_marketing', method: 'web_form', evidence: { wording } }, /contactId/],
      [
        { contactId: lead.id, type: 'sms_marketing', method: 'web_form', evidence: { wording }, extra: 1 },
        /extra/,
      ],
    ] as const;
    for (const [body, detail] of cases) {
      const res = await server.request('POST', '/api/compliance/consent', { key: apiKey, body });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.detail).toMatch(detail);
    }
    const bad = await server.request('POST', '/api/compliance/check', {
      key: apiKey,
      body: { contactId: lead.id, channel: 'fax', purpose: 'marketing' },
    });
    expect(bad.status).toBe(400);
    expect(await currentConsent(db, orgId, lead.id)).toMatchObject({ sms_marketing: { status: 'none' } });
  });

  it("answers 404 for another organization's contact and changes nothing", async () => {
    const lead = await newLead();
    const attempts = [
      [
        'POST',
        '/api/compliance/consent',
        { contactId: lead.id, type: 'sms_marketing', method: 'api', evidence: { wording } },
      ],
      ['POST', '/api/compliance/consent/revoke', { contactId: lead.id, type: 'all' }],
      ['POST', '/api/compliance/check', { contactId: lead.id, channel: 'sms', purpose: 'marketing' }],
      ['POST', '/api/compliance/dnc/contact', { contactId: lead.id, doNotCall: true }],
      ['POST', '/api/compliance/timezone', { contactId: lead.id, timezone: 'America/Chicago' }],
      ['GET', `/api/compliance/consent?contactId=${lead.id}`, undefined],
    ] as const;
    for (const [method, path, body] of attempts) {
      const res = await server.request(method, path, { key: otherKey, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const state = await currentConsent(db, orgId, lead.id);
    expect(Object.values(state).every((s) => s.status === 'none')).toBe(true);
  });
});

describe('Do-Not-Call API', () => {
  it('imports a registry file as JSON or as text/plain, with a staleness warning', async () => {
    const fresh = new Date(Date.now() - 5 * 86_400_000).toISOString().slice(0, 10);
    const json = await server.request('POST', '/api/compliance/dnc/import', {
      key: apiKey,
      body: { text: '2125550100\n2125550101\n', areaCode: '212', dataDate: fresh },
    });
    expect(json.status).toBe(201);
    expect(json.body).toMatchObject({ numbers: 2, areaCodes: ['212'], dataDate: fresh, warnings: [] });

    const old = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    const plain = await server.request('POST', `/api/compliance/dnc/import?areaCode=646&dataDate=${old}`, {
      key: apiKey,
      rawBody: '6465550100\r\n6465550101\r\n6465550102\r\n',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ numbers: 3, areaCodes: ['646'], warnings: ['dnc_national_stale'] });

    const undated = await server.request('POST', '/api/compliance/dnc/import', {
      key: apiKey,
      body: { text: '7185550100' },
    });
    expect(undated.body.warnings).toEqual(['dnc_data_date_assumed']);

    const status = await server.request('GET', '/api/compliance/dnc?phone=%2B16465550101', { key: apiKey });
    expect(status.body).toMatchObject({
      phone: '+16465550101',
      listed: { org: false, national: true },
      national: { warnings: ['dnc_national_stale'] },
    });
    // Globex imported nothing.
    const theirs = await server.request('GET', '/api/compliance/dnc?phone=%2B16465550101', { key: otherKey });
    expect(theirs.body).toMatchObject({
      listed: { national: false },
      national: { warnings: ['dnc_national_not_imported'] },
    });
  });

  it('refuses a file without numbers with a 400', async () => {
    const res = await server.request('POST', '/api/compliance/dnc/import', {
      key: apiKey,
      body: { text: 'hello\nworld', dataDate: '2026-01-01' },
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/no 10-digit numbers/);
    const empty = await server.request('POST', '/api/compliance/dnc/import', {
      key: apiKey,
      rawBody: '',
      headers: { 'content-type': 'text/plain' },
    });
    expect(empty.status).toBe(400);
  });

  it("keeps the organization's list and the contact flag", async () => {
    const lead = await newLead();
    expect(
      (await server.request('POST', '/api/compliance/dnc', { key: apiKey, body: { phone: lead.phone } }))
        .status,
    ).toBe(201);
    expect(
      (
        await server.request('GET', `/api/compliance/dnc?phone=${encodeURIComponent(lead.phone)}`, {
          key: apiKey,
        })
      ).body.listed,
    ).toEqual({ org: true, national: false });
    const removed = await server.request('POST', '/api/compliance/dnc/remove', {
      key: apiKey,
      body: { phone: lead.phone },
    });
    expect(removed.body).toEqual({ phone: lead.phone, removed: true });
    expect(
      (await server.request('POST', '/api/compliance/dnc', { key: apiKey, body: { phone: 'abc' } })).status,
    ).toBe(400);

    const flagged = await server.request('POST', '/api/compliance/dnc/contact', {
      key: apiKey,
      body: { contactId: lead.id, doNotCall: true },
    });
    expect(flagged.body).toEqual({ contactId: lead.id, doNotCall: true });
    const check = await server.request('POST', '/api/compliance/check', {
      key: apiKey,
      body: { contactId: lead.id, channel: 'sms', purpose: 'conversation_reply' },
    });
    expect(check.body).toMatchObject({ allowed: false, reasons: ['dnc_internal'] });
  });
});

describe('audit API', () => {
  it("lists a contact's audit trail as JSON and CSV", async () => {
    const lead = await newLead();
    await server.request('POST', '/api/compliance/consent', {
      key: apiKey,
      body: {
        contactId: lead.id,
        type: 'email_marketing',
        method: 'api',
        evidence: { wording: 'Yes, email me, "please"' },
      },
    });
    const json = await server.request('GET', `/api/compliance/audit?contactId=${lead.id}`, { key: apiKey });
    expect(json.status).toBe(200);
    expect(json.body.items!.map((item) => (item as { action: string }).action)).toEqual([
      'lead.created',
      'consent.given',
    ]);

    const response = await fetch(`${server.url}/api/compliance/audit.csv?contactId=${lead.id}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toContain(`audit-${lead.id}.csv`);
    const lines = (await response.text()).split('\r\n');
    expect(lines[0]).toBe(
      'created_at,id,actor_type,actor_id,action,entity_type,entity_id,contact_id,outcome,details',
    );
    expect(lines).toHaveLength(4); // header, two entries, and the final line break
    expect(lines[2]).toContain(',api_key,');
    expect(lines[2]).toContain('"{""method"":""api"",""type"":""email_marketing""}"');

    // Globex sees none of it.
    const theirs = await server.request('GET', `/api/compliance/audit?contactId=${lead.id}`, {
      key: otherKey,
    });
    expect(theirs.body.items).toEqual([]);
    const theirCsv = await fetch(`${server.url}/api/compliance/audit.csv?contactId=${lead.id}`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect((await theirCsv.text()).trim().split('\r\n')).toHaveLength(1);
    expect((await server.request('GET', '/api/compliance/audit?contactId=x', { key: apiKey })).status).toBe(
      400,
    );
  });

  it('verifies the hash chain and detects a tampered entry', async () => {
    expect((await server.request('GET', '/api/compliance/audit/verify', { key: apiKey })).body).toEqual({
      ok: true,
    });
    await db.query('alter table audit_log disable trigger audit_log_append_only');
    await db.query(
      `update audit_log set outcome = 'ok', details = '{"edited": true}' where org_id = $1
       and seq = (select seq from audit_log where org_id = $1 order by seq offset 2 limit 1)`,
      [orgId],
    );
    await db.query('alter table audit_log enable trigger audit_log_append_only');
    const res = await server.request('GET', '/api/compliance/audit/verify', { key: apiKey });
    expect(res.body).toMatchObject({ ok: false, brokenAtSeq: expect.any(Number) });
    expect((await server.request('GET', '/api/compliance/audit/verify', { key: otherKey })).body).toEqual({
      ok: true,
    });
  });
});
