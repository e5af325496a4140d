import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../core/actor.ts';
import { createOrganization } from '../../core/organizations.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../tests/support/test-server.ts';
import type { Database } from '../db/database.ts';

let db: Database;
let server: TestServer;
let apiKey: string;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  ({ apiKey } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterAll(async () => {
  await server.close();
  await db.close();
});

describe('HTTP basics', () => {
  it('answers /health once the database answers', async () => {
    const res = await server.request('GET', '/health');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers an unknown route with a problem+json 404', async () => {
    const res = await server.request('GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found', detail: 'no route for GET /nope' });
  });

  it('answers a malformed JSON body with a 400 and changes nothing', async () => {
    const before = await db.query('select count(*)::int as n from contacts');
    const res = await server.request('POST', '/api/leads', { key: apiKey, rawBody: '{"email": ' });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.detail).toBe('the request body is not valid JSON');
    expect(await db.query('select count(*)::int as n from contacts')).toEqual(before);
  });

  it('refuses a missing or wrong API key with 401', async () => {
    expect((await server.request('GET', '/api/leads')).status).toBe(401);
    expect((await server.request('GET', '/api/leads', { key: 'qh_wrong' })).status).toBe(401);
  });

  it('echoes a request id, or makes one', async () => {
    const response = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    const other = await fetch(`${server.url}/health`);
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('leads API', () => {
  it('creates a lead, finds it and reads it back', async () => {
    const created = await server.request('POST', '/api/leads', {
      key: apiKey,
      body: {
        email: 'Jo@Example.com',
        phone: '(415) 555-0100',
        firstName: 'Jo',
        companySize: 120,
        source: 'web',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'jo@example.com',
      phone: '+14155550100',
      companySize: 120,
      status: 'new',
    });
    const found = await server.request('GET', '/api/leads?email=jo@example.com', { key: apiKey });
    expect(found.body.items).toHaveLength(1);
    const byPhone = await server.request('GET', '/api/leads?phone=4155550100', { key: apiKey });
    expect(byPhone.body.items).toHaveLength(1);
    const read = await server.request('GET', `/api/leads/${created.body.id}`, { key: apiKey });
    expect(read.body).toMatchObject({
      id: created.body.id,
      leadScore: null,
      qualification: { outcome: null, bant: {} },
    });
    const events = await db.query<{ name: string }>(`select name from events where data->>'contactId' = $1`, [
      created.body.id,
    ]);
    expect(events.map((e) => e.name)).toEqual(['lead.created']);
  });

  it('keeps one contact per prospect and fills in what was missing', async () => {
    const first = await server.request('POST', '/api/leads', {
      key: apiKey,
      body: { email: 'sam@example.com' },
    });
    const second = await server.request('POST', '/api/leads', {
      key: apiKey,
      body: { email: 'SAM@example.com', title: 'VP Sales' },
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, title: 'VP Sales' });
  });

  it.each([
    [{}, /a lead needs an email or a phone number/],
    [{ email: 'not-an-email' }, /email must be an email address/],
    [{ phone: '12' }, /phone must be a phone number/],
    [{ email: 'a@b.co', companySize: 'many' }, /companySize/],
    [{ email: 'a@b.co', favouriteColour: 'red' }, /favouriteColour/],
  ])('refuses bad lead %j with a 400 naming the field', async (body, detail) => {
    const res = await server.request('POST', '/api/leads', { key: apiKey, body });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(detail);
  });

  it('answers a non-UUID id with 400 and an unknown one with 404', async () => {
    expect((await server.request('GET', '/api/leads/123', { key: apiKey })).status).toBe(400);
    expect((await server.request('GET', `/api/leads/${crypto.randomUUID()}`, { key: apiKey })).status).toBe(
      404,
    );
  });
});

describe('admin routes for the local CLI', () => {
  it('refuses requests without the admin token', async () => {
    const res = await server.request('POST', '/admin/organizations', { body: { name: 'X' } });
    expect(res.status).toBe(403);
  });

  it('creates an organization and a rep with the token', async () => {
    const headers = { 'x-admin-token': server.adminToken };
    const org = await server.request('POST', '/admin/organizations', { headers, body: { name: 'Globex' } });
    expect(org.status).toBe(201);
    expect(Object.keys(org.body).sort()).toEqual(['apiKey', 'orgId', 'widgetKey']);
    const rep = await server.request('POST', '/admin/reps', {
      headers,
      body: {
        orgId: org.body.orgId,
        email: 'rep@globex.example',
        password: 'long-enough',
        expertise: ['saas'],
      },
    });
    expect(rep.status).toBe(201);
    const again = await server.request('POST', '/admin/reps', {
      headers,
      body: { orgId: org.body.orgId, email: 'REP@globex.example', password: 'long-enough' },
    });
    expect(again.status).toBe(409);
  });
});
