import { randomUUID } from 'node:crypto';
import { InngestTestEngine } from '@inngest/test';
import { type InngestFunction, NonRetriableError } from 'inngest';
import type { InngestExecution } from 'inngest/internals';
import { describe, expect, it } from 'vitest';
import { createInngestClient, toInngestFunction } from '../client.ts';
import { defaultRetries } from '../embedded-runtime.ts';
import { defineWorkflow, type WorkflowDefinition } from '../workflow.ts';
import { type FollowUpSteps, followUpWorkflows } from './follow-ups.ts';
import { type LeadPipelineSteps, leadPipeline } from './lead-pipeline.ts';

/**
 * The workflow definitions on Inngest's own execution engine (the SDK code that answers Inngest's
 * requests), driven by @inngest/test, with fake domain calls. `execute` plays the requests
 * Inngest sends during one attempt until the run ends or a step fails; `reports` lists what the
 * SDK answered each request: a step's op (StepRun; StepError = "retry this step"; StepFailed =
 * "this step failed for good"; Sleep; WaitForEvent) or the run's end. A retry is a new request
 * carrying the steps recorded so far, as Inngest sends it. The outcomes asserted here are the
 * ones the embedded runtime's tests assert (../embedded-runtime.db.test.ts,
 * follow-ups.db.test.ts, lead-pipeline.db.test.ts).
 */

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const client = createInngestClient(
  { INNGEST_SIGNING_KEY: `signkey-test-${'ab'.repeat(32)}`, INNGEST_EVENT_KEY: 'test-event-key' },
  silent,
);

/** What Inngest does for a function that sets no `retries` (docs: "Errors & Retries"). */
const inngestDefaultRetries = 4;

/** What Inngest sends with a request besides the event and the recorded steps. */
interface InngestRequest {
  /** 0-based; Inngest counts each step's attempts on their own. */
  attempt?: number;
  /** The attempts a step gets: the function's retries + 1. */
  maxAttempts?: number;
  /** `failure`: the onFailure handler, which Inngest runs on `inngest/function.failed`. */
  handlerKind?: 'main' | 'failure';
}

type Report =
  | { ran: string; op: string; data?: unknown; error?: string }
  | { found: { id: string; op: string; name?: string; opts?: unknown }[] }
  | { resolved: unknown }
  | { rejected: string; retriable: unknown }
  | { other: string };

interface ExecutionOptions {
  partialOptions: {
    data: Record<string, unknown>;
    stepState: Record<string, { data?: unknown; error?: unknown }>;
  };
}
type Execution = { start(): Promise<InngestExecution.ExecutionResult> };

/**
 * The definition as Inngest registers it, under a test engine. Two things are added on the way
 * into the SDK, both what Inngest itself sends: the attempt counters (@inngest/test always says
 * attempt 0 of unknown), and step state as plain values — @inngest/test 1.0.0 hands mocked and
 * recorded steps over as promises, which inngest 4 reads as values, so a mocked waitForEvent fails
 * validation and a failed step resolves (inngest/inngest-js#1652, fix proposed in #1669).
 */
function onInngest(definition: WorkflowDefinition<never>, request: InngestRequest = {}) {
  const fn = toInngestFunction(client, definition);
  const sdk = fn as unknown as { createExecution(options: ExecutionOptions): Execution };
  const reports: Report[] = [];
  const asInngestCallsIt = Object.create(fn, {
    createExecution: {
      value: (options: ExecutionOptions): Execution => ({
        start: async () => {
          const { partialOptions } = options;
          const result = await sdk
            .createExecution({
              partialOptions: {
                ...partialOptions,
                stepState: await settled(partialOptions.stepState),
                handlerKind: request.handlerKind ?? 'main',
                data: {
                  ...partialOptions.data,
                  attempt: request.attempt ?? 0,
                  maxAttempts: request.maxAttempts ?? (definition.retries ?? inngestDefaultRetries) + 1,
                },
              } as ExecutionOptions['partialOptions'],
            })
            .start();
          reports.push(report(result));
          return result;
        },
      }),
    },
  }) as InngestFunction.Any;
  return { engine: new InngestTestEngine({ function: asInngestCallsIt }), reports };
}

