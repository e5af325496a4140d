/**
 * Agent turn overhead: what the conversation service adds to a qualifier turn beyond the model's
 * own time, with many conversations at once.
 *
 *   npx tsx bench/agent-turn.bench.ts                       # 200 conversations on PGlite
 *   BENCH_CONVERSATIONS=500 npx tsx bench/agent-turn.bench.ts
 *   BENCH_THINK_MS=4000 npx tsx bench/agent-turn.bench.ts    # prospects answer faster
 *   BENCH_MODEL_MS=800 npx tsx bench/agent-turn.bench.ts     # the model "thinks" 800 ms a turn
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/agent-turn.bench.ts
 *
 * Each conversation is a web visitor going through the six-message dialogue that ends QUALIFIED
 * (greeting, need, competition, timeline, authority, budget). Two runs:
 *
 * - paced: 200 conversations at once, each prospect taking a while to read the reply and type the
 *   next message (uniformly 0.5–1.5 × BENCH_THINK_MS, default 8 s; first messages spread the same
 *   way) — what 200 live chats look like;
 * - saturated: the same conversations with no pause at all, every prospect answering the instant
 *   the reply lands — the most turns per second this database sustains, and the queueing delay
 *   when the offered load is above it.
 *
 * A turn is timed from `receiveInbound` to its return
 * with the stored, delivered reply; the model's time inside it (the offline model, plus the
 * optional simulated delay) is measured separately and subtracted. What is left is the overhead:
 * contact and conversation resolution, idempotent storage, the per-conversation queue and lease,
 * guardrails, knowledge retrieval, the BANT+ transaction (state, events, audit, agent_turns),
 * the compliance gate and delivery ledger, and waiting for the shared database.
 */

import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createOfflineQualifier } from '../agents/offline-model/offline-qualifier.ts';
import { createWebChannel } from '../channels/web/web-channel.ts';
import { createConversationServiceDeps, receiveInbound } from '../core/conversations/conversation-service.ts';
import { createDemoOrganization } from '../core/demo-organization.ts';
import { recordingSender, sendOutbound } from '../core/outbound.ts';
import type { QualifierModel } from '../core/qualification/qualifier-model.ts';
import type { Database } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import { openPglite } from '../server/db/pglite-database.ts';
import { openPostgres } from '../server/db/postgres-database.ts';
import { createFreshPostgresDatabase } from '../tests/support/fresh-postgres-database.ts';

const conversations = Number(process.env.BENCH_CONVERSATIONS ?? 200);
const modelMs = Number(process.env.BENCH_MODEL_MS ?? 0);
const thinkMs = Number(process.env.BENCH_THINK_MS ?? 8_000);
const pause = (mean: number) =>
  mean > 0 ? new Promise((resolve) => setTimeout(resolve, mean * (0.5 + Math.random()))) : Promise.resolve();
