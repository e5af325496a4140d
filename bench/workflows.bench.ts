/**
 * Workflow benchmarks on the embedded runtime (PGlite in memory, as `npm start` runs):
 * 1. events per second through a three-step function;
 * 2. latency from `lead.created` to `lead.scored` through the real lead pipeline (p50/p99).
 *
 *   npx tsx bench/workflows.bench.ts [events=2000] [leads=300]
 */
import os from 'node:os';
import { systemActor } from '../core/actor.ts';
import { enrichLead, enrichmentProviders } from '../core/enrichment/enrich-lead.ts';
import { emitEvent } from '../core/events.ts';
import { upsertLead } from '../core/leads.ts';
import { createOrganization, getOrganization } from '../core/organizations.ts';
import { scoreLead } from '../core/scoring/score-lead.ts';
import { ambientDatabase } from '../inngest/ambient-database.ts';
import { EmbeddedRuntime } from '../inngest/embedded-runtime.ts';
import { leadPipeline } from '../inngest/functions/lead-pipeline.ts';
import { defineWorkflow, type WorkflowDefinition } from '../inngest/workflow.ts';
import { migrate } from '../server/db/migrate.ts';
import { openPglite } from '../server/db/pglite-database.ts';

const [eventCount = 2000, leadCount = 300] = process.argv.slice(2).map(Number);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function freshDatabase() {
  const base = await openPglite(undefined);
  await migrate(base);
  return { base, db: ambientDatabase(base) };
}

async function throughput() {
  const { base, db } = await freshDatabase();
  const { orgId } = await createOrganization(db, { name: 'Bench' }, systemActor);
  const threeSteps = defineWorkflow({
    id: 'three-steps',
    triggers: [{ event: 'lead.updated' }],
    handler: async ({ event, step }) => {
      const a = await step.run('one', () => event.data.fields.length);
      const b = await step.run('two', () => a + 1);
      return step.run('three', () => b * 2);
    },
  });
  await db.transaction(async (tx) => {
    for (let i = 0; i < eventCount; i++)
      await emitEvent(tx, 'lead.updated', { orgId, contactId: crypto.randomUUID(), fields: ['x'] });
  });
  const runtime = new EmbeddedRuntime({
    db,
    functions: [threeSteps as WorkflowDefinition<never>],
    pollIntervalMs: 5,
  });
  const started = performance.now();
  runtime.start();
  for (;;) {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from workflow_runs where status = 'completed'`,
    );
    if (row!.n >= eventCount) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  await runtime.stop();
  await base.close();
  return { events: eventCount, seconds, perSecond: eventCount / seconds };
}

async function createdToScored() {
  const { base, db } = await freshDatabase();
  const { orgId } = await createOrganization(db, { name: 'Bench' }, systemActor);
  const providers = enrichmentProviders({});
  const runtime = new EmbeddedRuntime({
    db,
    pollIntervalMs: 100,
    functions: leadPipeline({
      enrich: (o, c) => enrichLead(db, providers, o, c).then((r) => r.sources),
      score: (o, c, trigger) => scoreLead(db, o, c, trigger).then((r) => r.score),
      qualificationThreshold: async (o) => (await getOrganization(db, o)).settings.qualificationThreshold,
      startQualification: async () => null, // measured here: created → scored only
      route: async () => null,
      followThrough: async () => null,
      assignQueuedLeads: async () => null,
    }),
  });
  runtime.start();
  for (let i = 0; i < leadCount; i++) {
    await upsertLead(
      db,
      orgId,
      { email: `lead${i}@bench${i % 50}.example`, title: 'VP Sales', companySize: 120 },
      systemActor,
    );
    runtime.poke(); // as the HTTP layer does after a request that wrote events
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (;;) {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from events where name = 'lead.scored'`,
    );
    if (row!.n >= leadCount) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await runtime.stop();
  // Both timestamps are taken by the database: when lead.created and lead.scored were written.
  const rows = await db.query<{ ms: number }>(
    `select extract(epoch from (s.created_at - c.created_at)) * 1000 as ms
     from events c join events s on s.data->>'contactId' = c.data->>'contactId' and s.name = 'lead.scored'
     where c.name = 'lead.created' order by ms`,
  );
  await base.close();
  const ms = rows.map((row) => Number(row.ms));
  return { leads: leadCount, p50: percentile(ms, 50), p99: percentile(ms, 99), max: ms[ms.length - 1]! };
}

const machine = `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
console.log(`# workflows bench — ${new Date().toISOString()} — ${machine}`);
const t = await throughput();
console.log(
  `three-step function: ${t.events} events in ${t.seconds.toFixed(2)} s = ${t.perSecond.toFixed(0)} events/s`,
);
const l = await createdToScored();
console.log(
  `lead.created → lead.scored over ${l.leads} leads: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms`,
);
