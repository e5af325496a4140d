/**
 * Qualifier quality: how well the BANT+ qualifier reads prospects, on a labelled set of dialogues
 * (bench/qualifier-eval/dialogues.ts), through the real conversation service.
 *
 *   npx tsx bench/qualifier-eval.ts                     # every dialogue, the offline model
 *   npx tsx bench/qualifier-eval.ts --only terse        # one category (or a dialogue id; commas for several)
 *   npx tsx bench/qualifier-eval.ts --show te-01        # also print that dialogue's transcript (or --show failing)
 *   npx tsx bench/qualifier-eval.ts --json > eval.json  # the figures as JSON on stdout
 *   ANTHROPIC_API_KEY=… npx tsx bench/qualifier-eval.ts # Claude, as the server wires it
 *
 * Every dialogue is one web visitor of the demo organization (Brightwave, with its knowledge
 * base) on a fresh migrated PGlite database in memory: its turns go one after another through
 * `receiveInbound`, each waiting for the agent's answer, on a clock fixed at
 * 2026-12-07T15:00:00Z. All turns are sent; the turn at which the outcome was first decided is
 * recorded. Then the contact row is read back (name, email, phone, company, title, size,
 * industry, country, website and the `qualification` document) and compared with the labels.
 *
 * Scoring, per field: a true positive when the stored value matches the label; a false positive
 * when a value is stored that the label does not expect, or a wrong one; a false negative when
 * the label expects a value and none is stored. Exit code 0 always: a benchmark, not a test.
 */

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createOfflineQualifier } from '../agents/offline-model/offline-qualifier.ts';
import { loadAllLoadouts } from '../agents/runtime/loadouts.ts';
import { createQualifierRuntime } from '../agents/runtime/qualifier-runtime.ts';
import { createWebChannel } from '../channels/web/web-channel.ts';
import {
  type ConversationServiceDeps,
  createConversationServiceDeps,
  receiveInbound,
} from '../core/conversations/conversation-service.ts';
import { createDemoOrganization } from '../core/demo-organization.ts';
import { recordingSender, sendOutbound } from '../core/outbound.ts';
import type { QualifierModel } from '../core/qualification/qualifier-model.ts';
import { migrate } from '../server/db/migrate.ts';
import { openPglite } from '../server/db/pglite-database.ts';
import {
  type Alternatives,
  bantFields,
  type Category,
  categories,
  contactFields,
  dialogues,
  type ExpectedOutcome,
  type Field,
  type LabelledDialogue,
  type Range,
} from './qualifier-eval/dialogues.ts';

const fixedNow = new Date('2026-12-07T15:00:00Z');
const outcomeNames = ['QUALIFIED', 'NURTURE', 'DISQUALIFIED'] as const;
type Outcome = (typeof outcomeNames)[number];

// ---- command line ------------------------------------------------------------------------

function parseArgs(argv: string[]) {
  const options = { json: false, only: [] as string[], show: [] as string[], concurrency: 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next!;
    };
    if (arg === '--json') options.json = true;
    else if (arg === '--only') options.only.push(...value().split(','));
    else if (arg.startsWith('--only=')) options.only.push(...arg.slice(7).split(','));
    else if (arg === '--show') options.show.push(...value().split(','));
    else if (arg.startsWith('--show=')) options.show.push(...arg.slice(7).split(','));
    else if (arg === '--concurrency') options.concurrency = Number(value());
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  return options;
}

function usage(problem?: string): never {
  if (problem) console.error(problem);
  console.error(
    'usage: npx tsx bench/qualifier-eval.ts [--json] [--only <category|id>[,…]] [--show <id|failing>[,…]] [--concurrency N]',
  );
  console.error(`categories: ${categories.join(', ')}`);
  process.exit(0); // a benchmark always exits 0
}

const options = parseArgs(process.argv.slice(2));
const selected = dialogues.filter(
  (dialogue) =>
    options.only.length === 0 ||
    options.only.includes(dialogue.category) ||
    options.only.includes(dialogue.id),
);
if (selected.length === 0) usage(`--only ${options.only.join(',')} matches no dialogue`);