const dialogue = [
  'Hi there',
  'Our forecasts are always wrong and deals slip without warning.',
  'We use Clari today but it is too expensive.',
  'We want something in place within 30 days.',
  "I'm the VP of Sales, so it's my call.",
  'We have around $50k a year for this.',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const ms = (value: number) => `${value.toFixed(2)} ms`;

async function openBenchDatabase(): Promise<{ db: Database; label: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  if (!serverUrl) return { db: await openPglite(undefined), label: 'PGlite in memory', drop: async () => {} };
  const { url, version, drop } = await createFreshPostgresDatabase(serverUrl, 'qh_bench');
  return { db: await openPostgres(url), label: `PostgreSQL ${version} server on this machine`, drop };
}

const { db, label, drop } = await openBenchDatabase();
await migrate(db);
const { orgId } = await createDemoOrganization(db, 'bench-password-1');

// The offline model, timed: its own time and any simulated thinking are the "model time".
const modelTime = new Map<string, number>();
const offline = createOfflineQualifier();
const timedModel: QualifierModel = {
  name: 'offline',
  async runTurn(request) {
    const started = performance.now();
    if (modelMs > 0) await new Promise((resolve) => setTimeout(resolve, modelMs));
    const result = await offline.runTurn(request);
    const key = request.context.seed;
    modelTime.set(key, (modelTime.get(key) ?? 0) + performance.now() - started);
    return result;
  },
};

const senders = {
  web: createWebChannel().sender,
  email: recordingSender('email'),
  sms: recordingSender('sms'),
  whatsapp: recordingSender('whatsapp'),
  voice: recordingSender('voice'),
};
const deps = createConversationServiceDeps({
  db,
  qualifier: timedModel,
  deliver: (draft) => sendOutbound({ db, senders }, draft),
  limits: { messagesPerMinute: 10_000 },
});

interface Sample {
  total: number;
  model: number;
}

async function converse(think = 0): Promise<{ samples: Sample[]; outcome: string | null }> {
  const visitorId = `bench-${randomUUID()}`;
  const samples: Sample[] = [];
  let outcome: string | null = null;
  for (const body of dialogue) {
    await pause(think);
    const started = performance.now();
    const result = await receiveInbound(deps, {
      orgId,
      channel: 'web',
      from: { visitorId },
      body,
      clientId: randomUUID(),
    });
    const total = performance.now() - started;
    const model = modelTime.get(result.conversation.id) ?? 0;
    modelTime.delete(result.conversation.id);
    samples.push({ total, model });
    outcome = result.outcome;
  }
  return { samples, outcome };
}

function summarize(name: string, samples: Sample[], wallMs: number) {
  const overhead = samples.map((s) => s.total - s.model).sort((a, b) => a - b);
  const totals = samples.map((s) => s.total).sort((a, b) => a - b);
  const model = samples.map((s) => s.model).sort((a, b) => a - b);
  console.log(
    `\n${name}: ${samples.length} turns in ${(wallMs / 1000).toFixed(2)} s (${((samples.length / wallMs) * 1000).toFixed(0)} turns/s)`,
  );
  console.log(
    `  overhead excluding model  p50 ${ms(percentile(overhead, 50))}  p99 ${ms(percentile(overhead, 99))}  max ${ms(overhead.at(-1)!)}`,
  );
  console.log(
    `  turn as the prospect sees p50 ${ms(percentile(totals, 50))}  p99 ${ms(percentile(totals, 99))}`,
  );
  console.log(
    `  model time                p50 ${ms(percentile(model, 50))}  p99 ${ms(percentile(model, 99))}`,
  );
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
let kernel = '';
try {
  kernel = execSync('uname -sr').toString().trim();
} catch {}
console.log(
  `agent turn bench — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, ${kernel}`,
);
console.log(
  `database: ${label}; model: offline${modelMs ? ` + ${modelMs} ms simulated` : ''}; dialogue of ${dialogue.length} messages`,
);

// Warm-up, and the uncontended baseline: one conversation alone.
await converse();
const aloneStart = performance.now();
const alone = [];
for (let i = 0; i < 5; i++) alone.push(...(await converse()).samples);
summarize('1 conversation at a time', alone, performance.now() - aloneStart);

async function concurrent(name: string, think: number) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const runs = await Promise.all(Array.from({ length: conversations }, () => converse(think)));
  const wall = performance.now() - start;
  const cpuUsed = process.cpuUsage(cpuStart);
  summarize(
    name,
    runs.flatMap((run) => run.samples),
    wall,
  );
  const qualified = runs.filter((run) => run.outcome === 'QUALIFIED').length;
  console.log(
    `  outcomes: ${qualified}/${conversations} QUALIFIED; process CPU ${(((cpuUsed.user + cpuUsed.system) / 1000 / wall) * 100).toFixed(0)}% of one core`,
  );
  if (qualified !== conversations) {
    console.error('some conversations did not qualify: the bench measured something else');
    process.exitCode = 1;
  }
}

if (thinkMs > 0) {
  await concurrent(
    `${conversations} conversations at once, paced (prospect pause ~${thinkMs / 1000} s)`,
    thinkMs,
  );
}
await concurrent(`${conversations} conversations at once, saturated (no pause)`, 0);

await db.close();
await drop();
