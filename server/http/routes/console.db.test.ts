import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../../core/actor.ts';
import { upsertLead } from '../../../core/leads.ts';
import { createOrganization } from '../../../core/organizations.ts';
import { createRep } from '../../../core/reps.ts';
import { createTestDatabase } from '../../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../tests/support/test-server.ts';
import type { ClientBundles } from '../../client-bundles.ts';
import type { Database } from '../../db/database.ts';

/**
 * The console's cookie-authenticated routes against requests a page on another site makes a
 * browser send (CSRF), and the session cookie's Secure flag behind PUBLIC_URL and proxies.
 */
const publicUrl = 'https://sales.example.com';
const widget: ClientBundles = { loader: '', widgetApp: '', consoleApp: '' };
const credentials = { email: 'ann@acme.example', password: 'long-enough-pw' };

let db: Database;
let orgId: string;
/** PUBLIC_URL set. */
let server: TestServer;
/** No PUBLIC_URL, the default trust proxy (none). */
let plain: TestServer;
/** No PUBLIC_URL, behind a proxy on this machine that is trusted. */
let proxied: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
  await createRep(db, { orgId, ...credentials }, systemActor);
  server = await startTestServer(db, { widget, publicUrl });
  plain = await startTestServer(db, { widget });
  proxied = await startTestServer(db, { widget, trustProxy: ['loopback'] });
});
afterAll(async () => {
  await Promise.all([server.close(), plain.close(), proxied.close()]);
  await db.close();
});

async function signIn(target: TestServer, headers: Record<string, string> = {}) {
  const response = await fetch(`${target.url}/console/api/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(credentials),
  });
  const cookie = response.headers.get('set-cookie') ?? '';
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
    cookie,
    session: /qh_session=([^;]+)/.exec(cookie)?.[1],
  };
}

async function newConversation(email: string): Promise<string> {
  const { lead } = await upsertLead(db, orgId, { email }, systemActor);
  const [row] = await db.query<{ id: string }>(
    `insert into conversations (org_id, contact_id, channel) values ($1, $2, 'web') returning id`,
    [orgId, lead.id],
  );
  return row!.id;
}

const modeOf = async (conversationId: string) =>
  (await db.query<{ mode: string }>('select mode from conversations where id = $1', [conversationId]))[0]!
    .mode;

describe('console CSRF: state-changing requests must come from PUBLIC_URL', () => {
  it('refuses a sign-in posted from another site, naming why, and sets no cookie', async () => {
    const res = await signIn(server, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.detail).toBe(
      'cross-site request refused: Origin https://evil.example is not https://sales.example.com',
    );
    expect(res.cookie).toBe('');
  });

  it.each([
    ['a look-alike host', { origin: 'https://sales.example.com.evil.example' }],
    ['another scheme', { origin: 'http://sales.example.com' }],
    ['another port', { origin: 'https://sales.example.com:8443' }],
    ['an opaque origin (sandboxed frame)', { origin: 'null' }],
    ['Sec-Fetch-Site cross-site without Origin', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site without Origin', { 'sec-fetch-site': 'same-site' }],
  ])('refuses %s', async (_what, headers) => {
    const res = await signIn(server, headers);
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/^cross-site request refused: /);
  });

  it('lets the console itself, a same-origin fetch and a non-browser client sign in', async () => {
    expect((await signIn(server, { origin: publicUrl })).status).toBe(200);
    expect((await signIn(server, { 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    // curl, the CLI, an MCP client: neither header, so no browser carried a cookie for them.
    expect((await signIn(server)).status).toBe(200);
  });

  it('refuses takeover, reply, hand-back and sign-out riding on the cookie from another site', async () => {
    const { session } = await signIn(server, { origin: publicUrl });
    const conversationId = await newConversation('csrf-target@example.com');
    const cookie = `qh_session=${session}`;
    const post = (path: string, origin: string, body?: unknown) =>
      fetch(`${server.url}/console/api${path}`, {
        method: 'POST',
        headers: { cookie, origin, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    for (const [path, body] of [
      [`/conversations/${conversationId}/takeover`, undefined],
      [`/conversations/${conversationId}/messages`, { body: 'sent by evil.example' }],
      [`/conversations/${conversationId}/handback`, undefined],
      ['/sign-out', undefined],
    ] as const) {
      const res = await post(path, 'https://evil.example', body);
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await modeOf(conversationId)).toBe('ai');
    const messages = await db.query('select 1 from messages where conversation_id = $1', [conversationId]);
    expect(messages).toEqual([]);
    // The refused sign-out did not end the session.
    const me = await fetch(`${server.url}/console/api/me`, { headers: { cookie } });
    expect(me.status).toBe(200);

    // The same requests from the console's own origin go through.
    expect((await post(`/conversations/${conversationId}/takeover`, publicUrl)).status).toBe(200);
    expect(await modeOf(conversationId)).toBe('human');
    expect((await post(`/conversations/${conversationId}/handback`, publicUrl)).status).toBe(200);
    expect((await post('/sign-out', publicUrl)).status).toBe(204);
  });

  it('still answers reads from anywhere (GET changes nothing)', async () => {
    const { session } = await signIn(server);
    const me = await fetch(`${server.url}/console/api/me`, {
      headers: { authorization: `Bearer ${session}`, origin: 'https://evil.example' },
    });
    expect(me.status).toBe(200);
  });
});

describe('console CSRF without PUBLIC_URL: the host the request was sent to', () => {
  it('accepts an Origin naming the host and refuses any other', async () => {
    const host = new URL(plain.url).host;
    expect((await signIn(plain, { origin: plain.url })).status).toBe(200);
    const refused = await signIn(plain, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toBe(
      `cross-site request refused: Origin https://evil.example is not this server's host (${host}); ` +
        'behind a proxy, set PUBLIC_URL to the address users reach this server at',
    );
    expect((await signIn(plain, { origin: `http://${host}.evil.example` })).status).toBe(403);
  });
});

describe('the session cookie', () => {
  it('is Secure when PUBLIC_URL is https, even on a request that reached the server over plain HTTP', async () => {
    const { cookie } = await signIn(server);
    expect(cookie).toMatch(/^qh_session=qhs_/);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict/i);
  });

  it('without PUBLIC_URL follows the protocol, believing X-Forwarded-Proto only from a trusted proxy', async () => {
    expect((await signIn(plain)).cookie).not.toMatch(/Secure/i);
    // TRUST_PROXY unset: a client on this machine claiming https is not a proxy we trust.
    expect((await signIn(plain, { 'x-forwarded-proto': 'https' })).cookie).not.toMatch(/Secure/i);
    // TRUST_PROXY=loopback: the proxy on this machine says the user came over https.
    expect((await signIn(proxied, { 'x-forwarded-proto': 'https' })).cookie).toMatch(/;\s*Secure/i);
    expect((await signIn(proxied)).cookie).not.toMatch(/Secure/i);
  });
});