async function settled(stepState: ExecutionOptions['partialOptions']['stepState']) {
  const entries = await Promise.all(
    Object.keys(stepState).map(async (id) => {
      const [data, error] = await Promise.all([stepState[id]!.data, stepState[id]!.error]);
      // A finished sleep (or a step that returned nothing) comes back from Inngest as null.
      return [id, error === undefined ? { id, data: data ?? null } : { id, error }] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const messageOf = (error: unknown) => (error as { message?: string } | undefined)?.message ?? String(error);

function report(result: InngestExecution.ExecutionResult): Report {
  switch (result.type) {
    case 'step-ran': {
      const { displayName, op, data, error } = result.step;
      const ran = displayName ?? result.step.id;
      return error === undefined ? { ran, op, data } : { ran, op, error: messageOf(error) };
    }
    case 'steps-found':
      return {
        found: result.steps.map((step) => ({
          id: step.displayName ?? step.id,
          op: step.op,
          name: step.name,
          opts: step.opts,
        })),
      };
    case 'function-resolved':
      return { resolved: result.data };
    case 'function-rejected':
      return { rejected: messageOf(result.error), retriable: result.retriable };
    default:
      return { other: result.type };
  }
}

/** Fake domain calls: each call is recorded; `fail` makes the next calls of one throw. */
function fakeDomain() {
  const calls: unknown[][] = [];
  const failures = new Map<string, Error[]>();
  return {
    calls,
    fail(name: string, ...errors: Error[]) {
      failures.set(name, errors);
    },
    async call<T>(name: string, args: unknown[], result: T): Promise<T> {
      calls.push([name, ...args]);
      const error = failures.get(name)?.shift();
      if (error) throw error;
      return result;
    },
  };
}

const byId = (definitions: WorkflowDefinition<never>[]) =>
  new Map(definitions.map((definition) => [definition.id, definition]));

// The results have the shapes server/workflows.ts gives them.
const enriched = { sources: ['offline'], failures: [] };
const scored = { score: 57, oldScore: null, changed: true };
const started = { started: true, conversationId: randomUUID() };
const routed = { mode: 'C', reasons: ['self_service'] };
const followedThrough = { paymentLinkUrl: 'https://buy.stripe.test/link' };
const assigned = { assigned: 2 };

function pipeline(domain = fakeDomain(), threshold = 40) {
  const steps: LeadPipelineSteps = {
    enrich: (...args) => domain.call('enrich', args, enriched),
    score: (...args) => domain.call('score', args, scored),
    qualificationThreshold: (...args) => domain.call('threshold', args, threshold),
    startQualification: (...args) => domain.call('startQualification', args, started),
    route: (...args) => domain.call('route', args, routed),
    followThrough: (...args) => domain.call('followThrough', args, followedThrough),
    assignQueuedLeads: (...args) => domain.call('assignQueuedLeads', args, assigned),
  };
  return { domain, functions: byId(leadPipeline(steps)) };
}

const scheduled = { scheduled: true, sequenceId: randomUUID() };
const cancelled = { cancelled: 1 };
const executedDue = { sent: 2, failed: 0, skipped: 1 };

function followUps(domain = fakeDomain()) {
  const steps: FollowUpSteps = {
    schedule: (...args) => domain.call('schedule', args, scheduled),
    cancel: (...args) => domain.call('cancel', args, cancelled),
    cancelAfterReply: (...args) => domain.call('cancelAfterReply', args, cancelled),
    reEngageAfterReply: (...args) => domain.call('reEngageAfterReply', args, scheduled),
    executeDue: (...args) => domain.call('executeDue', args, executedDue),
  };
  return { domain, functions: byId(followUpWorkflows(steps)) };
}

const orgId = randomUUID();
const contactId = randomUUID();
const cronTick = { name: 'inngest/scheduled.timer', data: { cron: '* * * * *' } };
const leadCreated = { name: 'lead.created', data: { orgId, contactId, source: 'web' } };
const qualified = (outcome: 'QUALIFIED' | 'NURTURE' | 'DISQUALIFIED') => ({
  name: 'lead.qualified',
  data: { orgId, contactId, outcome, reasons: [] },
});

type Config = {
  triggers: unknown[];
  concurrency?: unknown;
  steps: Record<string, { retries?: unknown }>;
};
const configOf = (definition: WorkflowDefinition<never>): Config =>
  (
    toInngestFunction(client, definition) as unknown as {
      getConfig(options: { baseUrl: URL; appPrefix: string }): Config[];
    }
  ).getConfig({ baseUrl: new URL('http://127.0.0.1/api/inngest'), appPrefix: 'quotahit' })[0]!;

describe('the definitions as Inngest registers them', () => {
  const perLead = { key: 'event.data.contactId', limit: 1 };
  const functions = new Map([...pipeline().functions, ...followUps().functions]);
  it.each([
    ['lead-intake', [{ event: 'lead.created' }], perLead, undefined],
    ['lead-rescore', [{ event: 'lead.updated' }, { event: 'lead.enriched' }], perLead, undefined],
    ['qualification-start', [{ event: 'lead.scored' }], perLead, undefined],
    ['lead-routing', [{ event: 'lead.qualified' }], perLead, undefined],
    ['routed-follow-through', [{ event: 'lead.routed' }], perLead, undefined],
    ['routing-queue', [{ cron: '* * * * *' }], undefined, { attempts: 1 }],
    ['follow-ups-on-outcome', [{ event: 'lead.qualified' }], perLead, undefined],
    ['follow-ups-re-engage', [{ event: 'lead.qualification.started' }], perLead, undefined],
    ['follow-ups-stop-on-reply', [{ event: 'conversation.message.received' }], perLead, undefined],
    ['follow-ups-stop-on-consent-revoked', [{ event: 'consent.revoked' }], perLead, undefined],
    ['follow-ups-execute', [{ cron: '* * * * *' }], undefined, undefined],
  ])('%s: triggers, concurrency and retries', (id, triggers, concurrency, retries) => {
    const config = configOf(functions.get(id)!);
    expect(config.triggers).toEqual(triggers);
    expect(config.concurrency).toEqual(concurrency);
    expect(config.steps.step!.retries).toEqual(retries);
  });

  it('every definition is registered', () => {
    expect(functions.size).toBe(11);
  });

  it('a definition without retries gets as many on the embedded runtime as on Inngest', () => {
    expect(defaultRetries).toBe(inngestDefaultRetries);
  });

  it("refuses a trigger event its schema does not accept, before any step (the outbox's own check)", async () => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('lead-intake')!);
    const { error } = await engine.execute({
      events: [{ name: 'lead.created', data: { orgId, contactId: 'not-a-uuid' } }],
    });
    expect(messageOf(error)).toMatch(/contactId/);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ rejected: expect.stringMatching(/contactId/) });
    expect(domain.calls).toEqual([]);
  });
});

