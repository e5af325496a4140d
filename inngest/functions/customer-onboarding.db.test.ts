import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import { systemActor } from '../../core/actor.ts';
import { onboardCustomer } from '../../core/closing/customer-onboarding.ts';
import type { Db } from '../../core/db.ts';
import { changeDeal, openLeadDeal } from '../../core/deals/deal-pipeline.ts';
import { upsertLead } from '../../core/leads.ts';
import { createOrganization } from '../../core/organizations.ts';
import type { Database } from '../../server/db/database.ts';
import { createConversationHarness } from '../../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { ambientDatabase } from '../ambient-database.ts';
import { EmbeddedRuntime } from '../embedded-runtime.ts';
import { customerOnboardingWorkflows } from './customer-onboarding.ts';

/**
 * The ops step on the embedded runtime: a rep moving a deal to `won` (no payment involved) makes
 * its contact a customer and sends the welcome once, by email when there is no conversation;
 * other stage moves do nothing.
 */
let base: Database;
let db: Db;
let orgId: string;
let runtime: EmbeddedRuntime;

beforeAll(async () => {
  base = await createTestDatabase();
  db = ambientDatabase(base);
  ({ orgId } = await createOrganization(
    db,
    { name: 'Acme', settings: { physicalAddress: '1 Main St, Springfield' } },
    systemActor,
  ));
  const conversations = createConversationHarness({ db, model: createOfflineQualifier() }).deps;
  runtime = new EmbeddedRuntime({
    db,
    functions: customerOnboardingWorkflows({
      onboard: (org, dealId) => onboardCustomer(conversations, org, dealId),
    }),
    pollIntervalMs: 20,
    backoffMs: () => 10,
  });
  runtime.start();
});
afterAll(async () => {
  await runtime.stop();
  await base.close();
});

describe('customer-onboarding workflow', () => {
  it('onboards the contact of a deal a rep marks won, once, and ignores other moves', async () => {
    const { lead } = await upsertLead(
      db,
      orgId,
      { email: 'buyer@prospect.example', firstName: 'Pat' },
      systemActor,
    );
    const deal = await db.transaction((tx) =>
      openLeadDeal(tx, {
        orgId,
        contactId: lead.id,
        amountCents: 100_000,
        currency: 'usd',
        actor: systemActor,
      }),
    );
    const rep = { type: 'rep' as const, id: 'rep-1' };
    await changeDeal(db, { orgId, dealId: deal.id, patch: { stage: 'negotiation' }, actor: rep });
    await changeDeal(db, { orgId, dealId: deal.id, patch: { stage: 'won' }, actor: rep });
    runtime.poke();
    const runs = await waitFor(async () => {
      const rows = await db.query<{ status: string; output: Record<string, unknown> }>(
        `select status, output from workflow_runs where function_id = 'customer-onboarding' and org_id = $1 order by created_at`,
        [orgId],
      );
      return rows.length >= 3 && rows.every((row) => row.status === 'completed') ? rows : undefined;
    }, 'three completed onboarding runs');
    expect(runs.map((run) => run.output)).toEqual(
      expect.arrayContaining([
        { skipped: 'moved to qualified' },
        { skipped: 'moved to negotiation' },
        expect.objectContaining({ onboarded: true, customer: true, channel: 'email' }),
      ]),
    );
    const [contact] = await db.query<{ status: string; customer_since: Date | null }>(
      'select status, customer_since from contacts where id = $1',
      [lead.id],
    );
    expect(contact).toMatchObject({ status: 'customer', customer_since: expect.any(Date) });
    const welcome = await db.query<{ status: string; body: string }>(
      `select status, body from outbound_deliveries where org_id = $1 and idempotency_key = $2`,
      [orgId, `onboarding:${deal.id}`],
    );
    expect(welcome).toHaveLength(1);
    expect(welcome[0]!.body).toContain('Welcome to Acme');
  });
});
