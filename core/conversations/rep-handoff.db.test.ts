import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQualifier } from '../../agents/offline-model/offline-qualifier.ts';
import { ambientDatabase } from '../../inngest/ambient-database.ts';
import { EmbeddedRuntime } from '../../inngest/embedded-runtime.ts';
import { repHandoffWorkflows } from '../../inngest/functions/rep-handoff.ts';
import type { WorkflowStep } from '../../inngest/workflow.ts';
import type { Database } from '../../server/db/database.ts';
import {
  type ConversationHarness,
  createConversationHarness,
  newVisitorId,
} from '../../tests/support/conversation-harness.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { startTestServer, type TestServer } from '../../tests/support/test-server.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { systemActor } from '../actor.ts';
import { listMessages } from '../conversations.ts';
import type { Db } from '../db.ts';
import { upsertLead } from '../leads.ts';
import { createOrganization } from '../organizations.ts';
import { listDeliveries } from '../outbound.ts';
import { leadPanel, repInbox } from '../rep-inbox.ts';
import { createRep, type Rep, signIn } from '../reps.ts';
import { getRepBriefing, refreshRepBriefing } from '../routing/rep-briefing.ts';
import { weekdays } from '../working-hours.ts';
import { receiveInbound, takeOverConversation } from './conversation-service.ts';
import { notifyRepOfHandoff, tellNoRepAvailable } from './rep-handoff.ts';

/**
 * Asking for a person really hands off: the conversation waits for a rep where reps look (inbox,
 * summary, routing queue), the best-fit rep is told, and when nobody comes the agent says so and
 * keeps helping. The rep's briefing follows the lead's facts.
 */
let base: Database;
let db: Db;
let h: ConversationHarness;
let server: TestServer;
let runtime: EmbeddedRuntime | undefined;

beforeAll(async () => {
  base = await createTestDatabase();
  // As the server runs it: domain calls from workflow steps join the step's transaction.
  db = ambientDatabase(base);
  h = createConversationHarness({ db, model: createOfflineQualifier() });
  server = await startTestServer(db);
});
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});
afterAll(async () => {
  await server.close();
  await base.close();
});

/** Wired the way server/workflows.ts wires them. */
const workflows = () =>
  repHandoffWorkflows({
    notifyRep: (orgId, conversationId) => notifyRepOfHandoff(h.deps, orgId, conversationId),
    tellNoRepAvailable: (orgId, conversationId, since) =>
      tellNoRepAvailable(h.deps, orgId, conversationId, since),
    refreshBriefing: (orgId, contactId) => refreshRepBriefing(db, orgId, contactId),
  });

function startRuntime() {
  runtime = new EmbeddedRuntime({ db, functions: workflows(), pollIntervalMs: 20, backoffMs: () => 10 });
  runtime.start();
}

async function newOrg(settings: Record<string, unknown> = {}): Promise<{
  orgId: string;
  apiKey: string;
  rep: Rep;
}> {
  const { orgId, apiKey } = await createOrganization(
    db,
    { name: `Acme ${randomUUID().slice(0, 6)}`, settings },
    systemActor,
  );
  const email = `ann-${randomUUID().slice(0, 8)}@acme.example`;
  await createRep(db, { orgId, email, password: 'long-enough-pw', name: 'Ann Rep' }, systemActor);
  return { orgId, apiKey, rep: (await signIn(db, { email, password: 'long-enough-pw' })).rep };
}

/** The handoff-timeout workflow run directly, with `waitForEvent` played by the test. */
async function runTimeoutWorkflow(
  orgId: string,
  conversationId: string,
  waitForEvent: (options: unknown) => Promise<unknown>,
) {
  const [data] = (await h.events(orgId, 'conversation.handoff.requested')).filter(
    (event) => event.conversationId === conversationId,
  );
  const step = {
    waitForEvent: (_id: string, options: unknown) => waitForEvent(options),
    run: () => {
      throw new Error('the handoff steps are not step.run');
    },
  } as unknown as WorkflowStep;
  const timeout = workflows().find((fn) => fn.id === 'handoff-timeout')!;
  return (await timeout.handler({
    event: { id: randomUUID(), name: 'conversation.handoff.requested', data, ts: Date.now() } as never,
    step,
    runId: 'run-test',
    attempt: 0,
  })) as { notice: { waiting: boolean; waitMinutes: number | null }; told?: { told: boolean } };
}