describe('lead pipeline on Inngest', () => {
  it('lead-intake enriches, then scores, and returns the score', async () => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('lead-intake')!);
    const { result, ctx } = await engine.execute({ events: [leadCreated] });
    expect(result).toEqual(scored);
    expect(reports).toEqual([
      { ran: 'enrich', op: 'StepRun', data: enriched },
      { ran: 'score', op: 'StepRun', data: scored },
      { resolved: scored },
    ]);
    expect(domain.calls).toEqual([
      ['enrich', orgId, contactId],
      ['score', orgId, contactId, 'lead.created'],
    ]);
    // The last request replayed both steps from their records, in order.
    expect(ctx.step.run.mock.calls.map(([id]) => id)).toEqual(['enrich', 'score']);
  });

  it('lead-intake: a failing step is retried on its own; the steps before it are not run again', async () => {
    const { domain, functions } = pipeline();
    const intake = functions.get('lead-intake')!;
    domain.fail('enrich', new Error('Perplexity is down'));
    const first = onInngest(intake);
    expect((await first.engine.execute({ events: [leadCreated] })).error).toMatchObject({
      message: 'Perplexity is down',
    });
    expect(first.reports).toEqual([{ ran: 'enrich', op: 'StepError', error: 'Perplexity is down' }]);

    const retry = onInngest(intake, { attempt: 1 });
    expect((await retry.engine.execute({ events: [leadCreated] })).result).toEqual(scored);
    expect(domain.calls.map(([name]) => name)).toEqual(['enrich', 'enrich', 'score']);

    domain.calls.length = 0;
    domain.fail('score', new Error('database busy'));
    const scoring = onInngest(intake);
    await scoring.engine.execute({ events: [leadCreated] });
    expect(scoring.reports.at(-1)).toEqual({ ran: 'score', op: 'StepError', error: 'database busy' });
    // Inngest's retry carries enrich's recorded result: only score runs again.
    const scoreRetry = onInngest(intake, { attempt: 1 });
    const { result } = await scoreRetry.engine.execute({
      events: [leadCreated],
      steps: [{ id: 'enrich', handler: () => enriched }],
    });
    expect(result).toEqual(scored);
    expect(scoreRetry.reports).toEqual([{ ran: 'score', op: 'StepRun', data: scored }, { resolved: scored }]);
    expect(domain.calls.map(([name]) => name)).toEqual(['enrich', 'score', 'score']);
  });

  it('lead-intake: a step still failing at its last attempt fails the run, and nothing after it runs', async () => {
    const { domain, functions } = pipeline();
    const intake = functions.get('lead-intake')!;
    const last = inngestDefaultRetries;
    domain.fail('enrich', new Error('Perplexity is down'));
    const lastAttempt = onInngest(intake, { attempt: last });
    await lastAttempt.engine.execute({ events: [leadCreated] });
    expect(lastAttempt.reports).toEqual([{ ran: 'enrich', op: 'StepFailed', error: 'Perplexity is down' }]);
    // One attempt earlier the same error only asks for another try.
    domain.fail('enrich', new Error('Perplexity is down'));
    const earlier = onInngest(intake, { attempt: last - 1 });
    await earlier.engine.execute({ events: [leadCreated] });
    expect(earlier.reports).toEqual([{ ran: 'enrich', op: 'StepError', error: 'Perplexity is down' }]);

    // Inngest then hands the failure to the function, which does not catch it.
    const failed = onInngest(intake);
    const { error } = await failed.engine.execute({
      events: [leadCreated],
      steps: [
        {
          id: 'enrich',
          handler: () => {
            throw new Error('Perplexity is down');
          },
        },
      ],
    });
    expect(error).toMatchObject({ message: 'Perplexity is down' });
    expect(failed.reports).toEqual([{ rejected: 'Perplexity is down', retriable: false }]);
    expect(domain.calls.filter(([name]) => name === 'score')).toEqual([]);
  });

  it.each([
    ['lead.updated', { name: 'lead.updated', data: { orgId, contactId, fields: ['title'] } }, 'lead.updated'],
    [
      'lead.updated (qualification)',
      { name: 'lead.updated', data: { orgId, contactId, fields: ['title', 'qualification'] } },
      'qualification.changed',
    ],
    [
      'lead.enriched',
      { name: 'lead.enriched', data: { orgId, contactId, sources: ['offline'] } },
      'lead.enriched',
    ],
  ])('lead-rescore re-scores on %s as %s', async (_, event, trigger) => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('lead-rescore')!);
    expect((await engine.execute({ events: [event] })).result).toEqual(scored);
    expect(reports).toEqual([{ ran: 'score', op: 'StepRun', data: scored }, { resolved: scored }]);
    expect(domain.calls).toEqual([['score', orgId, contactId, trigger]]);
  });

  it('qualification-start starts qualifying a lead whose score crossed the threshold', async () => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('qualification-start')!);
    const { result } = await engine.execute({
      events: [{ name: 'lead.scored', data: { orgId, contactId, oldScore: 35, newScore: 57 } }],
    });
    expect(result).toEqual(started);
    expect(reports).toEqual([
      { ran: 'threshold', op: 'StepRun', data: 40 },
      { ran: 'start-qualification', op: 'StepRun', data: started },
      { resolved: started },
    ]);
    expect(domain.calls).toEqual([
      ['threshold', orgId],
      ['startQualification', orgId, contactId],
    ]);
  });

  it.each([
    [45, 57],
    [null, 40],
    [20, 35],
  ])('qualification-start leaves a lead scored %s → %s alone', async (oldScore, newScore) => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('qualification-start')!);
    const { result } = await engine.execute({
      events: [{ name: 'lead.scored', data: { orgId, contactId, oldScore, newScore } }],
    });
    const notStarted = { started: false, reason: `score ${newScore} does not cross 40` };
    expect(result).toEqual(notStarted);
    expect(reports).toEqual([{ ran: 'threshold', op: 'StepRun', data: 40 }, { resolved: notStarted }]);
    expect(domain.calls).toEqual([['threshold', orgId]]);
  });

  it('lead-routing routes a QUALIFIED lead', async () => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('lead-routing')!);
    expect((await engine.execute({ events: [qualified('QUALIFIED')] })).result).toEqual(routed);
    expect(reports).toEqual([{ ran: 'route', op: 'StepRun', data: routed }, { resolved: routed }]);
    expect(domain.calls).toEqual([['route', orgId, contactId]]);
  });

  it.each(['NURTURE', 'DISQUALIFIED'] as const)('lead-routing does not route a %s lead', async (outcome) => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('lead-routing')!);
    const { result, ctx } = await engine.execute({ events: [qualified(outcome)] });
    expect(result).toEqual({ routed: false, outcome });
    expect(reports).toEqual([{ resolved: { routed: false, outcome } }]);
    expect(ctx.step.run).not.toHaveBeenCalled();
    expect(domain.calls).toEqual([]);
  });

  it.each([
    ['B', randomUUID()],
    ['C', undefined],
  ])('routed-follow-through follows through on mode %s', async (mode, repId) => {
    const { domain, functions } = pipeline();
    const { engine, reports } = onInngest(functions.get('routed-follow-through')!);
    const { result } = await engine.execute({
      events: [{ name: 'lead.routed', data: { orgId, contactId, mode, repId, reasons: [] } }],
    });
    expect(result).toEqual(followedThrough);
    expect(reports).toEqual([
      { ran: `mode-${mode}`, op: 'StepRun', data: followedThrough },
      { resolved: followedThrough },
    ]);
    expect(domain.calls).toEqual([['followThrough', orgId, contactId, mode, repId]]);
  });

  it('routing-queue assigns queued leads every minute, with one retry', async () => {
    const { domain, functions } = pipeline();
    const queue = functions.get('routing-queue')!;
    const { engine, reports } = onInngest(queue);
    expect((await engine.execute({ events: [cronTick] })).result).toEqual(assigned);
    expect(reports).toEqual([{ ran: 'assign', op: 'StepRun', data: assigned }, { resolved: assigned }]);
    expect(domain.calls).toEqual([['assignQueuedLeads']]);

    // retries: 1 — the first failure is retried, the second is final.
    domain.fail('assignQueuedLeads', new Error('deadlock'), new Error('deadlock'));
    const first = onInngest(queue, { attempt: 0 });
    await first.engine.execute({ events: [cronTick] });
    expect(first.reports).toEqual([{ ran: 'assign', op: 'StepError', error: 'deadlock' }]);
    const second = onInngest(queue, { attempt: 1 });
    await second.engine.execute({ events: [cronTick] });
    expect(second.reports).toEqual([{ ran: 'assign', op: 'StepFailed', error: 'deadlock' }]);
  });
});

