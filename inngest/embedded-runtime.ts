import { randomUUID } from 'node:crypto';
import type { Db } from '../core/db.ts';
import { type EventName, emitEvent, eventSchemas } from '../core/events.ts';
import { type CronSchedule, parseCron } from './cron-schedule.ts';
import { durationMs } from './duration.ts';
import {
  readEventPath,
  type SentEvent,
  type WorkflowDefinition,
  type WorkflowEvent,
  type WorkflowStep,
} from './workflow.ts';

/**
 * Runs workflow definitions in-process with their state in the project's Postgres, for when no
 * Inngest server is configured. Supported subset of Inngest:
 * - event and cron triggers; one run per function and event (outbox id), so nothing runs twice;
 * - `step.run` memoized: each step commits in one transaction with its recorded result, so a
 *   recorded step is never executed again and a step's database writes land exactly once;
 * - `step.sleep` / `step.sleepUntil`, `step.sendEvent`, `step.waitForEvent` with `match` and a
 *   timeout (events emitted after the wait began);
 * - retries with exponential backoff, then `onFailure` once; `NonRetriableError` fails at once.
 *   As on Inngest, each step has its own retries (the count starts again when a step completes),
 *   and a definition without `retries` gets Inngest's default of 4;
 * - `concurrency: { key, limit }` per function;
 * - leases: a run whose process died is claimed again once its lease expires.
 */
export interface EmbeddedRuntimeOptions {
  /** Must be an ambient database (see ambient-database.ts) so domain writes join step transactions. */
  db: Db;
  functions: WorkflowDefinition<never>[];
  log?: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  pollIntervalMs?: number;
  leaseMs?: number;
  /** Runs executing at once in this process. */
  parallelism?: number;
  /** Delay before retry `attempt` (1-based). */
  backoffMs?: (attempt: number) => number;
}

interface RunRow {
  id: string;
  org_id: string | null;
  function_id: string;
  trigger_id: string;
  event: WorkflowEvent;
  status: string;
  attempt: number;
  max_attempts: number;
}

interface StepRow {
  step_id: string;
  op: string;
  status: 'completed' | 'waiting';
  output: unknown;
  wake_at: Date | null;
}

/** Thrown inside a handler to park the run (sleep, wait); never seen by workflow code. */
class Park extends Error {}
/** The run was claimed by another worker after this one's lease ran out. */
class LeaseLost extends Error {}

/** Inngest's default when a function sets none: 4 retries, 5 attempts in all. */
export const defaultRetries = 4;

/** Attempts one step (or the code between two steps) gets before the run fails. */
const attemptsPerStep = (fn: WorkflowDefinition<never>) => (fn.retries ?? defaultRetries) + 1;

export class EmbeddedRuntime {
  readonly workerId = `worker-${randomUUID()}`;
  private readonly db: Db;
  private readonly functions = new Map<string, WorkflowDefinition<never>>();
  private readonly log: NonNullable<EmbeddedRuntimeOptions['log']>;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly parallelism: number;
  private readonly backoffMs: (attempt: number) => number;
  private readonly active = new Set<Promise<void>>();
  /** Derived once from the definitions: which functions an event starts, the cron ones, limits. */
  private readonly byEvent = new Map<string, WorkflowDefinition<never>[]>();
  private readonly crons = new Map<
    string,
    { fn: WorkflowDefinition<never>; cron: string; schedule: CronSchedule }
  >();
  private readonly concurrencyLimits: string;
  /** `attemptsPerStep` of every function, for the dispatcher's SQL. */
  private readonly stepAttempts: string;
  private schedulesRegistered = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = true;

