import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPglite } from '../server/db/pglite-database.ts';
import { type ServerProcess, startServerProcess } from './support/server-process.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * 200 leads flow through the pipeline while the server is SIGKILLed at random moments and
 * restarted three times. Afterwards every lead has reached the end of the chain with each step's
 * side effect recorded exactly once.
 */
const leads = 200;
let server: ServerProcess | undefined;

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
});

async function postLead(url: () => string, apiKey: string, i: number): Promise<void> {
  // The client retries until the server answers, as any integration would across a restart.
  for (;;) {
    try {
      const res = await fetch(`${url()}/api/leads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `buyer${i}@company${i % 17}.example`,
          firstName: `Buyer${i}`,
          title: i % 2 ? 'VP of Sales' : 'Analyst',
          companySize: 50 + i,
          country: 'US',
          source: 'web',
        }),
      });
      if (res.status === 200 || res.status === 201) return;
    } catch {
      // connection refused while the server is down
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('workflows survive SIGKILL', () => {
  it('brings 200 leads to the end of the chain exactly once across three crashes', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'qh-crash-'));
    const env = { DATA_DIR: dataDir };
    server = await startServerProcess(env);
    const apiKey = /API key \(secret\): +(\S+)/.exec(server.output())![1]!;
    let url = server.url;

    let posted = 0;
    const poster = (async () => {
      for (let i = 0; i < leads; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => postLead(() => url, apiKey, i + j)));
        posted = i + 10;
      }
    })();

    for (let crash = 0; crash < 3; crash++) {
      await new Promise((resolve) => setTimeout(resolve, 400 + Math.random() * 1200));
      server.child.kill('SIGKILL');
      await server.exited;
      server = await startServerProcess(env);
      url = server.url;
    }
    await poster;
    expect(posted).toBe(leads);

    // Wait for the pipeline to drain on the last server, then read the database directly.
    const health = server;
    const get = async (route: string) =>
      (
        (await (
          await fetch(`${health.url}${route}`, { headers: { authorization: `Bearer ${apiKey}` } })
        ).json()) as {
          items: { leadScore?: number | null }[];
        }
      ).items;
    await waitFor(
      async () => {
        const unfinished = await get('/api/workflows/runs?status=queued,running,sleeping,waiting&limit=10');
        const leadsNow = (await get('/api/leads?limit=500')).filter((lead) => lead.leadScore !== null);
        return unfinished.length === 0 && leadsNow.length >= leads;
      },
      'the pipeline to drain',
      180_000,
    );
    server.child.kill('SIGTERM');
    await server.exited;

    const db = await openPglite(path.join(dataDir, 'pglite'));
    try {
      const contacts = await db.query<{ id: string; status: string; lead_score: number | null }>(
        `select id, status, lead_score from contacts where source = 'web'`,
      );
      expect(contacts).toHaveLength(leads);
      expect(contacts.filter((c) => c.lead_score === null)).toEqual([]);

      const count = (sql: string) => db.query<{ contact_id: string; n: number }>(sql);
      const once = (rows: { n: number }[]) => rows.every((row) => row.n === 1);
      const history = await count(
        'select contact_id, count(*)::int as n from score_history group by contact_id',
      );
      expect(history).toHaveLength(leads);
      expect(once(history)).toBe(true);
      const scored = await count(
        `select data->>'contactId' as contact_id, count(*)::int as n from events where name = 'lead.scored' group by 1`,
      );
      expect(scored).toHaveLength(leads);
      expect(once(scored)).toBe(true);
      const intake = await count(
        `select contact_id, count(*)::int as n from workflow_runs where function_id = 'lead-intake' and status = 'completed' group by 1`,
      );
      expect(intake).toHaveLength(leads);
      expect(once(intake)).toBe(true);

      // Those above the threshold started qualification, each exactly once.
      const started = await count(
        `select data->>'contactId' as contact_id, count(*)::int as n from events where name = 'lead.qualification.started' group by 1`,
      );
      expect(once(started)).toBe(true);
      const qualifying = contacts.filter((c) => c.status === 'qualifying');
      expect(started.length).toBe(qualifying.length);
      expect(qualifying.length).toBe(contacts.filter((c) => (c.lead_score ?? 0) > 40).length);

      const failed = await db.query(
        `select function_id, error from workflow_runs where status <> 'completed'`,
      );
      expect(failed).toEqual([]);
    } finally {
      await db.close();
    }
  }, 400_000);
});