describe('follow-up workflows on Inngest', () => {
  it('follow-ups-on-outcome starts nurture for a NURTURE lead', async () => {
    const { domain, functions } = followUps();
    const { engine, reports } = onInngest(functions.get('follow-ups-on-outcome')!);
    expect((await engine.execute({ events: [qualified('NURTURE')] })).result).toEqual(scheduled);
    expect(reports).toEqual([
      { ran: 'schedule-nurture', op: 'StepRun', data: scheduled },
      { resolved: scheduled },
    ]);
    expect(domain.calls).toEqual([['schedule', orgId, contactId, 'nurture']]);
  });

  it.each([
    ['QUALIFIED', 'outcome_qualified'],
    ['DISQUALIFIED', 'outcome_disqualified'],
  ] as const)('follow-ups-on-outcome stops the follow-ups of a %s lead', async (outcome, reason) => {
    const { domain, functions } = followUps();
    const { engine, reports } = onInngest(functions.get('follow-ups-on-outcome')!);
    expect((await engine.execute({ events: [qualified(outcome)] })).result).toEqual(cancelled);
    expect(reports).toEqual([{ ran: 'cancel', op: 'StepRun', data: cancelled }, { resolved: cancelled }]);
    expect(domain.calls).toEqual([['cancel', orgId, contactId, reason]]);
  });

  it('follow-ups-re-engage schedules re-engage when qualification starts', async () => {
    const { domain, functions } = followUps();
    const { engine, reports } = onInngest(functions.get('follow-ups-re-engage')!);
    const { result } = await engine.execute({
      events: [{ name: 'lead.qualification.started', data: { orgId, contactId, channel: 'email' } }],
    });
    expect(result).toEqual(scheduled);
    expect(reports).toEqual([
      { ran: 'schedule-re-engage', op: 'StepRun', data: scheduled },
      { resolved: scheduled },
    ]);
    expect(domain.calls).toEqual([['schedule', orgId, contactId, 're-engage']]);
  });

  it('follow-ups-stop-on-reply cancels, then re-engages from the reply; a retry does not cancel twice', async () => {
    const { domain, functions } = followUps();
    const onReply = functions.get('follow-ups-stop-on-reply')!;
    const messageId = randomUUID();
    const received = {
      name: 'conversation.message.received',
      data: { orgId, contactId, conversationId: randomUUID(), messageId, channel: 'email' },
    };
    const { engine, reports } = onInngest(onReply);
    const { result } = await engine.execute({ events: [received] });
    expect(result).toEqual({ cancelled, reEngage: scheduled });
    expect(reports).toEqual([
      { ran: 'cancel', op: 'StepRun', data: cancelled },
      { ran: 're-engage', op: 'StepRun', data: scheduled },
      { resolved: { cancelled, reEngage: scheduled } },
    ]);
    expect(domain.calls).toEqual([
      ['cancelAfterReply', orgId, contactId, messageId],
      ['reEngageAfterReply', orgId, contactId, messageId],
    ]);

    domain.calls.length = 0;
    domain.fail('reEngageAfterReply', new Error('database busy'));
    const first = onInngest(onReply);
    await first.engine.execute({ events: [received] });
    expect(first.reports.at(-1)).toEqual({ ran: 're-engage', op: 'StepError', error: 'database busy' });
    const retry = onInngest(onReply, { attempt: 1 });
    const retried = await retry.engine.execute({
      events: [received],
      steps: [{ id: 'cancel', handler: () => cancelled }],
    });
    expect(retried.result).toEqual({ cancelled, reEngage: scheduled });
    expect(domain.calls.map(([name]) => name)).toEqual([
      'cancelAfterReply',
      'reEngageAfterReply',
      'reEngageAfterReply',
    ]);
  });

  it('follow-ups-stop-on-consent-revoked stops every follow-up', async () => {
    const { domain, functions } = followUps();
    const { engine, reports } = onInngest(functions.get('follow-ups-stop-on-consent-revoked')!);
    const { result } = await engine.execute({
      events: [
        {
          name: 'consent.revoked',
          data: { orgId, contactId, consentType: 'email_marketing', method: 'api' },
        },
      ],
    });
    expect(result).toEqual(cancelled);
    expect(reports).toEqual([{ ran: 'cancel', op: 'StepRun', data: cancelled }, { resolved: cancelled }]);
    expect(domain.calls).toEqual([['cancel', orgId, contactId, 'consent_revoked']]);
  });

  it('follow-ups-execute sends the due touches outside any step; a failure re-runs the whole function', async () => {
    const { domain, functions } = followUps();
    const execute = functions.get('follow-ups-execute')!;
    const { engine, reports } = onInngest(execute);
    const { result, ctx } = await engine.execute({ events: [cronTick] });
    expect(result).toEqual(executedDue);
    expect(reports).toEqual([{ resolved: executedDue }]);
    for (const tool of ['run', 'sleep', 'sleepUntil', 'sendEvent', 'waitForEvent'] as const)
      expect(ctx.step[tool]).not.toHaveBeenCalled();
    expect(domain.calls).toEqual([['executeDue']]);

    domain.fail('executeDue', new Error('Resend unreachable'), new Error('Resend unreachable'));
    const first = onInngest(execute);
    expect((await first.engine.execute({ events: [cronTick] })).error).toMatchObject({
      message: 'Resend unreachable',
    });
    expect(first.reports).toEqual([{ rejected: 'Resend unreachable', retriable: true }]);
    const last = onInngest(execute, { attempt: inngestDefaultRetries });
    await last.engine.execute({ events: [cronTick] });
    expect(last.reports).toEqual([{ rejected: 'Resend unreachable', retriable: false }]);
  });
});