// ---- the product, wired as the server wires it -------------------------------------------

// As server/conversations.ts: every loadout checked, then the qualifier's runtime (Claude with
// ANTHROPIC_API_KEY, else the offline model with the loadout's competitor list).
loadAllLoadouts();
const runtime = createQualifierRuntime({
  env: {
    ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL: process.env.ANTHROPIC_BASE_URL,
  },
});
const model: QualifierModel =
  runtime.provider === 'anthropic'
    ? runtime.model
    : createOfflineQualifier({ competitors: runtime.loadout.config.offline?.competitors });
const concurrency = options.concurrency > 0 ? options.concurrency : runtime.provider === 'anthropic' ? 8 : 4;

const progress = (line: string) => console.error(line);
const started = performance.now();
const db = await openPglite(undefined);
await migrate(db);
const { orgId } = await createDemoOrganization(db, 'bench-password-1');

const problems: string[] = [];
/** Guardrail refusals are expected (the injection dialogues): counted, not listed. */
let injectionsRefused = 0;
const senders = {
  web: createWebChannel().sender,
  email: recordingSender('email'),
  sms: recordingSender('sms'),
  whatsapp: recordingSender('whatsapp'),
  voice: recordingSender('voice'),
};
const deps: ConversationServiceDeps = createConversationServiceDeps({
  db,
  qualifier: model,
  limits: runtime.limits,
  tools: runtime.tools,
  deliver: (draft) => sendOutbound({ db, senders }, draft),
  now: () => fixedNow,
  log: {
    info: () => {},
    warn: (details, message) => {
      if (message === 'prompt injection attempt refused') injectionsRefused++;
      else problems.push(`warn: ${message} ${JSON.stringify(details).slice(0, 200)}`);
    },
    error: (details, message) =>
      problems.push(`error: ${message} ${String((details.err as Error | undefined)?.message ?? '')}`),
  },
});
progress(
  `qualifier eval: ${selected.length} dialogues, model ${model.name} (${runtime.provider}), concurrency ${concurrency}; database ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

// ---- running one dialogue ----------------------------------------------------------------

interface TurnRecord {
  prospect: string;
  agent: string | null;
  outcome: Outcome | null;
  error?: string;
}

interface ContactRow {
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  company_name: string | null;
  title: string | null;
  company_size: number | null;
  industry: string | null;
  country: string | null;
  website: string | null;
  status: string;
  qualification: Record<string, unknown> | null;
}

interface DialogueRun {
  dialogue: LabelledDialogue;
  turns: TurnRecord[];
  /** 1-based turn after which the outcome was first set. */
  decidedAt: number | null;
  outcome: Outcome | null;
  reasons: string[];
  bant: Record<string, Record<string, unknown> | undefined>;
  contact: ContactRow | null;
  closedReason: string | null;
}

async function runDialogue(dialogue: LabelledDialogue): Promise<DialogueRun> {
  const visitorId = `eval-${dialogue.id}-${randomUUID()}`;
  const turns: TurnRecord[] = [];
  let contactId: string | null = null;
  let decidedAt: number | null = null;
  for (const [index, body] of dialogue.turns.entries()) {
    try {
      const result = await receiveInbound(deps, {
        orgId,
        channel: 'web',
        from: { visitorId },
        body,
        clientId: randomUUID(),
      });
      contactId = result.contactId;
      const outcome = (result.outcome as Outcome | null) ?? null;
      if (outcome && decidedAt === null) decidedAt = index + 1;
      turns.push({ prospect: body, agent: result.reply?.body ?? null, outcome });
    } catch (error) {
      turns.push({ prospect: body, agent: null, outcome: null, error: (error as Error).message });
    }
  }
  if (!contactId) {
    return {
      dialogue,
      turns,
      decidedAt,
      outcome: null,
      reasons: [],
      bant: {},
      contact: null,
      closedReason: null,
    };
  }
  const [contact] = await db.query<ContactRow>(
    `select first_name, last_name, email, phone, company_name, title, company_size, industry, country, website,
            status, qualification
     from contacts where org_id = $1 and id = $2`,
    [orgId, contactId],
  );
  const closed = await db.query<{ reason: string | null }>(
    `select agent_state ->> 'closedReason' as reason from conversations
     where org_id = $1 and contact_id = $2 and status = 'closed' order by created_at limit 1`,
    [orgId, contactId],
  );
  const qualification = (contact?.qualification ?? {}) as Record<string, unknown>;
  const outcome = outcomeNames.includes(qualification.outcome as Outcome)
    ? (qualification.outcome as Outcome)
    : null;
  return {
    dialogue,
    turns,
    decidedAt,
    outcome,
    reasons: Array.isArray(qualification.reasons) ? (qualification.reasons as string[]) : [],
    bant: (qualification.bant ?? {}) as DialogueRun['bant'],
    contact: contact ?? null,
    closedReason: closed[0]?.reason ?? null,
  };
}

async function runAll(list: readonly LabelledDialogue[]): Promise<DialogueRun[]> {
  const runs: DialogueRun[] = new Array(list.length);
  let next = 0;
  let done = 0;
  async function worker() {
    while (next < list.length) {
      const index = next++;
      runs[index] = await runDialogue(list[index]!);
      done++;
      if (done % 20 === 0 || done === list.length) progress(`  ${done}/${list.length} dialogues`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
  return runs;
}

const runStarted = performance.now();
const runs = await runAll(selected);
const runSeconds = (performance.now() - runStarted) / 1000;

// ---- comparing with the labels -----------------------------------------------------------

type Verdict = 'tp' | 'extra' | 'wrong' | 'fn' | 'tn';
interface FieldCheck {
  field: Field;
  verdict: Verdict;
  expected: unknown;
  got: unknown;
}

const text = (value: string) =>
  value
    .normalize('NFKC')
    .toLowerCase()
    .replace(/vice president/g, 'vp')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .replace(/\b(the|of|a|an)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const alternatives = (expected: Alternatives) => (typeof expected === 'string' ? [expected] : [...expected]);
const sameText = (expected: Alternatives, got: unknown) =>
  typeof got === 'string' && alternatives(expected).some((option) => text(option) === text(got));
const containsText = (expected: Alternatives, got: unknown) =>
  typeof got === 'string' &&
  text(got) !== '' &&
  alternatives(expected).some(
    (option) => text(got).includes(text(option)) || text(option).includes(text(got)),
  );
const inRange = (expected: number | Range, got: unknown) =>
  typeof got === 'number' &&
  (typeof expected === 'number' ? got === expected : got >= expected[0] && got <= expected[1]);
const sameSet = (expected: readonly string[], got: unknown) => {
  if (!Array.isArray(got)) return false;
  const want = new Set(expected.map(text));
  const have = new Set((got as string[]).map(text));
  return want.size === have.size && [...want].every((value) => have.has(value));
};
const digits = (value: string) => value.replace(/\D/g, '');
const samePhone = (expected: string, got: unknown) => {
  if (typeof got !== 'string') return false;
  const [a, b] = [digits(expected), digits(got)];
  return a === b || (Math.min(a.length, b.length) >= 7 && (a.endsWith(b) || b.endsWith(a)));
};
const site = (value: string) =>
  value
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/^www\./, '')
    .replace(/\/+$/, '');
const sameSite = (expected: string, got: unknown) => typeof got === 'string' && site(got) === site(expected);
const equal = (expected: unknown, got: unknown) => expected === got;

function daysFromNow(date: string): number {
  const target = Date.parse(`${date.slice(0, 10)}T00:00:00Z`);
  const today = Date.UTC(fixedNow.getUTCFullYear(), fixedNow.getUTCMonth(), fixedNow.getUTCDate());
  return Math.max(0, Math.round((target - today) / 86_400_000));
}
const present = (value: unknown) =>
  value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
    ? undefined
    : value;

/** What the run stored for each field, in the labels' terms. */
function storedValues(run: DialogueRun): Record<Field, unknown> {
  const { budget, authority, need, timeline, competition } = run.bant;
  const amountCents = budget?.amountCents as number | undefined;
  const currency =
    (budget?.currency as string | undefined) ?? (amountCents !== undefined ? 'USD' : undefined);
  const amount =
    currency && currency !== 'USD'
      ? ((budget?.originalAmountCents as number | undefined) ?? amountCents)
      : amountCents;
  const days =
    (timeline?.withinDays as number | undefined) ??
    (typeof timeline?.date === 'string' ? daysFromNow(timeline.date) : undefined);
  const c = run.contact;
  return {
    'budget.amount': amount,
    'budget.currency': currency,
    'budget.period': present(budget?.period),
    'budget.stated': present(budget?.stated),
    'authority.isDecisionMaker': present(authority?.isDecisionMaker),
    'authority.hasAccess': present(authority?.hasAccess),
    'authority.role': present(authority?.role),
    'need.identified': present(need?.identified),
    'timeline.withinDays': days,
    'competition.current': present(competition?.current),
    'competition.evaluating': present(competition?.evaluating),
    'competition.none': competition?.none === true ? true : undefined,
    'contact.firstName': present(c?.first_name),
    'contact.lastName': present(c?.last_name),
    'contact.email': present(c?.email),
    'contact.phone': present(c?.phone),
    'contact.company': present(c?.company_name),
    'contact.title': present(c?.title),
    'contact.companySize': present(c?.company_size),
    'contact.industry': present(c?.industry),
    'contact.country': present(c?.country),
    'contact.website': present(c?.website),
  };
}

/** The label for each field (undefined: the prospect did not state it) and how to compare it. */
function labelledValues(
  dialogue: LabelledDialogue,
): Record<Field, [unknown, (expected: never, got: unknown) => boolean]> {
  const { budget, authority, need, timeline, competition } = dialogue.bant;
  const c = dialogue.contact ?? {};
  return {
    'budget.amount': [budget?.amountCents, inRange],
    'budget.currency': [budget?.amountCents !== undefined ? (budget.currency ?? 'USD') : undefined, equal],
    'budget.period': [budget?.period, equal],
    'budget.stated': [budget?.stated, equal],
    'authority.isDecisionMaker': [authority?.isDecisionMaker, equal],
    'authority.hasAccess': [authority?.hasAccess, equal],
    'authority.role': [authority?.role, sameText],
    'need.identified': [need?.identified, equal],
    'timeline.withinDays': [timeline?.withinDays, inRange],
    'competition.current': [competition?.current, sameSet],
    'competition.evaluating': [competition?.evaluating, sameSet],
    'competition.none': [competition?.none, equal],
    'contact.firstName': [c.firstName, sameText],
    'contact.lastName': [c.lastName, sameText],
    'contact.email': [
      c.email,
      (expected: string, got) => typeof got === 'string' && got.toLowerCase() === expected,
    ],
    'contact.phone': [c.phone, samePhone],
    'contact.company': [c.company, containsText],
    'contact.title': [c.title, sameText],
    'contact.companySize': [c.companySize, inRange],
    'contact.industry': [c.industry, containsText],
    'contact.country': [c.country, sameText],
    'contact.website': [c.website, sameSite],
  };
}

function checkFields(run: DialogueRun): FieldCheck[] {
  const got = storedValues(run);
  const labels = labelledValues(run.dialogue);
  const checks: FieldCheck[] = [];
  for (const field of [...bantFields, ...contactFields]) {
    if (run.dialogue.unscored?.includes(field)) continue;
    const [expected, matches] = labels[field];
    const value = got[field];
    let verdict: Verdict;
    if (expected === undefined) verdict = value === undefined ? 'tn' : 'extra';
    else if (value === undefined) verdict = 'fn';
    else verdict = matches(expected as never, value) ? 'tp' : 'wrong';
    // A decision maker can reach the decider: a stored hasAccess true is not a mistake.
    if (
      field === 'authority.hasAccess' &&
      verdict === 'extra' &&
      value === true &&
      run.dialogue.bant.authority?.isDecisionMaker === true
    )
      verdict = 'tn';
    checks.push({ field, verdict, expected, got: value });
  }
  return checks;
}

// ---- figures -----------------------------------------------------------------------------

const outcomeKey = (outcome: ExpectedOutcome | Outcome | null) => outcome ?? 'none';
const confusionRows = [...outcomeNames, 'none'] as const;
const confusion = Object.fromEntries(
  confusionRows.map((row) => [row, Object.fromEntries(confusionRows.map((column) => [column, 0]))]),
) as Record<(typeof confusionRows)[number], Record<(typeof confusionRows)[number], number>>;

const checked = runs.map((run) => ({ run, checks: checkFields(run) }));
let correct = 0;
const byCategory = new Map<Category, { correct: number; total: number; fieldErrors: number }>();
for (const { run, checks } of checked) {
  const right = run.outcome === run.dialogue.outcome;
  if (right) correct++;
  confusion[outcomeKey(run.dialogue.outcome)][outcomeKey(run.outcome)]++;
  const entry = byCategory.get(run.dialogue.category) ?? { correct: 0, total: 0, fieldErrors: 0 };
  entry.total++;
  if (right) entry.correct++;
  entry.fieldErrors += checks.filter((check) => !['tp', 'tn'].includes(check.verdict)).length;
  byCategory.set(run.dialogue.category, entry);
}

interface FieldFigures {
  tp: number;
  fp: number;
  /** Of the false positives, those where a value was expected but a different one was stored. */
  wrong: number;
  fn: number;
  support: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

function figures(counts: { tp: number; fp: number; wrong: number; fn: number }): FieldFigures {
  const precision = counts.tp + counts.fp > 0 ? counts.tp / (counts.tp + counts.fp) : null;
  const recall = counts.tp + counts.fn > 0 ? counts.tp / (counts.tp + counts.fn) : null;
  // 2TP / (2TP + FP + FN): the harmonic mean of the two, and 0 when nothing right was stored.
  const denominator = 2 * counts.tp + counts.fp + counts.fn;
  const f1 = denominator > 0 ? (2 * counts.tp) / denominator : null;
  return { ...counts, support: counts.tp + counts.wrong + counts.fn, precision, recall, f1 };
}

function fieldFigures(fields: readonly Field[]): Record<string, FieldFigures> {
  const result: Record<string, FieldFigures> = {};
  for (const field of fields) {
    const counts = { tp: 0, fp: 0, wrong: 0, fn: 0 };
    for (const { checks } of checked) {
      const check = checks.find((c) => c.field === field);
      if (!check) continue;
      if (check.verdict === 'tp') counts.tp++;
      else if (check.verdict === 'fn') counts.fn++;
      else if (check.verdict === 'extra') counts.fp++;
      else if (check.verdict === 'wrong') {
        counts.fp++;
        counts.wrong++;
      }
    }
    result[field] = figures(counts);
  }
  return result;
}

function micro(perField: Record<string, FieldFigures>): FieldFigures {
  const sum = { tp: 0, fp: 0, wrong: 0, fn: 0 };
  for (const f of Object.values(perField)) {
    sum.tp += f.tp;
    sum.fp += f.fp;
    sum.wrong += f.wrong;
    sum.fn += f.fn;
  }
  return figures(sum);
}

const bantFigures = fieldFigures(bantFields);
const contactFigures = fieldFigures(contactFields);
const decided = runs.filter((run) => run.decidedAt !== null);
const decidedRight = decided.filter((run) => run.outcome === run.dialogue.outcome);
const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
const turnsToOutcome = {
  mean: mean(decided.map((run) => run.decidedAt!)),
  decided: decided.length,
  meanWhenCorrect: mean(decidedRight.map((run) => run.decidedAt!)),
  meanDialogueTurns: mean(runs.map((run) => run.dialogue.turns.length)),
};

// ---- failure lines -----------------------------------------------------------------------

const money = (cents: number) => (cents / 100).toLocaleString('en-US', { maximumFractionDigits: 2 });
function show(field: Field, value: unknown, currency?: unknown): string {
  if (value === undefined) return '—';
  if (field === 'budget.amount') {
    const unit = typeof currency === 'string' ? ` ${currency}` : '';
    if (Array.isArray(value)) return `${money(value[0])}–${money(value[1])}${unit}`;
    return `${money(value as number)}${unit}`;
  }
  if (field === 'timeline.withinDays' || field === 'contact.companySize') {
    const unit = field === 'timeline.withinDays' ? ' d' : '';
    return Array.isArray(value) ? `${value[0]}–${value[1]}${unit}` : `${value}${unit}`;
  }
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function failureLine({ run, checks }: (typeof checked)[number]): string | null {
  const parts: string[] = [];
  const expectedCurrency = run.dialogue.bant.budget?.currency ?? 'USD';
  const gotCurrency = checks.find((c) => c.field === 'budget.currency')?.got;
  if (run.outcome !== run.dialogue.outcome) {
    const when = run.decidedAt ? ` at turn ${run.decidedAt}` : '';
    const why = run.reasons.length ? ` (${run.reasons.join('; ').slice(0, 120)})` : '';
    const closed = run.closedReason ? ` [conversation closed: ${run.closedReason}]` : '';
    parts.push(
      `outcome want ${outcomeKey(run.dialogue.outcome)} got ${outcomeKey(run.outcome)}${when}${why}${closed}`,
    );
  }
  for (const check of checks) {
    if (check.verdict === 'tp' || check.verdict === 'tn') continue;
    const want = show(check.field, check.expected, expectedCurrency);
    const got = show(check.field, check.got, gotCurrency);
    parts.push(`${check.field} want ${want} got ${got}`);
  }
  const errors = run.turns.filter((turn) => turn.error).map((turn) => `error: ${turn.error}`);
  parts.push(...errors);
  return parts.length ? `${run.dialogue.id} [${run.dialogue.category}] ${parts.join('; ')}` : null;
}

const failures = checked.map((entry) => ({ entry, line: failureLine(entry) })).filter((f) => f.line !== null);

// ---- output ------------------------------------------------------------------------------

const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  loadAverage: os.loadavg().map((value) => Number(value.toFixed(2))),
};
const totalSeconds = (performance.now() - started) / 1000;

if (options.json) {
  console.log(
    JSON.stringify(
      {
        benchmark: 'qualifier-eval',
        date: new Date().toISOString().slice(0, 10),
        machine,
        model: { provider: runtime.provider, name: model.name },
        now: fixedNow.toISOString(),
        only: options.only,
        dialogues: runs.length,
        outcome: { correct, total: runs.length, accuracy: correct / runs.length, confusion },
        perCategory: Object.fromEntries(byCategory),
        fields: { ...bantFigures, ...contactFigures },
        micro: { bant: micro(bantFigures), contact: micro(contactFigures) },
        turnsToOutcome,
        failures: failures.map(({ entry, line }) => ({
          id: entry.run.dialogue.id,
          category: entry.run.dialogue.category,
          expected: entry.run.dialogue.outcome,
          got: entry.run.outcome,
          decidedAtTurn: entry.run.decidedAt,
          reasons: entry.run.reasons,
          fields: entry.checks
            .filter((c) => c.verdict !== 'tp' && c.verdict !== 'tn')
            .map((c) => ({ field: c.field, verdict: c.verdict, expected: c.expected, got: c.got })),
          line,
        })),
        injectionsRefused,
        problems: problems.slice(0, 50),
        seconds: { total: Number(totalSeconds.toFixed(1)), dialogues: Number(runSeconds.toFixed(1)) },
      },
      null,
      2,
    ),
  );
} else {
  const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
  const pad = (value: string | number, width: number) => String(value).padStart(width);
  console.log(
    `qualifier eval — ${new Date().toISOString().slice(0, 10)}, ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.loadAverage.join(' ')}`,
  );
  console.log(
    `model: ${model.name} (${runtime.provider}); clock fixed at ${fixedNow.toISOString()}; ${runs.length} dialogues, ${runs.reduce((n, r) => n + r.turns.length, 0)} turns in ${runSeconds.toFixed(1)} s (${totalSeconds.toFixed(1)} s with the database)`,
  );

  console.log(
    `\noutcome accuracy: ${correct}/${runs.length} (${pct(correct / runs.length)})   [rows: expected, columns: got]`,
  );
  console.log(`${'expected \\ got'.padEnd(16)}${confusionRows.map((c) => pad(c, 13)).join('')}`);
  for (const row of confusionRows) {
    const total = confusionRows.reduce((n, column) => n + confusion[row][column], 0);
    if (row === 'none' && total === 0) continue;
    console.log(
      `${row.padEnd(16)}${confusionRows.map((column) => pad(confusion[row][column], 13)).join('')}`,
    );
  }

  console.log(`\nper category (outcome correct / dialogues, field errors):`);
  for (const [category, entry] of byCategory) {
    console.log(
      `  ${category.padEnd(30)} ${pad(`${entry.correct}/${entry.total}`, 6)}  ${pad(entry.fieldErrors, 4)}`,
    );
  }

  const table = (title: string, perField: Record<string, FieldFigures>) => {
    console.log(
      `\n${title.padEnd(27)}${['TP', 'FP', '(wrong)', 'FN', 'precision', 'recall', 'F1'].map((h) => pad(h, 10)).join('')}`,
    );
    const rows = Object.entries(perField);
    rows.push([`all ${title.split(' ')[0]} (micro)`, micro(perField)]);
    for (const [name, f] of rows) {
      console.log(
        `  ${name.padEnd(25)}${[f.tp, f.fp, f.wrong, f.fn].map((n) => pad(n, 10)).join('')}${[f.precision, f.recall, f.f1].map((v) => pad(pct(v), 10)).join('')}`,
      );
    }
  };
  table('BANT fields', bantFigures);
  table('contact fields', contactFigures);

  console.log(
    `\nturns to outcome: mean ${turnsToOutcome.mean?.toFixed(2) ?? '—'} over ${turnsToOutcome.decided} decided dialogues (${turnsToOutcome.meanWhenCorrect?.toFixed(2) ?? '—'} when correct; dialogues average ${turnsToOutcome.meanDialogueTurns?.toFixed(2)} turns)`,
  );
  console.log(`\nfailing dialogues (${failures.length} of ${runs.length}):`);
  for (const { line } of failures) console.log(`  ${line}`);
  console.log(`\ninjection attempts refused by the guardrail: ${injectionsRefused}`);
  if (problems.length) {
    console.log(`\nservice warnings and errors (${problems.length}):`);
    for (const problem of problems.slice(0, 20)) console.log(`  ${problem}`);
  }
}

// Transcripts, for reading what the agent asked and heard (on stderr with --json).
const wanted = new Set(options.show);
const transcripts = runs.filter(
  (run) =>
    wanted.has(run.dialogue.id) ||
    wanted.has(run.dialogue.category) ||
    (wanted.has('failing') && failures.some((f) => f.entry.run === run)),
);
const out = options.json ? console.error : console.log;
for (const run of transcripts) {
  out(`\n--- ${run.dialogue.id} [${run.dialogue.category}] expected ${outcomeKey(run.dialogue.outcome)}`);
  for (const [index, turn] of run.turns.entries()) {
    out(`  ${index + 1}. prospect: ${turn.prospect}`);
    out(`     agent:    ${(turn.agent ?? turn.error ?? '(no reply)').replace(/\s+/g, ' ')}`);
    if (turn.outcome) out(`     outcome:  ${turn.outcome}`);
  }
  out(`  stored bant: ${JSON.stringify(run.bant)}`);
  out(`  outcome ${outcomeKey(run.outcome)}; reasons: ${run.reasons.join('; ') || '—'}`);
}

await db.close();
process.exitCode = 0;