  constructor(options: EmbeddedRuntimeOptions) {
    this.db = options.db;
    for (const fn of options.functions) {
      if (this.functions.has(fn.id)) throw new Error(`two workflows share the id ${fn.id}`);
      this.functions.set(fn.id, fn);
      for (const trigger of fn.triggers) {
        if ('event' in trigger)
          this.byEvent.set(trigger.event, [...(this.byEvent.get(trigger.event) ?? []), fn]);
        // One schedule per function (its first cron trigger): schedules are keyed by function.
        else if (!this.crons.has(fn.id))
          this.crons.set(fn.id, { fn, cron: trigger.cron, schedule: parseCron(trigger.cron) });
      }
    }
    this.concurrencyLimits = JSON.stringify(
      Object.fromEntries(
        options.functions.filter((fn) => fn.concurrency).map((fn) => [fn.id, fn.concurrency!.limit]),
      ),
    );
    this.stepAttempts = JSON.stringify(
      Object.fromEntries(options.functions.map((fn) => [fn.id, attemptsPerStep(fn)])),
    );
    this.log = options.log ?? { error: () => {}, warn: () => {} };
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.parallelism = options.parallelism ?? 8;
    this.backoffMs = options.backoffMs ?? ((attempt) => Math.min(1000 * 2 ** (attempt - 1), 3_600_000));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops claiming new work and waits for runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.active]);
  }

  /** Look for work now (called after events are written, so latency is not one poll interval). */
  poke(): void {
    if (this.stopped) return;
    if (this.ticking) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((error) => this.log.error({ err: error }, 'workflow runtime tick failed'))
        .finally(() => {
          this.ticking = undefined;
          if (this.stopped) return;
          const busy = this.again;
          this.again = false;
          this.schedule(busy ? 0 : this.pollIntervalMs);
        });
    }, ms);
  }

  /** One pass: outbox → runs, cron ticks → runs, due runs → executing. */
  async tick(): Promise<void> {
    const dispatched = await this.dispatchOutbox();
    await this.fireSchedules();
    const claimed = await this.claimAndExecute();
    if (dispatched > 0 || claimed > 0) this.again = true;
  }

  // --- outbox ---------------------------------------------------------------------------------

  /**
   * Turns undispatched events into runs and resumes waits, in one transaction per batch of
   * events, with one statement for all the batch's runs: under load the outbox holds thousands
   * of events, and a statement per run kept the database busy for hundreds of milliseconds.
   */
  async dispatchOutbox(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{
        id: string;
        org_id: string;
        name: string;
        data: Record<string, unknown>;
        created_at: Date;
      }>(
        `select id, org_id, name, data, created_at from events where dispatched_at is null
         order by seq limit 200 for update skip locked`,
      );
      if (rows.length === 0) return 0;
      const events = rows.map((row) => ({
        row,
        event: {
          id: row.id,
          name: row.name as EventName,
          data: row.data as never,
          ts: row.created_at.getTime(),
        } satisfies WorkflowEvent,
      }));
      // In event order, so runs of one concurrency key start in the order their events were written.
      const runs = events.flatMap(({ row, event }) =>
        (this.byEvent.get(row.name) ?? []).map((fn) => {
          const key = fn.concurrency ? readEventPath(event, fn.concurrency.key) : undefined;
          return {
            orgId: row.org_id,
            functionId: fn.id,
            triggerId: row.id,
            eventName: row.name,
            event: JSON.stringify(event),
            contactId: typeof row.data.contactId === 'string' ? row.data.contactId : null,
            concurrencyKey: key === undefined || key === null ? null : String(key),
            maxAttempts: attemptsPerStep(fn),
          };
        }),
      );
      if (runs.length > 0) {
        await tx.query(
          `insert into workflow_runs (org_id, function_id, trigger_id, event_name, event, contact_id, concurrency_key, max_attempts)
           select org_id, function_id, trigger_id, event_name, event::jsonb, contact_id, concurrency_key, max_attempts
           from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::int[])
             with ordinality as r(org_id, function_id, trigger_id, event_name, event, contact_id, concurrency_key, max_attempts, ord)
           order by ord
           on conflict (function_id, trigger_id) do nothing`,
          [
            runs.map((run) => run.orgId),
            runs.map((run) => run.functionId),
            runs.map((run) => run.triggerId),
            runs.map((run) => run.eventName),
            runs.map((run) => run.event),
            runs.map((run) => run.contactId),
            runs.map((run) => run.concurrencyKey),
            runs.map((run) => run.maxAttempts),
          ],
        );
      }
      await this.resumeWaiters(tx, events);
      await tx.query('update events set dispatched_at = now() where id = any($1::uuid[])', [
        rows.map((row) => row.id),
      ]);
      return rows.length;
    });
  }

  /** Completes the `waitForEvent` steps the events answer, in event order, each once. */
  private async resumeWaiters(
    tx: Db,
    events: { row: { org_id: string; name: string; created_at: Date }; event: WorkflowEvent }[],
  ): Promise<void> {
    const waiting = await tx.query<{
      run_id: string;
      step_id: string;
      org_id: string | null;
      wait_event: string;
      wait_match_path: string | null;
      wait_match_value: unknown;
      created_at: Date;
    }>(
      `select s.run_id, s.step_id, s.org_id, s.wait_event, s.wait_match_path, s.wait_match_value, s.created_at
       from workflow_steps s
       where s.op = 'wait_for_event' and s.status = 'waiting' and s.wait_event = any($1::text[])`,
      [[...new Set(events.map(({ row }) => row.name))]],
    );
    for (const { row, event } of events) {
      for (const wait of waiting) {
        if (wait.wait_event !== row.name) continue;
        if (wait.org_id !== null && wait.org_id !== row.org_id) continue;
        if (row.created_at < wait.created_at) continue; // only events after the wait began
        if (
          wait.wait_match_path &&
          JSON.stringify(readEventPath(event, wait.wait_match_path)) !== JSON.stringify(wait.wait_match_value)
        ) {
          continue;
        }
        // Only while still waiting: a later event of the batch finds the step completed.
        const resumed = await tx.query(
          `update workflow_steps set status = 'completed', output = $3::jsonb, completed_at = now()
           where run_id = $1 and step_id = $2 and status = 'waiting' returning run_id`,
          [wait.run_id, wait.step_id, JSON.stringify(event)],
        );
        if (resumed[0]) {
          // A completed wait is a completed step: the steps after it get their own retries.
          await tx.query(
            `update workflow_runs set status = 'queued', run_after = now(), updated_at = now(),
               max_attempts = attempt + coalesce(($2::jsonb ->> function_id)::int, max_attempts - attempt)
             where id = $1 and status = 'waiting'`,
            [wait.run_id, this.stepAttempts],
          );
        }
      }
    }
  }

  // --- cron -----------------------------------------------------------------------------------

  /** Starts a run for each cron schedule that is due; a tick id makes each firing happen once. */
  private async fireSchedules(): Promise<void> {
    if (this.crons.size === 0) return;
    if (!this.schedulesRegistered) {
      for (const { fn, cron, schedule } of this.crons.values()) {
        // A changed expression takes effect at once; an unchanged one keeps its next firing.
        await this.db.query(
          `insert into workflow_schedules (function_id, cron, next_at) values ($1, $2, $3)
           on conflict (function_id) do update set cron = excluded.cron,
             next_at = case when workflow_schedules.cron = excluded.cron then workflow_schedules.next_at else excluded.next_at end`,
          [fn.id, cron, schedule.next(new Date())],
        );
      }
      this.schedulesRegistered = true;
    }
    await this.db.transaction(async (tx) => {
      const due = await tx.query<{ function_id: string; next_at: Date }>(
        `select function_id, next_at from workflow_schedules
         where function_id = any($1::text[]) and next_at <= now() for update skip locked`,
        [[...this.crons.keys()]],
      );
      for (const { function_id, next_at } of due) {
        const { fn, cron, schedule } = this.crons.get(function_id)!;
        const tickId = `cron:${next_at.toISOString()}`;
        const event = { id: tickId, name: 'inngest/scheduled.timer', data: { cron }, ts: next_at.getTime() };
        await tx.query(
          `insert into workflow_runs (function_id, trigger_id, event_name, event, max_attempts)
           values ($1, $2, 'inngest/scheduled.timer', $3, $4) on conflict (function_id, trigger_id) do nothing`,
          [fn.id, tickId, JSON.stringify(event), attemptsPerStep(fn)],
        );
        await tx.query('update workflow_schedules set next_at = $2 where function_id = $1', [
          fn.id,
          schedule.next(new Date()),
        ]);
      }
    });
  }

  // --- claiming -------------------------------------------------------------------------------

  private async claimAndExecute(): Promise<number> {
    const free = this.parallelism - this.active.size;
    if (free <= 0 || this.stopped) return 0;
    const runs = await this.db.transaction(async (tx) => {
      // One claimer at a time across server nodes, so concurrency limits hold.
      await tx.query('select pg_advisory_xact_lock(7710400002)');
      return tx.query<RunRow>(
        `update workflow_runs r set status = 'running', lease_owner = $1,
           lease_expires_at = now() + make_interval(secs => $2::double precision / 1000),
           attempt = case when r.status = 'running' then r.attempt + 1 else r.attempt end,
           updated_at = now()
         where r.id in (
           select id from (
             select distinct on (c.function_id, coalesce(c.concurrency_key, c.id::text)) c.id, c.run_after, c.seq
             from workflow_runs c
             where ((c.status in ('queued', 'sleeping', 'waiting') and c.run_after <= now())
                    or (c.status = 'running' and c.lease_expires_at < now()))
               and c.function_id = any($4::text[])
               and (c.concurrency_key is null or (
                 select count(*) from workflow_runs o
                 where o.function_id = c.function_id and o.concurrency_key = c.concurrency_key
                   and o.status = 'running' and o.lease_expires_at >= now() and o.id <> c.id
               ) < coalesce(($3::jsonb ->> c.function_id)::int, 2147483647))
             order by c.function_id, coalesce(c.concurrency_key, c.id::text), c.seq
           ) oldest_per_key
           order by run_after, seq
           limit $5
         )
         returning r.id, r.org_id, r.function_id, r.trigger_id, r.event, r.status, r.attempt, r.max_attempts`,
        [this.workerId, this.leaseMs, this.concurrencyLimits, [...this.functions.keys()], free],
      );
    });
    for (const run of runs) {
      const execution = this.execute(run)
        .catch((error) => this.log.error({ err: error, runId: run.id }, 'workflow run bookkeeping failed'))
        .finally(() => {
          this.active.delete(execution);
          this.poke();
        });
      this.active.add(execution);
    }
    return runs.length;
  }

  // --- executing ------------------------------------------------------------------------------

  private async execute(run: RunRow): Promise<void> {
    const fn = this.functions.get(run.function_id)!;
    const heartbeat = setInterval(() => {
      this.db
        .query(
          `update workflow_runs set lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
           where id = $1 and lease_owner = $2 and status = 'running'`,
          [run.id, this.workerId, this.leaseMs],
        )
        .catch(() => {});
    }, this.leaseMs / 3);
    try {
      if (run.attempt >= run.max_attempts) {
        // Claimed again after its process died once too often: give up rather than loop.
        await this.fail(
          { ...run, attempt: run.max_attempts - 1 },
          fn,
          new Error('the run was interrupted too many times'),
        );
        return;
      }
      const steps = new Map(
        (
          await this.db.query<StepRow>(
            'select step_id, op, status, output, wake_at from workflow_steps where run_id = $1',
            [run.id],
          )
        ).map((step) => [step.step_id, step]),
      );
      const step = this.stepTools(run, fn, steps);
      try {
        const output = await fn.handler({
          event: run.event as never,
          step,
          runId: run.id,
          attempt: run.attempt,
        });
        await this.finish(run, { status: 'completed', output: toJson(output) ?? null });
      } catch (error) {
        if (error instanceof Park || error instanceof LeaseLost) return;
        await this.fail(run, fn, error as Error);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async finish(
    run: RunRow,
    result: { status: 'completed' | 'failed'; output?: unknown; error?: string },
  ) {
    await this.db.query(
      `update workflow_runs set status = $3, output = $4, error = $5, finished_at = now(), updated_at = now(),
         lease_owner = null, lease_expires_at = null
       where id = $1 and lease_owner = $2`,
      [run.id, this.workerId, result.status, JSON.stringify(result.output ?? null), result.error ?? null],
    );
  }

  private async fail(run: RunRow, fn: WorkflowDefinition<never>, error: Error): Promise<void> {
    const attempt = run.attempt + 1;
    const final = error.name === 'NonRetriableError' || attempt >= run.max_attempts;
    const message = `${error.name}: ${error.message}`;
    if (!final) {
      // The backoff grows with this step's failures, not with those of the steps before it.
      const stepAttempt = Math.max(1, attempt - (run.max_attempts - attemptsPerStep(fn)));
      await this.db.query(
        `update workflow_runs set status = 'queued', attempt = $3, error = $4, updated_at = now(),
           run_after = now() + make_interval(secs => $5::double precision / 1000), lease_owner = null, lease_expires_at = null
         where id = $1 and lease_owner = $2`,
        [run.id, this.workerId, attempt, message, this.backoffMs(stepAttempt)],
      );
      return;
    }
    if (fn.onFailure) {
      try {
        await this.db.transaction(async (tx) => {
          await this.assertLease(tx, run.id);
          const first = await tx.query(
            `insert into workflow_steps (run_id, org_id, step_id, op, status, completed_at)
             values ($1, $2, 'on-failure', 'on_failure', 'completed', now()) on conflict do nothing returning step_id`,
            [run.id, run.org_id],
          );
          if (first[0]) await fn.onFailure!({ event: run.event as never, error, runId: run.id });
        });
      } catch (failureError) {
        this.log.error({ err: failureError, runId: run.id }, 'onFailure handler failed');
      }
    }
    await this.db.query(`update workflow_runs set attempt = $3 where id = $1 and lease_owner = $2`, [
      run.id,
      this.workerId,
      attempt,
    ]);
    await this.finish(run, { status: 'failed', error: message });
  }

  private async assertLease(tx: Db, runId: string): Promise<void> {
    const held = await tx.query(
      `update workflow_runs set lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
       where id = $1 and lease_owner = $2 and status = 'running' returning id`,
      [runId, this.workerId, this.leaseMs],
    );
    if (!held[0]) throw new LeaseLost(`run ${runId} is no longer leased by this worker`);
  }

  private stepTools(
    run: RunRow,
    definition: WorkflowDefinition<never>,
    steps: Map<string, StepRow>,
  ): WorkflowStep {
    const seen = new Map<string, number>();
    // Inngest's rule: a repeated step id within one run gets a `:n` suffix.
    const uniqueId = (id: string) => {
      const count = seen.get(id) ?? 0;
      seen.set(id, count + 1);
      return count === 0 ? id : `${id}:${count}`;
    };
    const record = async (tx: Db, stepId: string, op: string, fields: Record<string, unknown>) => {
      const columns = ['run_id', 'org_id', 'step_id', 'op', ...Object.keys(fields)];
      await tx.query(
        `insert into workflow_steps (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        [run.id, run.org_id, stepId, op, ...Object.values(fields)],
      );
    };
    const park = async (status: 'sleeping' | 'waiting', until: Date) => {
      await this.db.query(
        `update workflow_runs set status = $3, run_after = $4, lease_owner = null, lease_expires_at = null, updated_at = now()
         where id = $1 and lease_owner = $2`,
        [run.id, this.workerId, status, until],
      );
      throw new Park();
    };
    // Inngest retries each step on its own: completing one gives the next a fresh set of attempts.
    // `attempt` keeps counting every failure of the run (the runs API shows it).
    const budget = attemptsPerStep(definition);
    const completing = async <T>(work: (tx: Db) => Promise<T>): Promise<T> => {
      const result = await this.db.transaction(async (tx) => {
        await this.assertLease(tx, run.id);
        const output = await work(tx);
        await tx.query('update workflow_runs set max_attempts = attempt + $2 where id = $1', [
          run.id,
          budget,
        ]);
        return output;
      });
      run.max_attempts = run.attempt + budget;
      return result;
    };

    const tools: WorkflowStep = {
      run: async (id, fn) => {
        const stepId = uniqueId(id);
        const done = steps.get(stepId);
        if (done?.status === 'completed') return done.output as never;
        return completing(async (tx) => {
          const output = toJson(await fn());
          await record(tx, stepId, 'run', {
            status: 'completed',
            output: JSON.stringify(output ?? null),
            completed_at: new Date(),
          });
          return output as never;
        });
      },
      sleep: (id, duration) => tools.sleepUntil(id, new Date(Date.now() + durationMs(duration))),
      sleepUntil: async (id, time) => {
        const stepId = uniqueId(id);
        const existing = steps.get(stepId);
        if (existing?.status === 'completed') return;
        const until = existing?.wake_at ?? new Date(time);
        if (until.getTime() <= Date.now()) {
          await completing(async (tx) => {
            if (existing) {
              await tx.query(
                `update workflow_steps set status = 'completed', completed_at = now() where run_id = $1 and step_id = $2`,
                [run.id, stepId],
              );
            } else {
              await record(tx, stepId, 'sleep', {
                status: 'completed',
                wake_at: until,
                completed_at: new Date(),
              });
            }
          });
          return;
        }
        if (!existing) await record(this.db, stepId, 'sleep', { status: 'waiting', wake_at: until });
        await park('sleeping', until);
      },
      sendEvent: async (id, events) => {
        const list = (Array.isArray(events) ? events : [events]) as SentEvent[];
        for (const event of list) eventSchemas[event.name].parse(event.data); // a bad event fails the step
        return tools.run(id, async () => {
          const ids: string[] = [];
          for (const event of list) ids.push(await emitEvent(this.db, event.name, event.data as never));
          return { ids };
        });
      },
      waitForEvent: async (id, options) => {
        const stepId = uniqueId(id);
        const existing = steps.get(stepId);
        if (existing?.status === 'completed') return (existing.output ?? null) as never;
        const timeoutAt = existing?.wake_at ?? new Date(Date.now() + durationMs(options.timeout));
        if (existing && timeoutAt.getTime() <= Date.now()) {
          // Timed out, unless the event arrived in the meantime (the dispatcher completes the step).
          const timedOut = await completing((tx) =>
            tx.query<{ output: unknown }>(
              `update workflow_steps set status = 'completed', output = null, completed_at = now()
               where run_id = $1 and step_id = $2 and status = 'waiting' returning output`,
              [run.id, stepId],
            ),
          );
          if (timedOut[0]) return null;
          const arrived = await this.db.query<{ output: unknown }>(
            'select output from workflow_steps where run_id = $1 and step_id = $2',
            [run.id, stepId],
          );
          return (arrived[0]?.output ?? null) as never;
        }
        if (!existing) {
          const matchPath = options.match ? `event.${options.match.replace(/^(async|event)\./, '')}` : null;
          await record(this.db, stepId, 'wait_for_event', {
            status: 'waiting',
            wake_at: timeoutAt,
            wait_event: options.event,
            wait_match_path: matchPath,
            wait_match_value: matchPath ? JSON.stringify(readEventPath(run.event, matchPath) ?? null) : null,
          });
        }
        await park('waiting', timeoutAt);
        return null;
      },
    };
    return tools;
  }
}

/** What Inngest does with step results: they travel as JSON. */
function toJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