/**
 * The embedded runtime's own tests (../embedded-runtime.db.test.ts) prove it implements these
 * Inngest semantics; here the same definitions show Inngest's engine does what they assert.
 */
describe("the embedded runtime's semantics, on Inngest", () => {
  const updated = { name: 'lead.updated', data: { orgId, contactId, fields: ['title'] } };

  it('memoizes steps: a retry replays recorded steps instead of running them again', async () => {
    const calls: string[] = [];
    let failOnce = true;
    const fn = defineWorkflow({
      id: 'memo-test',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ step }) => {
        const a = await step.run('one', () => {
          calls.push('one');
          return { n: 1 };
        });
        const b = await step.run('two', () => {
          calls.push('two');
          if (failOnce) {
            failOnce = false;
            throw new Error('provider hiccup');
          }
          return a.n + 1;
        });
        await step.run('three', () => calls.push('three'));
        return { b };
      },
    }) as WorkflowDefinition<never>;
    const first = onInngest(fn);
    await first.engine.execute({ events: [updated] });
    expect(first.reports.at(-1)).toEqual({ ran: 'two', op: 'StepError', error: 'provider hiccup' });
    const retry = onInngest(fn, { attempt: 1 });
    const { result } = await retry.engine.execute({
      events: [updated],
      steps: [{ id: 'one', handler: () => ({ n: 1 }) }],
    });
    expect(result).toEqual({ b: 2 });
    expect(calls).toEqual(['one', 'two', 'two', 'three']);
  });

  it('retries with backoff, then calls onFailure once; NonRetriableError fails at once', async () => {
    const failures: { message: string; event: unknown }[] = [];
    const flaky = defineWorkflow({
      id: 'always-fails',
      triggers: [{ event: 'lead.updated' }],
      retries: 2,
      handler: async ({ step }) => {
        await step.run('boom', () => {
          throw new Error('still down');
        });
      },
      onFailure: async ({ error, event }) => {
        failures.push({ message: error.message, event: event.data });
      },
    }) as WorkflowDefinition<never>;
    // retries: 2 — attempts 0 and 1 ask for another try, attempt 2 is the last.
    const ops: string[] = [];
    for (const attempt of [0, 1, 2]) {
      const { engine, reports } = onInngest(flaky, { attempt });
      await engine.execute({ events: [updated] });
      expect(reports).toHaveLength(1);
      ops.push((reports[0] as { op: string }).op);
    }
    expect(ops).toEqual(['StepError', 'StepError', 'StepFailed']);
    const failedStep = {
      id: 'boom',
      handler: () => {
        throw new Error('still down');
      },
    };
    const failing = onInngest(flaky);
    await failing.engine.execute({ events: [updated], steps: [failedStep] });
    expect(failing.reports).toEqual([{ rejected: 'still down', retriable: false }]);
    expect(failures).toEqual([]);

    const onFailure = onInngest(flaky, { handlerKind: 'failure' });
    const { error } = await onFailure.engine.execute({
      events: [
        {
          name: 'inngest/function.failed',
          data: {
            function_id: 'quotahit-always-fails',
            run_id: 'run-1',
            error: { name: 'Error', message: 'still down' },
            event: { id: randomUUID(), ts: Date.now(), ...updated },
          },
        },
      ],
    });
    expect(error).toBeUndefined();
    expect(failures).toEqual([{ message: 'still down', event: updated.data }]);

    const fatal = defineWorkflow({
      id: 'fails-for-good',
      triggers: [{ event: 'lead.updated' }],
      handler: async () => {
        throw new NonRetriableError('bad data');
      },
    }) as WorkflowDefinition<never>;
    const fatalRun = onInngest(fatal, { attempt: 0 });
    await fatalRun.engine.execute({ events: [updated] });
    expect(fatalRun.reports).toEqual([{ rejected: 'bad data', retriable: false }]);

    const fatalStep = defineWorkflow({
      id: 'fails-in-a-step',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ step }) =>
        step.run('check', () => {
          throw new NonRetriableError('bad data');
        }),
    }) as WorkflowDefinition<never>;
    const fatalStepRun = onInngest(fatalStep, { attempt: 0 });
    await fatalStepRun.engine.execute({ events: [updated] });
    expect(fatalStepRun.reports).toEqual([{ ran: 'check', op: 'StepFailed', error: 'bad data' }]);
  });

  it('sleeps, and runs the rest only once the sleep is over', async () => {
    const calls: string[] = [];
    const fn = defineWorkflow({
      id: 'sleeper',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ step }) => {
        const before = await step.run('before', () => {
          calls.push('before');
          return 1_000;
        });
        await step.sleep('nap', '1s');
        const after = await step.run('after', () => {
          calls.push('after');
          return 2_500;
        });
        return after - before;
      },
    }) as WorkflowDefinition<never>;
    const { engine, reports } = onInngest(fn);
    const { step } = await engine.executeStep('nap', { events: [updated] });
    expect(step).toMatchObject({ op: 'Sleep', name: '1s' });
    expect(reports.at(-1)).toEqual({ found: [{ id: 'nap', op: 'Sleep', name: '1s', opts: {} }] });
    expect(calls).toEqual(['before']);

    // Inngest calls again when the sleep is over, with both steps recorded.
    const woken = onInngest(fn);
    const { result } = await woken.engine.execute({
      events: [updated],
      steps: [
        { id: 'before', handler: () => 1_000 },
        { id: 'nap', handler: () => null },
      ],
    });
    expect(result).toBe(1_500);
    expect(calls).toEqual(['before', 'after']);
  });

  it('waitForEvent resumes on the matching event only, and times out otherwise', async () => {
    const fn = defineWorkflow({
      id: 'waiter',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ step }) => {
        const answer = await step.waitForEvent('await-qualified', {
          event: 'lead.qualified',
          timeout: '1500ms',
          match: 'data.contactId',
        });
        return answer ? answer.data.outcome : 'timed out';
      },
    }) as WorkflowDefinition<never>;
    const { engine } = onInngest(fn);
    const { step } = await engine.executeStep('await-qualified', { events: [updated] });
    // `match` becomes Inngest's expression: only an event about the trigger's contact resumes it.
    // Inngest waits in whole seconds (1500ms is 1s there; the embedded runtime waits 1.5s).
    expect(step).toMatchObject({
      op: 'WaitForEvent',
      name: 'lead.qualified',
      opts: { if: 'event.data.contactId == async.data.contactId', timeout: '1s' },
    });

    const arrived = await onInngest(fn).engine.execute({
      events: [updated],
      steps: [{ id: 'await-qualified', handler: () => qualified('QUALIFIED') }],
    });
    expect(arrived.result).toBe('QUALIFIED');
    const timedOut = await onInngest(fn).engine.execute({
      events: [updated],
      steps: [{ id: 'await-qualified', handler: () => null }],
    });
    expect(timedOut.result).toBe('timed out');
  });
});
