/**
 * Widget load: many connected chat widgets, each sending a message a second, against the real
 * server — acknowledgement latency next to a bare socket.io echo measured in the same run, every
 * acknowledged message checked in the database, and server memory per connected widget.
 *
 *   npx tsx bench/widget-load.bench.ts                                   # 2,000 widgets × 30 s
 *   BENCH_WIDGETS=200 BENCH_SECONDS=10 npx tsx bench/widget-load.bench.ts
 *   BENCH_INTERVAL_MS=10000 npx tsx bench/widget-load.bench.ts            # one message per 10 s each
 *   BENCH_TARGETS=quotahit npx tsx bench/widget-load.bench.ts             # skip the echo
 *   BENCH_OPEN_CHATS=0 npx tsx bench/widget-load.bench.ts                 # first messages in the window
 *   BENCH_CPU_PROF=/tmp/prof npx tsx bench/widget-load.bench.ts           # V8 CPU profile of the server
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/widget-load.bench.ts
 *                                     # QuotaHit on a PostgreSQL server, in a fresh database it drops
 *
 * Every process is separate, so each is measured alone and the clients do not take the server's
 * core: the server under test (bench/widget-load/quotahit-server.ts: `startServer` as
 * `npm start` runs it, on a fresh DATA_DIR with PGlite; or bench/widget-load/echo-server.ts) and
 * BENCH_CLIENT_PROCESSES (default 2) client processes sharing the widgets
 * (bench/widget-load/widget-clients.ts). The targets run one after the other with the same client
 * code: echo first, then QuotaHit. For each: memory before any connection, connect all widgets,
 * memory again (RSS from /proc/<pid>/status, heap after a full GC over IPC), each widget opens
 * its chat (its first message, acked and answered), the send window,
 * memory after it; then for QuotaHit the server is stopped and its database opened to check that
 * every acknowledged client id is stored exactly once, with the id the ack named, in send order
 * (the bench exits 1 if one is not). The server's event-loop delay over the window is reported:
 * it is how long socket reads, acks and heartbeats waited.
 */
import { type ChildProcess, execSync, fork } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPglite } from '../server/db/pglite-database.ts';
import { openPostgres } from '../server/db/postgres-database.ts';
import { createFreshPostgresDatabase } from '../tests/support/fresh-postgres-database.ts';
import type { TargetMemory, TargetReady } from './widget-load/target-ipc.ts';
import type { ClientRequest, Connected, Opened, RunResult } from './widget-load/widget-clients.ts';

const widgetCount = Number(process.env.BENCH_WIDGETS ?? 2_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const intervalMs = Number(process.env.BENCH_INTERVAL_MS ?? 1_000);
const clientProcesses = Number(process.env.BENCH_CLIENT_PROCESSES ?? 2);
const ackTimeoutMs = Number(process.env.BENCH_ACK_TIMEOUT_MS ?? 20_000);
const drainMs = Number(process.env.BENCH_DRAIN_MS ?? 10_000);
/** Each widget opens its chat before the window (1), or writes its first message in it (0). */
const openChatsFirst = (process.env.BENCH_OPEN_CHATS ?? '1') !== '0';
// QuotaHit on a PostgreSQL server (DATABASE_URL) instead of PGlite in its DATA_DIR.
const serverUrl = process.env.BENCH_DATABASE_URL;
const targets = (process.env.BENCH_TARGETS ?? 'echo,quotahit').split(',') as ('echo' | 'quotahit')[];
const origin = 'https://shop.bench.test';
const here = path.dirname(fileURLToPath(import.meta.url));
const childArgv = ['--import', 'tsx'];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const ms = (value: number) =>
  value >= 100 ? `${Math.round(value).toLocaleString('en-US')} ms` : `${value.toFixed(2)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const count = (value: number) => value.toLocaleString('en-US');
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** CPU seconds (user + system) the process has used, from /proc/<pid>/stat. */
async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits for the next IPC message of `type` from a child. */
function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if (message?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before "${type}"`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Keeps a child's output out of the table: counted, the last lines kept for the report. */
function captureOutput(child: ChildProcess): { lines: number; tail: string[] } {
  const captured = { lines: 0, tail: [] as string[] };
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      captured.lines++;
      captured.tail.push(line.slice(0, 300));
      if (captured.tail.length > 5) captured.tail.shift();
    }
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return captured;
}