const agentLines = async (orgId: string, conversationId: string) =>
  (await listMessages(db, orgId, conversationId))
    .filter((message) => message.sender === 'agent')
    .map((message) => message.body);

describe('asking for a person', () => {
  it('makes the conversation waiting_for_rep: first in the inbox, counted, queued, the rep notified; a take-over ends it', async () => {
    const { orgId, apiKey, rep } = await newOrg();
    const visitor = newVisitorId();
    await h.chat(orgId, visitor, 'Hi, we want better sales forecasts.');
    const asked = await h.chat(orgId, visitor, 'Can I talk to a real person?');
    const conversationId = asked.conversation.id;
    expect(asked.reply!.body).toMatch(/a person (from our team )?will join|person from our team to join/);
    expect(asked.conversation).toMatchObject({
      mode: 'ai',
      handoff: {
        status: 'waiting_for_rep',
        reason: 'the prospect asked for a person',
        noRepAvailableAt: null,
      },
    });
    // Another prospect writes later: the one waiting for a person still comes first.
    const other = await h.chat(orgId, newVisitorId(), 'Hello, just browsing.');
    const inbox = await repInbox(db, rep);
    expect(inbox.map((item) => item.id)).toEqual([conversationId, other.conversation.id]);
    expect(inbox[0]!.handoff).toMatchObject({ status: 'waiting_for_rep' });
    expect(inbox[1]!.handoff).toBeNull();
    const summary = await server.request('GET', '/api/leads/summary', { key: apiKey });
    expect(summary.body.waitingForRep).toBe(1);
    const queue = await server.request('GET', '/api/routing/queue', { key: apiKey });
    expect(queue.body).toEqual({
      items: [],
      handoffs: [
        expect.objectContaining({
          conversationId,
          contactId: asked.contactId,
          channel: 'web',
          status: 'waiting_for_rep',
          reason: 'the prospect asked for a person',
        }),
      ],
    });

    startRuntime();
    // Every console gets a live notice naming the rep, once the rep was told ...
    await waitFor(
      () =>
        h.feed.find(
          (event) =>
            event.type === 'handoff' &&
            event.conversationId === conversationId &&
            event.state === 'waiting_for_rep' &&
            event.repId === rep.id,
        ),
      'the live notice to the consoles',
    );
    // ... the best-fit (here the only) rep: an email through the gate — recorded, no provider key.
    const notice = (await listDeliveries(db, orgId, { contactId: asked.contactId })).find(
      (delivery) => delivery.to === rep.email,
    )!;
    expect(notice).toMatchObject({ channel: 'email', purpose: 'rep_notification', status: 'recorded' });
    expect(notice.subject).toMatch(/^Waiting for you: .* asked for a person$/);
    expect(notice.body).toMatch(/asked for a person and is waiting in the conversation/);
    await waitFor(
      async () =>
        (
          await db.query(
            `select 1 from workflow_runs where function_id = 'handoff-timeout' and contact_id = $1 and status = 'waiting'`,
            [asked.contactId],
          )
        )[0],
      'the workflow to wait for a take-over',
    );

    await takeOverConversation(h.deps, {
      orgId,
      conversationId,
      repId: rep.id,
      actor: { type: 'rep', id: rep.id },
    });
    runtime!.poke();
    // The wait ends now, not after its five minutes, and the agent says nothing.
    const run = await waitFor(async () => {
      const [row] = await db.query<{ status: string; output: { waiting?: boolean } }>(
        `select status, output from workflow_runs where function_id = 'handoff-timeout' and contact_id = $1`,
        [asked.contactId],
      );
      return row?.status === 'completed' ? row : undefined;
    }, 'the wait to end with the take-over');
    expect(run.output.waiting).toBe(false);
    expect(
      await db.query(
        `select s.status from workflow_steps s join workflow_runs r on r.id = s.run_id
         where r.function_id = 'handoff-timeout' and r.contact_id = $1 and s.step_id = 'wait-for-take-over'`,
        [asked.contactId],
      ),
    ).toEqual([{ status: 'completed' }]);
    const after = (await repInbox(db, rep)).find((item) => item.id === conversationId)!;
    expect(after).toMatchObject({ mode: 'human', handoff: null });
    expect((await server.request('GET', '/api/leads/summary', { key: apiKey })).body.waitingForRep).toBe(0);
    expect((await server.request('GET', '/api/routing/queue', { key: apiKey })).body.handoffs).toEqual([]);
    expect((await agentLines(orgId, conversationId)).join('\n')).not.toMatch(/nobody/i);
  });

  it('when nobody takes over in time, the agent says so, asks how to reach them, and keeps helping', async () => {
    const { orgId, rep } = await newOrg();
    const visitor = newVisitorId();
    const asked = await h.chat(orgId, visitor, 'Can I talk to a real person?');
    const conversationId = asked.conversation.id;
    const waits: unknown[] = [];
    const output = await runTimeoutWorkflow(orgId, conversationId, async (options) => {
      waits.push(options);
      return null; // the timeout passed without a take-over
    });
    // The organization's default: five minutes.
    expect(waits).toEqual([
      { event: 'conversation.taken_over', match: 'data.conversationId', timeout: '5m' },
    ]);
    expect(output.told).toMatchObject({ told: true });
    const said = (await agentLines(orgId, conversationId)).at(-1)!;
    expect(said).toMatch(/nobody from our team is free to join this conversation right now/);
    // An anonymous visitor: no address to follow up on, so the agent asks for one.
    expect(said).toMatch(/what's the best email address or phone number to reach you\?/);
    expect(said).toMatch(/keep helping/);

    // The agent keeps answering; asked again, it does not promise a person.
    const next = await h.chat(orgId, visitor, 'OK. We have about 40 sales reps today.');
    expect(next.reply).not.toBeNull();
    expect(next.reply!.body).not.toMatch(/will join|already been notified|nobody/);
    expect(next.conversation).toMatchObject({
      mode: 'ai',
      handoff: { status: 'waiting_for_rep', noRepAvailableAt: expect.any(String) },
    });
    const again = await h.chat(orgId, visitor, 'Can I talk to a real person?');
    expect(again.reply!.body).toMatch(/nobody from our team is free/);
    expect(again.reply!.body).not.toMatch(/already been notified|will join/);
    // A replayed run says nothing more and notifies nobody again.
    await runTimeoutWorkflow(orgId, conversationId, async () => null);
    const told = (await listMessages(db, orgId, conversationId)).filter(
      (message) => message.metadata.handoff === 'no_rep_available',
    );
    expect(told).toHaveLength(1);
    const notices = (await listDeliveries(db, orgId, { contactId: asked.contactId })).filter(
      (delivery) => delivery.to === rep.email,
    );
    expect(notices).toHaveLength(1);
    // A rep can still take it over later, which ends the wait.
    await takeOverConversation(h.deps, {
      orgId,
      conversationId,
      repId: rep.id,
      actor: { type: 'rep', id: rep.id },
    });
    expect((await repInbox(db, rep)).find((item) => item.id === conversationId)!.handoff).toBeNull();
  });

  it('outside working hours says so at once, offers a follow-up on the address it has, and does not wait', async () => {
    // Every day but today and tomorrow (UTC), so the test never runs inside the hours.
    const today = (new Date().getUTCDay() + 6) % 7;
    const closed = [weekdays[today], weekdays[(today + 1) % 7]];
    const { orgId, rep } = await newOrg({
      workingHours: {
        timezone: 'UTC',
        days: weekdays.filter((day) => !closed.includes(day)),
        start: '09:00',
        end: '17:00',
      },
    });
    const { lead } = await upsertLead(db, orgId, { email: 'jo@prospect.example' }, systemActor);
    const asked = await receiveInbound(h.deps, {
      orgId,
      channel: 'web',
      from: { contactId: lead.id },
      body: 'Can I talk to a real person?',
    });
    expect(asked.reply!.body).toMatch(/Our team is offline right now \(they are in .* 09:00–17:00 UTC\)/);
    expect(asked.reply!.body).toMatch(/follow up with you by email at jo@prospect\.example/);
    expect(asked.reply!.body).not.toMatch(/will join/);
    const output = await runTimeoutWorkflow(orgId, asked.conversation.id, () => {
      throw new Error('nobody can come after hours: no wait');
    });
    expect(output.notice).toMatchObject({ waiting: true, waitMinutes: null });
    expect(output.told).toMatchObject({ told: false });
    expect(await agentLines(orgId, asked.conversation.id)).toHaveLength(1);
    // The rep still hears of it, to follow up when they are in.
    expect(
      (await listDeliveries(db, orgId, { contactId: lead.id })).filter((d) => d.to === rep.email),
    ).toHaveLength(1);
  });
});

describe('handoff settings', () => {
  it('reads and changes the timeout and working hours, validated; null removes the hours', async () => {
    const { apiKey } = await newOrg();
    const read = () => server.request('GET', '/api/handoff/settings', { key: apiKey });
    expect((await read()).body).toEqual({ handoffTimeoutMinutes: 5, workingHours: null });
    const hours = { timezone: 'Europe/Berlin', days: ['mon', 'tue'], start: '08:30', end: '16:00' };
    const put = (body: unknown) => server.request('PUT', '/api/handoff/settings', { key: apiKey, body });
    expect((await put({ handoffTimeoutMinutes: 10, workingHours: hours })).body).toEqual({
      handoffTimeoutMinutes: 10,
      workingHours: hours,
    });
    expect((await put({ workingHours: { ...hours, timezone: 'Mars/Olympus' } })).status).toBe(400);
    expect((await put({ handoffTimeoutMinutes: 0 })).status).toBe(400);
    expect((await read()).body).toEqual({ handoffTimeoutMinutes: 10, workingHours: hours });
    expect((await put({ workingHours: null })).body).toEqual({
      handoffTimeoutMinutes: 10,
      workingHours: null,
    });
  });
});

describe('the rep briefing', () => {
  it('holds facts learned after the first briefing, and is rebuilt at take-over', async () => {
    const { orgId, rep } = await newOrg();
    const { lead } = await upsertLead(db, orgId, { email: 'late@prospect.example' }, systemActor);
    const asked = await receiveInbound(h.deps, {
      orgId,
      channel: 'web',
      from: { contactId: lead.id },
      body: 'Can I talk to a real person?',
    });
    const conversationId = asked.conversation.id;
    startRuntime();
    const first = await waitFor(() => getRepBriefing(db, orgId, lead.id), 'the first briefing');
    expect(first.email).toMatch(/late@prospect\.example \(unknown company\)/);
    expect(first.email).toMatch(/- Budget: unknown/);

    // Learned later: the budget in the conversation, the name and company from a form.
    await receiveInbound(h.deps, {
      orgId,
      channel: 'web',
      from: { contactId: lead.id },
      body: 'Our budget is about $30k a year.',
    });
    await upsertLead(
      db,
      orgId,
      { email: 'late@prospect.example', firstName: 'Jo', lastName: 'Park', company: 'Acme Co' },
      systemActor,
    );
    const current = await waitFor(async () => {
      const briefing = await getRepBriefing(db, orgId, lead.id);
      return briefing?.email.includes('Acme Co') && briefing.email.includes('$30,000') ? briefing : undefined;
    }, 'the briefing to hold the late facts');
    expect(current.subject).toBe('Waiting for you: Jo Park (Acme Co) asked for a person');
    expect(current.email).not.toMatch(/unknown company|Budget: unknown/);
    expect((await leadPanel(db, rep, conversationId)).briefing).toMatchObject({ subject: current.subject });

    // A fact no event announced yet is in the briefing the rep gets when taking over.
    await runtime!.stop();
    runtime = undefined;
    await db.query(`update contacts set title = 'VP Sales' where id = $1`, [lead.id]);
    await takeOverConversation(h.deps, {
      orgId,
      conversationId,
      repId: rep.id,
      actor: { type: 'rep', id: rep.id },
    });
    const taken = (await leadPanel(db, rep, conversationId)).briefing!;
    expect(taken).toMatchObject({ occasion: 'taken_over', repId: rep.id });
    expect(taken.email).toMatch(/You took over the conversation with Jo Park \(Acme Co\)/);
    expect(taken.email).toMatch(/Jo Park, VP Sales at Acme Co/);
  });
});
