import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../core/actor.ts';
import type { Db } from '../../core/db.ts';
import { emitEvent } from '../../core/events.ts';
import { createOrganization } from '../../core/organizations.ts';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { ambientDatabase } from '../ambient-database.ts';
import { EmbeddedRuntime } from '../embedded-runtime.ts';
import { type LeadPipelineSteps, leadPipeline } from './lead-pipeline.ts';

/**
 * The lead pipeline's retries on the embedded runtime, which must match Inngest's
 * (inngest-engine.test.ts): a function without `retries` gets Inngest's default of 4, and each
 * step gets them on its own — a step that needed retries does not use up the next step's.
 */
let base: Database;
let db: Db;
let orgId: string;
let runtime: EmbeddedRuntime | undefined;

beforeAll(async () => {
  base = await createTestDatabase();
  db = ambientDatabase(base);
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterEach(() => runtime?.stop());
afterAll(() => base.close());

const scored = { score: 57, oldScore: null, changed: true };

/** lead-intake alone, its two steps failing `enrichFailures` and `scoreFailures` times first. */
function startIntake(enrichFailures: number, scoreFailures: number) {
  const calls: string[] = [];
  const failing = (name: string, failures: number, result: unknown) => async () => {
    calls.push(name);
    if (calls.filter((call) => call === name).length <= failures) throw new Error(`${name} is down`);
    return result;
  };
  const steps = {
    enrich: failing('enrich', enrichFailures, { sources: ['offline'], failures: [] }),
    score: failing('score', scoreFailures, scored),
  } as unknown as LeadPipelineSteps;
  const intake = leadPipeline(steps).filter((fn) => fn.id === 'lead-intake');
  runtime = new EmbeddedRuntime({ db, functions: intake, pollIntervalMs: 20, backoffMs: () => 10 });
  runtime.start();
  return calls;
}

async function intakeOf(contactId: string) {
  await emitEvent(db, 'lead.created', { orgId, contactId, source: 'web' });
  runtime!.poke();
  return waitFor(async () => {
    const [run] = await db.query<{ status: string; attempt: number; output: unknown; error: string | null }>(
      `select status, attempt, output, error from workflow_runs where function_id = 'lead-intake' and contact_id = $1`,
      [contactId],
    );
    return run && ['completed', 'failed'].includes(run.status) ? run : undefined;
  }, 'the intake run to finish');
}

describe('lead pipeline retries on the embedded runtime', () => {
  it('gives each step its own retries: four failures of enrich, then four of score, and the lead is scored', async () => {
    const calls = startIntake(4, 4);
    const run = await intakeOf(randomUUID());
    expect(run).toMatchObject({ status: 'completed', output: scored, attempt: 8 });
    expect(calls).toEqual([...Array(5).fill('enrich'), ...Array(5).fill('score')]);
  });

  it('fails the run when a step fails all five attempts, and the steps after it never run', async () => {
    const calls = startIntake(5, 0);
    const run = await intakeOf(randomUUID());
    expect(run).toMatchObject({ status: 'failed', attempt: 5, error: 'Error: enrich is down' });
    expect(calls).toEqual(Array(5).fill('enrich'));
  });
});