interface Memory {
  rss: number;
  heapUsed: number;
  /** Event-loop delay since the previous reading. */
  loopDelay: TargetMemory['loopDelay'];
}

async function memoryOf(target: ChildProcess): Promise<Memory> {
  const answer = nextMessage<TargetMemory>(target, 'memory');
  target.send({ type: 'memory' });
  const { heapUsed, loopDelay } = await answer;
  return { rss: await rssOf(target.pid!), heapUsed, loopDelay };
}

interface Verification {
  stored: number;
  exactlyOnce: number;
  missing: number;
  duplicated: number;
  wrongId: number;
  outOfOrder: number;
  timedOutButStored: number;
  inboundByStatus: Record<string, number>;
  agentMessages: number;
}

/** After the server has stopped: every acknowledged client id is stored once, as acked, in order. */
async function verify(database: string, results: RunResult[]): Promise<Verification> {
  const db = database.startsWith('postgres') ? await openPostgres(database) : await openPglite(database);
  try {
    const acked = new Map(results.flatMap((r) => r.stored));
    const rows = await db.query<{ client_id: string; id: string; seq: number; conversation_id: string }>(
      `select client_id, id::text, seq, conversation_id::text from messages
       where direction = 'inbound' and client_id is not null order by conversation_id, seq`,
    );
    const seen = new Map<string, number>();
    let wrongId = 0;
    let outOfOrder = 0;
    const lastOf = new Map<string, number>();
    for (const row of rows) {
      seen.set(row.client_id, (seen.get(row.client_id) ?? 0) + 1);
      const ackedId = acked.get(row.client_id);
      if (ackedId !== undefined && ackedId !== row.id) wrongId++;
      // Client ids are `<visitorId>:<n>`: within a conversation n must rise with seq.
      const n = Number(row.client_id.slice(row.client_id.lastIndexOf(':') + 1));
      const last = lastOf.get(row.conversation_id);
      if (last !== undefined && n <= last) outOfOrder++;
      lastOf.set(row.conversation_id, n);
    }
    let exactlyOnce = 0;
    let missing = 0;
    let duplicated = 0;
    for (const clientId of acked.keys()) {
      const times = seen.get(clientId) ?? 0;
      if (times === 1) exactlyOnce++;
      else if (times === 0) missing++;
      else duplicated++;
    }
    const timedOut = results.flatMap((r) => r.timedOut);
    const statuses = await db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from messages where direction = 'inbound' group by status`,
    );
    const agent = await db.query<{ n: number }>(
      `select count(*)::int as n from messages where direction = 'outbound' and sender = 'agent'`,
    );
    return {
      stored: rows.length,
      exactlyOnce,
      missing,
      duplicated,
      wrongId,
      outOfOrder,
      timedOutButStored: timedOut.filter((id) => seen.has(id)).length,
      inboundByStatus: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
      agentMessages: agent[0]?.n ?? 0,
    };
  } finally {
    await db.close();
  }
}

interface TargetRun {
  name: string;
  connected: number;
  connectFailures: Record<string, number>;
  connectMs: number;
  idle: Memory;
  withWidgets: Memory;
  /** The chats opened before the window, when they were. */
  opening?: { opened: number; failed: number; latency: number[]; answered: number; ms: number };
  afterLoad: Memory;
  results: RunResult[];
  serverCpu: number;
  clientCpu: number;
  windowMs: number;
  output: { lines: number; tail: string[] };
  verification?: Verification;
}

async function runTarget(name: 'echo' | 'quotahit'): Promise<TargetRun> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'qh-widget-load-'));
  const server =
    name === 'quotahit' && serverUrl ? await createFreshPostgresDatabase(serverUrl, 'qh_bench') : null;
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const script = path.join(here, 'widget-load', name === 'echo' ? 'echo-server.ts' : 'quotahit-server.ts');
  const target = fork(script, [], {
    execArgv: [
      ...childArgv,
      '--expose-gc',
      // A V8 CPU profile of the server under test, written when it exits (open in Chrome DevTools).
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []),
    ],
    env: {
      ...env,
      ...(server ? { DATABASE_URL: server.url } : {}),
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      BENCH_ORIGIN: origin,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output = captureOutput(target);
  const clients: ChildProcess[] = [];
  try {
    const ready = await nextMessage<TargetReady>(target, 'ready');
    await sleep(2_000);
    const idle = await memoryOf(target);

    const share = Math.ceil(widgetCount / clientProcesses);
    for (let i = 0; i < clientProcesses; i++) {
      clients.push(
        fork(path.join(here, 'widget-load', 'widget-clients.ts'), [], {
          execArgv: childArgv,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    }
    const send = (child: ChildProcess, request: ClientRequest) => child.send(request);
    const connected = await Promise.all(
      clients.map((child, i) => {
        const answer = nextMessage<Connected>(child, 'connected');
        send(child, {
          type: 'connect',
          url: ready.url,
          key: ready.key,
          origin: ready.origin,
          first: i * share,
          count: Math.max(0, Math.min(share, widgetCount - i * share)),
          concurrency: 50,
        });
        return answer;
      }),
    );
    await sleep(3_000);
    const withWidgets = await memoryOf(target);
    let opening: TargetRun['opening'];
    if (openChatsFirst) {
      const opened = await Promise.all(
        clients.map((child) => {
          const answer = nextMessage<Opened>(child, 'opened');
          send(child, {
            type: 'open',
            concurrency: 25,
            ackTimeoutMs,
            awaitAnswer: name === 'quotahit',
            answerTimeoutMs: 180_000,
          });
          return answer;
        }),
      );
      const sum = (pick: (o: Opened) => number) => opened.reduce((total, o) => total + pick(o), 0);
      opening = {
        opened: sum((o) => o.opened),
        failed: sum((o) => o.failed),
        latency: opened.flatMap((o) => o.latency).sort((a, b) => a - b),
        answered: sum((o) => o.answered),
        ms: Math.max(...opened.map((o) => o.ms)),
      };
      await sleep(3_000);
    }
    // Event-loop delay from here on is the send window's (and its drain's).
    await memoryOf(target);

    const cpuBefore = await Promise.all([target, ...clients].map((child) => cpuSecondsOf(child.pid!)));
    const startAt = Date.now() + 1_000;
    const results = await Promise.all(
      clients.map((child) => {
        const answer = nextMessage<RunResult>(child, 'result');
        send(child, { type: 'run', startAt, seconds, intervalMs, ackTimeoutMs, drainMs });
        return answer;
      }),
    );
    const windowMs = Date.now() - startAt;
    const cpuAfter = await Promise.all([target, ...clients].map((child) => cpuSecondsOf(child.pid!)));
    const cpu = cpuAfter.map((after, i) => after - cpuBefore[i]!);
    const afterLoad = await memoryOf(target);

    for (const child of clients) send(child, { type: 'close' });
    await Promise.all(clients.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    const exited = new Promise((resolve) => target.once('exit', resolve));
    target.send({ type: 'stop' });
    await exited;
    const verification =
      name === 'quotahit' ? await verify(server?.url ?? path.join(dataDir, 'pglite'), results) : undefined;
    return {
      name:
        name === 'echo'
          ? 'bare socket.io echo'
          : `QuotaHit (${server ? `PostgreSQL ${server.version}` : 'PGlite'})`,
      connected: connected.reduce((sum, c) => sum + c.connected, 0),
      connectFailures: Object.assign({}, ...connected.map((c) => c.failures)),
      connectMs: Math.max(...connected.map((c) => c.ms)),
      idle,
      withWidgets,
      opening,
      afterLoad,
      results,
      serverCpu: cpu[0]! / (windowMs / 1000),
      clientCpu: cpu.slice(1).reduce((a, b) => a + b, 0) / (windowMs / 1000),
      windowMs,
      output,
      verification,
    };
  } finally {
    for (const child of [...clients, target]) if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    await server?.drop();
  }
}

interface Summary {
  written: number;
  emitted: number;
  acked: number;
  refused: number;
  refusedReasons: Record<string, number>;
  timedOut: number;
  unsent: number;
  agentReplies: number;
  disconnects: Record<string, number>;
  firstDisconnectMs: number;
  latency: number[];
  roundTrip: number[];
  /** Acks per second over the send window. */
  ackRate: number;
  /** p50 of acks in the last quarter of the window: does latency keep growing? */
  lateP50: number;
}

function mergeCounts(counts: Record<string, number>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const each of counts)
    for (const [key, n] of Object.entries(each)) merged[key] = (merged[key] ?? 0) + n;
  return merged;
}

function summarize(run: TargetRun): Summary {
  const all = <K extends keyof RunResult>(key: K) => run.results.map((r) => r[key]);
  const acks = run.results.flatMap((r) => r.acks);
  const windowMs = seconds * 1000;
  const late = acks
    .filter(([at]) => at > windowMs * 0.75 && at <= windowMs)
    .map(([, latency]) => latency)
    .sort((a, b) => a - b);
  const refusedReasons = mergeCounts(all('refused'));
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return {
    written: sum(all('written')),
    emitted: sum(all('emitted')),
    acked: acks.length,
    refused: sum(Object.values(refusedReasons)),
    refusedReasons,
    timedOut: sum(run.results.map((r) => r.timedOut.length)),
    unsent: sum(all('unsent')),
    agentReplies: sum(all('agentReplies')),
    disconnects: mergeCounts(all('disconnects')),
    firstDisconnectMs: Math.min(...all('firstDisconnectMs').map((at) => at ?? Number.POSITIVE_INFINITY)),
    latency: acks.map(([, latency]) => latency).sort((a, b) => a - b),
    roundTrip: acks.map(([, , rtt]) => rtt).sort((a, b) => a - b),
    ackRate: acks.filter(([at]) => at <= windowMs).length / seconds,
    lateP50: percentile(late, 50),
  };
}

let kernel = '';
try {
  kernel = execSync('uname -sr').toString().trim();
} catch {}
console.log(
  `widget load bench — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${kernel}`,
);
console.log(
  `${count(widgetCount)} widgets on loopback over ${clientProcesses} client processes, one message every ${intervalMs / 1000} s each for ${seconds} s (${count(Math.round((widgetCount * 1000) / intervalMs))} messages/s offered); ack timeout ${ackTimeoutMs / 1000} s`,
);
console.log(
  `QuotaHit: startServer on ${serverUrl ? 'a fresh PostgreSQL database (BENCH_DATABASE_URL)' : 'a fresh DATA_DIR (PGlite)'}, offline model answering every message; bench-only: messagesPerMinute raised to ${process.env.BENCH_MESSAGES_PER_MINUTE ?? 10_000} (loadout: 20), allowedOrigins = [${origin}]`,
);

console.log(
  openChatsFirst
    ? 'each widget opens its chat (first message acked and answered) before the window (BENCH_OPEN_CHATS=0: first messages in the window)'
    : 'each widget writes its first message in the window (a new visitor: contact and chat created)',
);

const runs: TargetRun[] = [];
for (const name of targets) {
  console.log(`\n${name}: load average ${loadAverage()} before`);
  const run = await runTarget(name);
  runs.push(run);
  const s = summarize(run);
  console.log(
    `  ${count(run.connected)} connected in ${(run.connectMs / 1000).toFixed(1)} s${Object.keys(run.connectFailures).length ? `, failures ${JSON.stringify(run.connectFailures)}` : ''}`,
  );
  if (run.opening) {
    const o = run.opening;
    console.log(
      `  chats opened before the window: ${count(o.opened)} (failed ${count(o.failed)}) in ${(o.ms / 1000).toFixed(1)} s, ${count(o.answered)} answered; first message ack p50 ${ms(percentile(o.latency, 50))} p99 ${ms(percentile(o.latency, 99))}`,
    );
  }
  console.log(
    `  written ${count(s.written)}, emitted ${count(s.emitted)}, acked stored ${count(s.acked)}, refused ${count(s.refused)}${s.refused ? ` ${JSON.stringify(s.refusedReasons)}` : ''}, timed out ${count(s.timedOut)}, never sent ${count(s.unsent)}${Object.keys(s.disconnects).length ? `, disconnected ${JSON.stringify(s.disconnects)} (first at ${(s.firstDisconnectMs / 1000).toFixed(1)} s)` : ''}`,
  );
  console.log(
    `  ack latency (written → ack) p50 ${ms(percentile(s.latency, 50))}  p99 ${ms(percentile(s.latency, 99))}  max ${ms(s.latency.at(-1) ?? Number.NaN)}; emit → ack p50 ${ms(percentile(s.roundTrip, 50))} p99 ${ms(percentile(s.roundTrip, 99))}`,
  );
  console.log(
    `  acks/s in the window ${s.ackRate.toFixed(0)}; p50 in its last quarter ${ms(s.lateP50)}; agent replies received ${count(s.agentReplies)}`,
  );
  const delay = run.afterLoad.loopDelay;
  console.log(
    `  server CPU ${(run.serverCpu * 100).toFixed(0)}% of a core, clients ${(run.clientCpu * 100).toFixed(0)}%; server event-loop delay p50 ${ms(delay.p50)} p99 ${ms(delay.p99)} max ${ms(delay.max)}; load average ${loadAverage()} after`,
  );
  console.log(
    `  memory: idle RSS ${mib(run.idle.rss)} heap ${mib(run.idle.heapUsed)}; with widgets RSS ${mib(run.withWidgets.rss)} heap ${mib(run.withWidgets.heapUsed)}; after the window RSS ${mib(run.afterLoad.rss)} heap ${mib(run.afterLoad.heapUsed)}`,
  );
  if (run.verification) console.log(`  database: ${JSON.stringify(run.verification)}`);
  if (run.output.lines)
    console.log(`  server output: ${run.output.lines} lines, last: ${run.output.tail.join(' | ')}`);
}

const summaries = runs.map(summarize);
const echoIndex = targets.indexOf('echo');
const echoP99 = echoIndex >= 0 ? percentile(summaries[echoIndex]!.latency, 99) : Number.NaN;
const row = (label: string, cells: string[]) => console.log(`| ${label} | ${cells.join(' | ')} |`);
console.log(`\n| measure | ${runs.map((r) => r.name).join(' | ')} |`);
console.log(`|---|${runs.map(() => '---').join('|')}|`);
row(
  'widgets connected',
  runs.map((r) => count(r.connected)),
);
row(
  'messages written / acked as stored',
  summaries.map((s) => `${count(s.written)} / ${count(s.acked)}`),
);
row(
  'ack latency p50',
  summaries.map((s) => ms(percentile(s.latency, 50))),
);
row(
  'ack latency p99',
  summaries.map((s, i) =>
    i === echoIndex || Number.isNaN(echoP99)
      ? ms(percentile(s.latency, 99))
      : `${ms(percentile(s.latency, 99))} (${(percentile(s.latency, 99) / echoP99).toFixed(1)}× echo)`,
  ),
);
row(
  'acks per second (offered)',
  summaries.map((s) => `${s.ackRate.toFixed(0)} (${count(Math.round((widgetCount * 1000) / intervalMs))})`),
);
row(
  'no ack within timeout / never sent',
  summaries.map((s) => `${count(s.timedOut)} / ${count(s.unsent)}`),
);
row(
  'acked and stored exactly once',
  runs.map((r) =>
    r.verification
      ? `${count(r.verification.exactlyOnce)} of ${count(summarize(r).acked)} (missing ${r.verification.missing}, twice ${r.verification.duplicated}, out of order ${r.verification.outOfOrder})`
      : '–',
  ),
);
row(
  'agent replies received (stored)',
  runs.map((r, i) =>
    r.verification ? `${count(summaries[i]!.agentReplies)} (${count(r.verification.agentMessages)})` : '–',
  ),
);
row(
  'server memory per widget, RSS / heap',
  runs.map(
    (r) =>
      `${kib((r.withWidgets.rss - r.idle.rss) / r.connected)} / ${kib((r.withWidgets.heapUsed - r.idle.heapUsed) / r.connected)}`,
  ),
);
row(
  'server RSS idle → widgets → after window',
  runs.map((r) => `${mib(r.idle.rss)} → ${mib(r.withWidgets.rss)} → ${mib(r.afterLoad.rss)}`),
);
row(
  'server CPU in the window',
  runs.map((r) => `${(r.serverCpu * 100).toFixed(0)}% of a core`),
);
row(
  'server event-loop delay p99 / max',
  runs.map((r) => `${ms(r.afterLoad.loopDelay.p99)} / ${ms(r.afterLoad.loopDelay.max)}`),
);

const broken = runs.filter(
  (r) =>
    r.verification &&
    (r.verification.missing ||
      r.verification.duplicated ||
      r.verification.wrongId ||
      r.verification.outOfOrder),
);
if (broken.length) {
  console.error('an acknowledged message was lost, stored twice, stored under another id or out of order');
  process.exitCode = 1;
}
