import { NonRetriableError } from 'inngest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../core/actor.ts';
import type { Db } from '../core/db.ts';
import { emitEvent } from '../core/events.ts';
import { upsertLead } from '../core/leads.ts';
import { createOrganization } from '../core/organizations.ts';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { waitFor } from '../tests/support/wait-for.ts';
import { ambientDatabase } from './ambient-database.ts';
import { EmbeddedRuntime } from './embedded-runtime.ts';
import { defineWorkflow, type WorkflowDefinition } from './workflow.ts';

let base: Database;
let db: Db;
let orgId: string;
const runtimes: EmbeddedRuntime[] = [];

beforeAll(async () => {
  base = await createTestDatabase();
  db = ambientDatabase(base);
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop()));
});
afterAll(() => base.close());

async function newContact(): Promise<string> {
  const { lead } = await upsertLead(db, orgId, { email: `${crypto.randomUUID()}@example.com` }, systemActor);
  // These tests drive their own workflows; the pipeline's lead.created is not theirs to run.
  await db.query(`update events set dispatched_at = now() where dispatched_at is null`);
  return lead.id;
}

function run(
  functions: WorkflowDefinition<never>[],
  options: Partial<ConstructorParameters<typeof EmbeddedRuntime>[0]> = {},
) {
  const runtime = new EmbeddedRuntime({ db, functions, pollIntervalMs: 20, backoffMs: () => 10, ...options });
  runtimes.push(runtime);
  runtime.start();
  return runtime;
}

const runsOf = (functionId: string, contactId: string) =>
  db.query<{ status: string; attempt: number; output: unknown; error: string | null }>(
    'select status, attempt, output, error from workflow_runs where function_id = $1 and contact_id = $2',
    [functionId, contactId],
  );

const finished = async (functionId: string, contactId: string) => {
  const [row] = await runsOf(functionId, contactId);
  return row && ['completed', 'failed'].includes(row.status) ? row : undefined;
};

