import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../core/actor.ts';
import { createOrganization } from '../../core/organizations.ts';
import { rateLimitReached, takeRateLimit } from '../../core/rate-limits.ts';
import { createRep, signInLimits } from '../../core/reps.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { buildClientBundles } from '../client-bundles.ts';
import type { Database } from '../db/database.ts';
import { createApp } from './app.ts';

/**
 * Limits on what one client can make the server do, each answered 429 with `Retry-After`:
 * requests per API key and per console session (tunable per organization), and failed console
 * sign-ins per account and per client address (a lockout that expires). An unknown email costs
 * what a known one does, so timing does not tell which accounts exist.
 */
let db: Database;
let server: Server;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const app = createApp({
    db,
    logger: pino({ level: 'silent' }),
    adminToken: 'unused',
    widget: await buildClientBundles(),
  });
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await db?.close();
});

/** Every sign-in here comes from one client address (loopback), so later tests see earlier failures. */
const signIn = (email: string, password: string) =>
  fetch(`${url}/console/api/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });

async function expectTooMany(response: Response, detail: RegExp) {
  expect(response.status).toBe(429);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  const problem = await response.json();
  expect(problem.detail).toMatch(detail);
  expect(problem.retryAfterSeconds).toBe(retryAfter);
}

describe('request limits', () => {
  it('answers 429 with Retry-After past an API key’s requests per minute, for that key only', async () => {
    const acme = await createOrganization(
      db,
      { name: 'Acme', settings: { limits: { apiRequestsPerKey: 3 } } },
      systemActor,
    );
    const globex = await createOrganization(db, { name: 'Globex' }, systemActor);
    const get = (key: string) =>
      fetch(`${url}/api/leads/summary`, { headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++) expect((await get(acme.apiKey)).status).toBe(200);
    await expectTooMany(await get(acme.apiKey), /too many requests with this API key; try again in \d+ s/);
    expect((await get(globex.apiKey)).status).toBe(200);
  });

  it('lets an organization read and tune its limits, validated and audited', async () => {
    const { orgId, apiKey } = await createOrganization(db, { name: 'Tuned' }, systemActor);
    const call = (method: string, body?: unknown) =>
      fetch(`${url}/api/limits`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect(await (await call('GET')).json()).toMatchObject({
      newChatsPerAddress: 20,
      apiRequestsPerKey: 600,
    });
    expect(await (await call('PUT', { newChatsPerAddress: 50 })).json()).toMatchObject({
      newChatsPerAddress: 50,
      apiRequestsPerKey: 600,
    });
    expect((await call('PUT', { newChatsPerAddress: 0 })).status).toBe(400);
    expect((await call('PUT', { perSecond: 5 })).status).toBe(400);
    expect(await (await call('GET')).json()).toMatchObject({ newChatsPerAddress: 50 });
    const audit = await db.query(
      `select 1 from audit_log where org_id = $1 and action = 'organization.settings.updated'`,
      [orgId],
    );
    expect(audit).toHaveLength(1);
  });

  it('answers 429 past a console session’s requests per minute', async () => {
    const { orgId } = await createOrganization(
      db,
      { name: 'Initech', settings: { limits: { consoleRequestsPerSession: 2 } } },
      systemActor,
    );
    await createRep(db, { orgId, email: 'peter@initech.example', password: 'long-enough-pw' }, systemActor);
    const cookie = (await signIn('peter@initech.example', 'long-enough-pw')).headers
      .get('set-cookie')!
      .split(';')[0]!;
    const me = () => fetch(`${url}/console/api/me`, { headers: { cookie } });
    expect((await me()).status).toBe(200);
    expect((await me()).status).toBe(200);
    await expectTooMany(await me(), /too many console requests in this session/);
  });
});

describe('console sign-in', () => {
  it('answers an unknown email in the time a known one takes', async () => {
    const { orgId } = await createOrganization(db, { name: 'Pied Piper' }, systemActor);
    await createRep(
      db,
      { orgId, email: 'richard@piedpiper.example', password: 'right-password' },
      systemActor,
    );
    const time = async (email: string) => {
      const started = performance.now();
      expect((await signIn(email, 'wrong-password')).status).toBe(401);
      return performance.now() - started;
    };
    // Interleaved, a few each (under the account limit), compared by their medians.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time('richard@piedpiper.example'));
      unknown.push(await time(`nobody-${i}@piedpiper.example`));
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    // Without the decoy password check an unknown email answers about ten times faster.
    expect(median(unknown) / median(known)).toBeGreaterThan(0.5);
  });

  it('locks an account after repeated wrong passwords, even to the right one, and audits it', async () => {
    const { orgId } = await createOrganization(db, { name: 'Umbrella' }, systemActor);
    const { repId } = await createRep(
      db,
      { orgId, email: 'alice@umbrella.example', password: 'right-password' },
      systemActor,
    );
    for (let i = 0; i < signInLimits.perAccount.limit; i++)
      expect((await signIn('alice@umbrella.example', `wrong-${i}`)).status).toBe(401);
    await expectTooMany(await signIn('Alice@Umbrella.example', 'right-password'), /too many failed sign-ins/);
    const audit = await db.query<{ action: string; entity_id: string; outcome: string }>(
      `select action, entity_id, outcome from audit_log where org_id = $1 and action = 'rep.sign_in_locked'`,
      [orgId],
    );
    expect(audit).toEqual([{ action: 'rep.sign_in_locked', entity_id: repId, outcome: 'refused' }]);
    // An unknown account locks alike: the lockout does not tell which emails exist.
    for (let i = 0; i < signInLimits.perAccount.limit; i++)
      expect((await signIn('nobody@umbrella.example', 'guess')).status).toBe(401);
    expect((await signIn('nobody@umbrella.example', 'guess')).status).toBe(429);
  });

  it('locks a client address guessing across many accounts', async () => {
    // Eight accounts' worth of guesses from one address, a few per account (under its own limit).
    let status = 0;
    for (let i = 0; i <= signInLimits.perAddress.limit && status !== 429; i++) {
      status = (await signIn(`guess-${Math.floor(i / 4)}@hooli.example`, 'password1')).status;
    }
    expect(status).toBe(429);
    expect((await signIn('fresh@hooli.example', 'password1')).status).toBe(429);
  });

  it('ends a lockout with its window', async () => {
    const limit = { limit: 2, windowSeconds: 60 };
    const start = Date.UTC(2026, 11, 7, 12, 0, 0);
    await takeRateLimit(db, { key: 'sign-in:account:expiry@test.example' }, limit, start);
    await takeRateLimit(db, { key: 'sign-in:account:expiry@test.example' }, limit, start + 1_000);
    expect(
      (await rateLimitReached(db, 'sign-in:account:expiry@test.example', limit, start + 2_000)).allowed,
    ).toBe(false);
    expect(
      (await rateLimitReached(db, 'sign-in:account:expiry@test.example', limit, start + 61_000)).allowed,
    ).toBe(true);
  });
});
