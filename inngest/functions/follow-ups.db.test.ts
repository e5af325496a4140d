import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import { systemActor } from '../../core/actor.ts';
import { revokeConsent } from '../../core/compliance/consent.ts';
import {
  createConversationServiceDeps,
  receiveInbound,
} from '../../core/conversations/conversation-service.ts';
import type { Db } from '../../core/db.ts';
import { emitEvent } from '../../core/events.ts';
import { executeDueFollowUps } from '../../core/follow-ups/execute-due-follow-ups.ts';
import {
  cancelSequences,
  cancelSequencesAfterReply,
  listFollowUpSequences,
  reEngageAfterReply,
  scheduleSequence,
} from '../../core/follow-ups/follow-up-sequences.ts';
import { upsertLead } from '../../core/leads.ts';
import { createOrganization } from '../../core/organizations.ts';
import { recordingSender, sendOutbound } from '../../core/outbound.ts';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { ambientDatabase } from '../ambient-database.ts';
import { EmbeddedRuntime } from '../embedded-runtime.ts';
import type { WorkflowStep } from '../workflow.ts';
import { followUpWorkflows } from './follow-ups.ts';

let base: Database;
let db: Db;
let orgId: string;
let runtime: EmbeddedRuntime;
const executed: unknown[] = [];

const conversations = () =>
  createConversationServiceDeps({
    db,
    qualifier: createOfflineQualifier(),
    deliver: (draft) => sendOutbound({ db, senders: { email: recordingSender('email') } }, draft),
  });

/** Wired the way server/workflows.ts wires them. */
const workflows = () =>
  followUpWorkflows({
    schedule: (org, contactId, sequence) => scheduleSequence(db, org, contactId, sequence),
    cancel: (org, contactId, reason) => cancelSequences(db, org, contactId, reason),
    cancelAfterReply: (org, contactId, messageId) => cancelSequencesAfterReply(db, org, contactId, messageId),
    reEngageAfterReply: (org, contactId, messageId) => reEngageAfterReply(db, org, contactId, messageId),
    executeDue: async () => {
      const result = await executeDueFollowUps({ db, conversations: conversations() });
      executed.push(result);
      return result;
    },
  });

beforeAll(async () => {
  base = await createTestDatabase();
  db = ambientDatabase(base);
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterEach(() => runtime?.stop());
afterAll(() => base.close());

function start() {
  runtime = new EmbeddedRuntime({ db, functions: workflows(), pollIntervalMs: 20, backoffMs: () => 10 });
  runtime.start();
}

async function newLead(): Promise<{ id: string; email: string }> {
  const email = `pat-${randomUUID()}@prospect.example`;
  const { lead } = await upsertLead(db, orgId, { email, firstName: 'Pat' }, systemActor);
  return { id: lead.id, email };
}

const sequencesOf = (contactId: string) => listFollowUpSequences(db, orgId, { contactId });

describe('follow-up workflows', () => {
  it('a NURTURE outcome starts nurture; the prospect writing stops it', async () => {
    start();
    const lead = await newLead();
    await emitEvent(db, 'lead.qualified', { orgId, contactId: lead.id, outcome: 'NURTURE', reasons: [] });
    runtime.poke();
    const nurture = await waitFor(async () => (await sequencesOf(lead.id))[0], 'the nurture sequence');
    expect(nurture).toMatchObject({ name: 'nurture', status: 'active' });
    expect(nurture.messages).toHaveLength(3);

    await receiveInbound(conversations(), {
      orgId,
      channel: 'email',
      from: { email: lead.email },
      body: 'Back from holiday, let us talk.',
    });
    runtime.poke();
    const nurtureOf = async () => (await sequencesOf(lead.id)).find((s) => s.name === 'nurture');
    await waitFor(async () => (await nurtureOf())?.status === 'cancelled', 'the cancellation');
    expect(await nurtureOf()).toMatchObject({ endedReason: 'prospect_replied' });
  });

  it('a lead who goes quiet later in the conversation is re-engaged from their last message', async () => {
    start();
    const lead = await newLead();
    const write = (body: string) =>
      receiveInbound(conversations(), { orgId, channel: 'email', from: { email: lead.email }, body });
    const reEngages = async () => (await sequencesOf(lead.id)).filter((s) => s.name === 're-engage');

    await write('Hi, we are looking at forecasting tools.');
    runtime.poke();
    await waitFor(async () => (await reEngages()).length === 1, 're-engage after the first message');

    await write('Our forecasts are always wrong and deals slip.');
    runtime.poke();
    await waitFor(async () => (await reEngages()).length === 2, 're-engage after the second message');
    const [latest, earlier] = await reEngages();
    expect(latest).toMatchObject({ status: 'active' });
    expect(earlier).toMatchObject({ status: 'cancelled', endedReason: 'prospect_replied' });
    // Counted from the latest message: its first touch is two days after it.
    expect(new Date(latest!.messages[0]!.dueAt).getTime()).toBeGreaterThan(
      new Date(earlier!.messages[0]!.dueAt).getTime(),
    );

    // Asking to stop ends the nudging: the reply cancels it and none starts again.
    await write('Please stop emailing me.');
    runtime.poke();
    await waitFor(async () => (await reEngages()).every((s) => s.status === 'cancelled'), 'the cancellation');
    await new Promise((resolve) => setTimeout(resolve, 300));
    runtime.poke();
    expect((await reEngages()).map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('a first message starts re-engage; a revoked consent or a QUALIFIED outcome stops follow-ups', async () => {
    start();
    const lead = await newLead();
    await emitEvent(db, 'lead.qualification.started', { orgId, contactId: lead.id, channel: 'email' });
    runtime.poke();
    await waitFor(async () => (await sequencesOf(lead.id))[0]?.name === 're-engage', 're-engage');
    await revokeConsent(
      db,
      orgId,
      { contactId: lead.id, type: 'email_marketing', method: 'api', evidence: { note: 'asked to stop' } },
      systemActor,
    );
    runtime.poke();
    await waitFor(async () => (await sequencesOf(lead.id))[0]?.status === 'cancelled', 'the cancellation');
    expect((await sequencesOf(lead.id))[0]!.endedReason).toBe('consent_revoked');

    const qualified = await newLead();
    await scheduleSequence(db, orgId, qualified.id, 're-engage');
    await emitEvent(db, 'lead.qualified', {
      orgId,
      contactId: qualified.id,
      outcome: 'QUALIFIED',
      reasons: [],
    });
    runtime.poke();
    await waitFor(
      async () => (await sequencesOf(qualified.id))[0]?.status === 'cancelled',
      'the cancellation',
    );
    expect((await sequencesOf(qualified.id))[0]!.endedReason).toBe('outcome_qualified');
  });

  it('runs the due touches every minute, outside any step', async () => {
    const execute = workflows().find((fn) => fn.id === 'follow-ups-execute')!;
    expect(execute.triggers).toEqual([{ cron: '* * * * *' }]);
    const step = new Proxy({} as WorkflowStep, {
      get: (_, tool) => () => {
        throw new Error(`step.${String(tool)} must not wrap the sends`);
      },
    });
    // A runtime from an earlier test may have run the cron once more while stopping.
    executed.length = 0;
    const output = await execute.handler({
      event: { id: 'cron:test', name: 'inngest/scheduled.timer', data: {}, ts: Date.now() } as never,
      step,
      runId: 'run-test',
      attempt: 0,
    });
    expect(output).toEqual({ sent: 0, failed: 0, skipped: 0 });
    expect(executed).toContainEqual(output);
  });
});