describe('embedded runtime', () => {
  it('memoizes steps: a retry replays recorded steps instead of running them again', async () => {
    const contactId = await newContact();
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
    });
    run([fn as never]);
    await emitEvent(db, 'lead.updated', { orgId, contactId, fields: ['title'] });
    const done = await waitFor(() => finished('memo-test', contactId), 'the run to finish');
    expect(done).toMatchObject({ status: 'completed', attempt: 1, output: { b: 2 } });
    expect(calls).toEqual(['one', 'two', 'two', 'three']);
  });

  it('rolls back a failed step together with its database writes', async () => {
    const contactId = await newContact();
    let attempts = 0;
    const fn = defineWorkflow({
      id: 'atomic-step',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ event, step }) => {
        await step.run('write', async () => {
          attempts++;
          await db.query(`update contacts set title = coalesce(title, '') || 'x' where id = $1`, [
            event.data.contactId,
          ]);
          if (attempts === 1) throw new Error('crash after the write');
        });
      },
    });
    run([fn as never]);
    await emitEvent(db, 'lead.updated', { orgId, contactId, fields: ['title'] });
    await waitFor(() => finished('atomic-step', contactId), 'the run to finish');
    const [contact] = await db.query<{ title: string }>('select title from contacts where id = $1', [
      contactId,
    ]);
    expect(contact!.title).toBe('x');
  });

  it('starts one run per event, however often the outbox is read', async () => {
    const contactId = await newContact();
    const fn = defineWorkflow({
      id: 'once-per-event',
      triggers: [{ event: 'lead.updated' }],
      handler: async () => 'ok',
    });
    const runtime = new EmbeddedRuntime({ db, functions: [fn as never] });
    const eventId = await emitEvent(db, 'lead.updated', { orgId, contactId, fields: [] });
    await runtime.dispatchOutbox();
    await db.query('update events set dispatched_at = null where id = $1', [eventId]); // as if the mark was lost
    await runtime.dispatchOutbox();
    expect(await runsOf('once-per-event', contactId)).toHaveLength(1);
  });

  it('retries with backoff, then calls onFailure once; NonRetriableError fails at once', async () => {
    const contactId = await newContact();
    const failures: string[] = [];
    const flaky = defineWorkflow({
      id: 'always-fails',
      triggers: [{ event: 'lead.updated' }],
      retries: 2,
      handler: async ({ step }) => {
        await step.run('boom', () => {
          throw new Error('still down');
        });
      },
      onFailure: async ({ error }) => {
        failures.push(error.message);
      },
    });
    const fatal = defineWorkflow({
      id: 'fails-for-good',
      triggers: [{ event: 'lead.updated' }],
      handler: async () => {
        throw new NonRetriableError('bad data');
      },
    });
    run([flaky as never, fatal as never]);
    await emitEvent(db, 'lead.updated', { orgId, contactId, fields: [] });
    expect(await waitFor(() => finished('always-fails', contactId), 'flaky to fail')).toMatchObject({
      status: 'failed',
      attempt: 3,
      error: 'Error: still down',
    });
    expect(failures).toEqual(['still down']);
    expect(await waitFor(() => finished('fails-for-good', contactId), 'fatal to fail')).toMatchObject({
      status: 'failed',
      attempt: 1,
    });
  });

  it('sleeps, and wakes at its time in a runtime started after a restart', async () => {
    const contactId = await newContact();
    const fn = defineWorkflow({
      id: 'sleeper',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ step }) => {
        const before = await step.run('before', () => Date.now());
        await step.sleep('nap', '1s');
        const after = await step.run('after', () => Date.now());
        return after - before;
      },
    });
    const first = run([fn as never]);
    await emitEvent(db, 'lead.updated', { orgId, contactId, fields: [] });
    await waitFor(
      async () => (await runsOf('sleeper', contactId))[0]?.status === 'sleeping',
      'the run to sleep',
    );
    await first.stop(); // the process goes away mid-sleep
    run([fn as never]);
    const done = await waitFor(() => finished('sleeper', contactId), 'the sleeper to wake');
    expect(done.status).toBe('completed');
    expect(done.output).toBeGreaterThanOrEqual(1000);
  });

  it('waitForEvent resumes on the matching event only, and times out otherwise', async () => {
    const [alice, bob] = [await newContact(), await newContact()];
    const fn = defineWorkflow({
      id: 'waiter',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ step }) => {
        const qualified = await step.waitForEvent('await-qualified', {
          event: 'lead.qualified',
          timeout: '1500ms',
          match: 'data.contactId',
        });
        return qualified ? qualified.data.outcome : 'timed out';
      },
    });
    run([fn as never]);
    await emitEvent(db, 'lead.updated', { orgId, contactId: alice, fields: [] });
    await emitEvent(db, 'lead.updated', { orgId, contactId: bob, fields: [] });
    await waitFor(
      async () =>
        (await db.query(`select 1 from workflow_runs where function_id = 'waiter' and status = 'waiting'`))
          .length === 2,
      'both runs to wait',
    );
    await emitEvent(db, 'lead.qualified', { orgId, contactId: alice, outcome: 'QUALIFIED', reasons: [] });
    expect((await waitFor(() => finished('waiter', alice), 'alice')).output).toBe('QUALIFIED');
    expect((await waitFor(() => finished('waiter', bob), 'bob')).output).toBe('timed out');
  });

  it('a wait answered twice in one batch of the outbox takes the first event, once', async () => {
    const contactId = await newContact();
    const fn = defineWorkflow({
      id: 'first-answer',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ step }) => {
        const qualified = await step.waitForEvent('await-qualified', {
          event: 'lead.qualified',
          timeout: '10s',
          match: 'data.contactId',
        });
        return qualified?.data.outcome ?? 'timed out';
      },
    });
    run([fn as never]);
    await emitEvent(db, 'lead.updated', { orgId, contactId, fields: [] });
    await waitFor(async () => (await runsOf('first-answer', contactId))[0]?.status === 'waiting', 'the wait');
    // Committed together, so the outbox hands both to one dispatch.
    await base.transaction(async (tx) => {
      await emitEvent(tx, 'lead.qualified', { orgId, contactId, outcome: 'NURTURE', reasons: [] });
      await emitEvent(tx, 'lead.qualified', { orgId, contactId, outcome: 'QUALIFIED', reasons: [] });
    });
    expect((await waitFor(() => finished('first-answer', contactId), 'the run')).output).toBe('NURTURE');
  });

  it('sendEvent starts the functions that listen for it, once', async () => {
    const contactId = await newContact();
    const sender = defineWorkflow({
      id: 'sender',
      triggers: [{ event: 'lead.updated' }],
      handler: async ({ event, step }) =>
        step.sendEvent('announce', {
          name: 'lead.qualified',
          data: { orgId: event.data.orgId, contactId: event.data.contactId, outcome: 'NURTURE', reasons: [] },
        }),
    });
    const listener = defineWorkflow({
      id: 'listener',
      triggers: [{ event: 'lead.qualified' }],
      handler: async ({ event }) => event.data.outcome,
    });
    run([sender as never, listener as never]);
    await emitEvent(db, 'lead.updated', { orgId, contactId, fields: [] });
    expect((await waitFor(() => finished('listener', contactId), 'the listener')).output).toBe('NURTURE');
  });

  it('runs at most `limit` runs per concurrency key at once, in arrival order', async () => {
    const contactId = await newContact();
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const fn = defineWorkflow({
      id: 'one-at-a-time',
      triggers: [{ event: 'lead.updated' }],
      concurrency: { key: 'event.data.contactId', limit: 1 },
      handler: async ({ event, step }) => {
        await step.run('work', async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 30));
          order.push(Number(event.data.fields[0]));
          running--;
        });
      },
    });
    for (let i = 0; i < 5; i++)
      await emitEvent(db, 'lead.updated', { orgId, contactId, fields: [String(i)] });
    run([fn as never], { parallelism: 8 });
    await waitFor(
      async () =>
        (
          await db.query(
            `select 1 from workflow_runs where function_id = 'one-at-a-time' and status = 'completed'`,
          )
        ).length === 5,
      'five runs',
    );
    expect(peak).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('claims a run again when the worker holding it died (lease expired)', async () => {
    const contactId = await newContact();
    const fn = defineWorkflow({
      id: 'orphan',
      triggers: [{ event: 'lead.updated' }],
      handler: async () => 'rescued',
    });
    const idle = new EmbeddedRuntime({ db, functions: [fn as never] });
    await emitEvent(db, 'lead.updated', { orgId, contactId, fields: [] });
    await idle.dispatchOutbox();
    await db.query(
      `update workflow_runs set status = 'running', lease_owner = 'dead-worker', lease_expires_at = now() - interval '1 second'
       where function_id = 'orphan'`,
    );
    run([fn as never]);
    expect(await waitFor(() => finished('orphan', contactId), 'the orphan')).toMatchObject({
      status: 'completed',
      attempt: 1,
    });
  });

  it('fires cron schedules once per tick', async () => {
    const fn = defineWorkflow({
      id: 'hourly',
      triggers: [{ cron: '0 * * * *' }],
      handler: async () => 'tick',
    });
    const runtime = new EmbeddedRuntime({ db, functions: [fn as never] });
    await runtime.tick();
    const [schedule] = await db.query<{ next_at: Date }>(
      `select next_at from workflow_schedules where function_id = 'hourly'`,
    );
    expect(schedule!.next_at.getUTCMinutes()).toBe(0);
    await db.query(
      `update workflow_schedules set next_at = now() - interval '1 second' where function_id = 'hourly'`,
    );
    await runtime.tick();
    await runtime.tick();
    await runtime.stop();
    const runs = await db.query<{ trigger_id: string }>(
      `select trigger_id from workflow_runs where function_id = 'hourly'`,
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]!.trigger_id).toMatch(/^cron:/);
  });
});

describe('defineWorkflow', () => {
  it.each([
    [{ throttle: { limit: 1, period: '1m' } }, /throttle/],
    [{ concurrency: { key: 'data.x', limit: 1 } }, /event\.data/],
    [{ triggers: [] }, /at least one trigger/],
    [{ triggers: [{ cron: '61 * * * *' }] }, /minute/],
  ])('refuses %j at start-up', (change, message) => {
    const definition = {
      id: 'bad',
      triggers: [{ event: 'lead.created' }],
      handler: async () => {},
      ...change,
    };
    expect(() => defineWorkflow(definition as never)).toThrow(message);
  });

  it('refuses a step tool the embedded runtime does not implement', () => {
    const handler = async ({ step }: { step: { invoke(id: string): Promise<void> } }) => {
      await step.invoke('other');
    };
    expect(() =>
      defineWorkflow({ id: 'invoker', triggers: [{ event: 'lead.created' }], handler: handler as never }),
    ).toThrow(/step\.invoke is not supported/);
  });
});
