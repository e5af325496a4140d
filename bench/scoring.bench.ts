/**
 * Lead scoring benchmark on the embedded database (PGlite, in memory) or a PostgreSQL server.
 *
 *   npx tsx bench/scoring.bench.ts            # 100,000 contacts on PGlite
 *   BENCH_CONTACTS=20000 npx tsx bench/scoring.bench.ts
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/scoring.bench.ts
 *
 * 1. Single-lead latency: `scoreLead` p50/p99, first scoring (writes score, history row, event
 *    and audit entry) and a repeat with nothing changed (reads only).
 * 2. Bulk: `rescoreOrganization` over every contact of one organization, next to a plain SQL
 *    `UPDATE contacts SET lead_score = ...` of the same rows on the same database in the same run.
 */
import { execSync } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { systemActor } from '../core/actor.ts';
import { createOrganization } from '../core/organizations.ts';
import { rescoreOrganization, updateScoringProfile } from '../core/scoring/rescore-organization.ts';
import { scoreLead } from '../core/scoring/score-lead.ts';
import type { Database } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import { openPglite } from '../server/db/pglite-database.ts';
import { openPostgres } from '../server/db/postgres-database.ts';
import { createFreshPostgresDatabase } from '../tests/support/fresh-postgres-database.ts';

const contacts = Number(process.env.BENCH_CONTACTS ?? 100_000);
const singleRuns = Number(process.env.BENCH_SINGLE_RUNS ?? 1000);
const bystanders = Math.round(contacts / 10);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const ms = (value: number) => `${value.toFixed(2)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

// BENCH_DATABASE_URL runs the same benchmark on a PostgreSQL server, in a fresh database it drops.
async function openBenchDatabase(): Promise<{ db: Database; label: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) return { db: await openPglite(undefined), label: 'PGlite in memory', drop: async () => {} };
  const { url, version, drop } = await createFreshPostgresDatabase(serverUrl, 'qh_bench');
  return { db: await openPostgres(url), label: `PostgreSQL ${version} server on this machine`, drop };
}

const { db, label: databaseLabel, drop } = await openBenchDatabase();
// On a server, this process's CPU time leaves out the database's: only wall time compares.
const inProcess = db.kind === 'pglite';
await migrate(db);
const { orgId } = await createOrganization(db, { name: 'Bench' }, systemActor);
const { orgId: otherOrgId } = await createOrganization(db, { name: 'Bystander' }, systemActor);

// A spread of leads: every signal sees known and unknown data, enrichment on a third of them,
// qualification data on a quarter.
async function seed(org: string, count: number, prefix: string) {
  await db.query(
    `insert into contacts (org_id, email, phone, title, industry, company_size, country, source, enrichment, qualification)
     select $1, $2 || g || '@company' || (g % 5000) || '.example',
       case when g % 5 = 0 then '+4930' || lpad(g::text, 8, '0') end,
       (array['VP Sales', 'CEO', 'Sales Manager', 'Account Executive', 'Head of Growth', 'CTO',
              'Director of Marketing', null])[1 + g % 8],
       (array['Software', 'Healthcare', 'Retail', 'Logistics', 'SaaS', null])[1 + g % 6],
       case when g % 7 = 0 then null else (g * 37) % 6000 end,
       (array['US', 'DE', 'Brazil', 'GB', 'Japan', null])[1 + g % 6],
       (array['demo_request', 'web', 'import', null])[1 + g % 4],
       case when g % 3 = 0 then jsonb_build_object('fields', jsonb_build_object(
         'industry', jsonb_build_object('value', 'Computer Software', 'source', 'perplexity'),
         'techStack', jsonb_build_object('value', jsonb_build_array('Salesforce', 'Slack', 'AWS'), 'source', 'perplexity'),
         'headcountGrowthPct', jsonb_build_object('value', (g % 40) - 5, 'source', 'perplexity'),
         'lastFundingAt', jsonb_build_object('value', '2026-0' || (1 + g % 9) || '-15', 'source', 'perplexity'),
         'region', jsonb_build_object('value', 'EMEA', 'source', 'offline')))
       else '{}'::jsonb end,
       case when g % 4 = 0 then jsonb_build_object(
         'bant', jsonb_build_object(
           'budget', jsonb_build_object('amountCents', (g % 20) * 100000),
           'authority', jsonb_build_object('isDecisionMaker', g % 8 = 0),
           'timeline', jsonb_build_object('withinDays', g % 120)),
         'engagement', jsonb_build_object('messages', g % 8))
       else '{}'::jsonb end
     from generate_series(1, $3::int) g`,
    [org, prefix, count],
  );
}

const [, seedMs] = await timed(async () => {
  await seed(orgId, contacts, 'lead');
  await seed(otherOrgId, bystanders, 'other');
  await db.query('vacuum analyze contacts');
});
console.log(
  `seeded ${contacts.toLocaleString('en-US')} contacts (+${bystanders.toLocaleString('en-US')} in another organization) in ${seconds(seedMs)}`,
);

// 1. Single-lead latency.
const sample = await db.query<{ id: string }>(
  'select id from contacts where org_id = $1 order by created_at, id limit $2',
  [orgId, singleRuns],
);
async function latencies(trigger: 'lead.created' | 'manual') {
  const times: number[] = [];
  for (const { id } of sample) {
    const [, elapsed] = await timed(() => scoreLead(db, orgId, id, trigger));
    times.push(elapsed);
  }
  return times.sort((a, b) => a - b);
}
const first = await latencies('lead.created');
const repeat = await latencies('manual');

// 2. Bulk re-score next to a plain UPDATE of the same rows. Each plain UPDATE also scrambles
// the scores, so the re-score after it changes (nearly) every row: the worst case. Timings are
// taken after a VACUUM, so neither side pays for the other's dead rows.
interface Timing {
  wallMs: number;
  cpuMs: number;
}
async function measured<T>(work: () => Promise<T>): Promise<[T, Timing]> {
  await db.query('vacuum contacts');
  const cpu = process.cpuUsage();
  const [result, wallMs] = await timed(work);
  const used = process.cpuUsage(cpu);
  return [result, { wallMs, cpuMs: (used.user + used.system) / 1000 }];
}
const plainUpdate = () =>
  db.query(
    `update contacts set lead_score = (coalesce(company_size, 0) + length(coalesce(title, ''))) % 101
     where org_id = $1`,
    [orgId],
  );
const plain: Timing[] = [];
const [initial, initialTime] = await measured(() => rescoreOrganization(db, orgId, { trigger: 'manual' }));
plain.push((await measured(plainUpdate))[1]);
const [changedRun, changedTime] = await measured(() =>
  updateScoringProfile(
    db,
    orgId,
    {
      industries: ['software', 'saas', 'logistics'],
      weights: {
        icpMatch: 25,
        companySize: 15,
        decisionMaker: 20,
        budgetSignals: 10,
        techFit: 10,
        growth: 5,
        geography: 5,
        intent: 10,
      },
    },
    systemActor,
  ),
);
plain.push((await measured(plainUpdate))[1]);
const [againRun, againTime] = await measured(() => rescoreOrganization(db, orgId, { trigger: 'manual' }));
plain.push((await measured(plainUpdate))[1]);
await measured(() => rescoreOrganization(db, orgId, { trigger: 'manual' }));
const [unchangedRun, unchangedTime] = await measured(() => rescoreOrganization(db, orgId));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const plainWall = median(plain.map((t) => t.wallMs));
const plainCpu = median(plain.map((t) => t.cpuMs));
const versus = (t: Timing) =>
  `${seconds(t.wallMs)} wall (${(t.wallMs / plainWall).toFixed(2)}×)` +
  (inProcess ? `, ${seconds(t.cpuMs)} CPU (${(t.cpuMs / plainCpu).toFixed(2)}×)` : '');

const [{ history, events }] = (await db.query<{ history: number; events: number }>(
  `select (select count(*) from score_history where org_id = $1)::int as history,
          (select count(*) from events where org_id = $1 and name = 'lead.scored')::int as events`,
  [orgId],
)) as [{ history: number; events: number }];
const [{ untouched }] = (await db.query<{ untouched: number }>(
  'select count(*)::int as untouched from contacts where org_id = $1 and lead_score is null',
  [otherOrgId],
)) as [{ untouched: number }];
await db.close();
await drop();

const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
const rows = [
  ['date', execSync('date -u').toString().trim()],
  [
    'load average at the end (1/5/15 min)',
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  ],
  [
    'machine',
    `${os.cpus().length} cores (${cpuModel}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${databaseLabel}`,
  ],
  [
    'contacts',
    `${contacts.toLocaleString('en-US')} (+${bystanders.toLocaleString('en-US')} in another organization)`,
  ],
  [
    `scoreLead, first score (n=${sample.length})`,
    `p50 ${ms(percentile(first, 50))}, p99 ${ms(percentile(first, 99))}`,
  ],
  [
    `scoreLead, unchanged (n=${sample.length})`,
    `p50 ${ms(percentile(repeat, 50))}, p99 ${ms(percentile(repeat, 99))}`,
  ],
  [
    'plain SQL UPDATE of lead_score, same rows (median of 3)',
    `${seconds(plainWall)} wall${inProcess ? `, ${seconds(plainCpu)} CPU` : ''} (runs: ${plain.map((t) => seconds(t.wallMs)).join(', ')})`,
  ],
  [
    `rescoreOrganization, first scoring (${initial.changed.toLocaleString('en-US')} changed)`,
    versus(initialTime),
  ],
  [`PUT profile + re-score (${changedRun.changed.toLocaleString('en-US')} changed)`, versus(changedTime)],
  [`rescoreOrganization again (${againRun.changed.toLocaleString('en-US')} changed)`, versus(againTime)],
  [`rescoreOrganization, nothing changed (${unchangedRun.changed} changed)`, versus(unchangedTime)],
  [
    'score_history rows / lead.scored events',
    `${history.toLocaleString('en-US')} / ${events.toLocaleString('en-US')}`,
  ],
  [
    'other organization left unscored',
    `${untouched.toLocaleString('en-US')} of ${bystanders.toLocaleString('en-US')}`,
  ],
];
console.log(`\n| measure | result |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`);
