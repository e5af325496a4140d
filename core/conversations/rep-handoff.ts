import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import { type ConversationRow, type HandoffView, toConversationView } from '../conversations.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import { getOrganization, type Organization, updateOrganizationSettings } from '../organizations.ts';
import type { Channel } from '../outbound-message.ts';
import { storeRepBriefing } from '../routing/rep-briefing.ts';
import { loadRepCandidates, type RepCandidate, rankReps } from '../routing/rep-selection.ts';
import { leadProfileOf } from '../routing/route-lead.ts';
import { readRoutingSettings } from '../routing/routing-settings.ts';
import { type WorkingHours, withinWorkingHours, workingHoursSchema } from '../working-hours.ts';
import { type ConversationServiceDeps, sendAgentMessage } from './conversation-service.ts';
import { type AgentState, agentActor, agentStateOf } from './conversation-store.ts';
import { noRepAvailableLine, repAvailability } from './handoff-reply.ts';

/**
 * A prospect asked for a person (the turn made the conversation `waiting_for_rep` and emitted
 * `conversation.handoff.requested`). The `handoff-timeout` workflow then:
 *
 * 1. `notifyRepOfHandoff`: the best-fit rep — the one the lead was routed to, else the top of rep
 *    selection — gets a current briefing by email (and SMS/WhatsApp per the routing settings)
 *    through the compliance gate, and every console a live `handoff` event;
 * 2. waits `handoffTimeoutMinutes` for `conversation.taken_over`;
 * 3. `tellNoRepAvailable`: nobody came (or it is outside working hours, or there is no rep): the
 *    agent says so honestly, offers a follow-up and keeps answering — the mode stays `ai`, and
 *    the conversation keeps waiting for a rep, who can still take it over.
 *
 * Each step acts on one request only (named by its `waiting_for_rep_since`) and only once, so a
 * replayed or late run never notifies twice or speaks for a newer request.
 */
export interface HandoffNotice {
  /** False once a rep took over, it was handed back or closed: nothing more to do. */
  waiting: boolean;
  /** The request: its `waiting_for_rep_since`. */
  since: string | null;
  repId: string | null;
  /** How long to wait for a take-over; null: tell the prospect now (no rep, after hours, already told). */
  waitMinutes: number | null;
  deliveries: { channel: string; status: string }[];
}

interface WaitingRow extends ConversationRow {
  contact_email: string | null;
  contact_phone: string | null;
  country: string | null;
  timezone: string | null;
  industry: string | null;
  enrichment: { fields?: unknown } | null;
  routed_rep_id: string | null;
}

async function loadConversation(db: Db, orgId: string, conversationId: string): Promise<WaitingRow | null> {
  const rows = await db.query<WaitingRow>(
    `select c.*, k.email as contact_email, k.phone as contact_phone, k.country, k.timezone, k.industry,
       k.enrichment, k.routing ->> 'repId' as routed_rep_id
     from conversations c join contacts k on k.org_id = c.org_id and k.id = c.contact_id
     where c.org_id = $1 and c.id = $2`,
    [orgId, conversationId],
  );
  return rows[0] ?? null;
}

/** The request the conversation waits on, if it still waits with the agent answering. */
const pendingRequest = (row: WaitingRow | null): string | null =>
  row?.waiting_for_rep_since && row.status === 'open' && row.mode === 'ai'
    ? row.waiting_for_rep_since.toISOString()
    : null;

/** Merges into the agent state only while the conversation still waits on this request. */
async function patchRequest(tx: Db, row: WaitingRow, patch: AgentState): Promise<boolean> {
  const rows = await tx.query(
    `update conversations set agent_state = agent_state || $3::jsonb, updated_at = now()
     where org_id = $1 and id = $2 and waiting_for_rep_since = $4 returning id`,
    [row.org_id, row.id, JSON.stringify(patch), row.waiting_for_rep_since],
  );
  return rows.length > 0;
}

/**
 * The rep to bring in: whoever the lead was routed to, when they still take leads; else the best
 * fit by rep selection's points, reps with free capacity first (a full rep still beats nobody).
 */
async function repForHandoff(
  db: Db,
  organization: Organization,
  row: WaitingRow,
): Promise<{ rep: RepCandidate; reasons: string[] } | null> {
  const candidates = await loadRepCandidates(db, organization.id);
  const routed = candidates.find((candidate) => candidate.id === row.routed_rep_id);
  if (routed) return { rep: routed, reasons: ['the lead was routed to you'] };
  const [best] = rankReps(
    leadProfileOf({ ...row, phone: row.contact_phone }),
    candidates,
    readRoutingSettings(organization.settings).repSelection,
  );
  if (!best) return null;
  return { rep: best.rep, reasons: [`best fit: ${best.points} fit points`, ...best.reasons] };
}

const notWaiting: HandoffNotice = {
  waiting: false,
  since: null,
  repId: null,
  waitMinutes: null,
  deliveries: [],
};

/** Step 1: tells the best-fit rep and every console, once per request. */
export async function notifyRepOfHandoff(
  deps: ConversationServiceDeps,
  orgId: string,
  conversationId: string,
): Promise<HandoffNotice> {
  const row = await loadConversation(deps.db, orgId, conversationId);
  const since = pendingRequest(row);
  if (!row || !since) return notWaiting;
  const state = agentStateOf(row);
  if (state.handoffNotifiedFor === since) {
    // A replay: the rep was told; the wait it chose then still holds.
    return {
      waiting: true,
      since,
      repId: state.handoffRepId ?? null,
      waitMinutes: state.handoffWaitMinutes ?? null,
      deliveries: [],
    };
  }
  const organization = await getOrganization(deps.db, orgId);
  const now = deps.now();
  const reason = state.handoffReason ?? 'the prospect asked for a person';
  const chosen = await repForHandoff(deps.db, organization, row);
  const deliveries: { channel: string; status: string; reasons: string[] }[] = [];
  if (chosen) {
    const { rep } = chosen;
    const briefing = await storeRepBriefing(deps.db, {
      orgId,
      contactId: row.contact_id,
      repId: rep.id,
      routingReasons: [`asked for a person (${reason}) in a ${row.channel} conversation`, ...chosen.reasons],
      occasion: 'handoff',
      now,
    });
    const base = { orgId, contactId: row.contact_id, purpose: 'rep_notification', sender: 'system' } as const;
    const key = `handoff-notice:${conversationId}:${since}`;
    const email = await deps.deliver({
      ...base,
      channel: 'email',
      to: rep.email,
      subject: briefing.subject,
      body: briefing.email,
      idempotencyKey: `${key}:email`,
    });
    deliveries.push({ channel: 'email', status: email.status, reasons: email.reasons });
    if (rep.phone) {
      for (const channel of readRoutingSettings(organization.settings).notify.channels) {
        if (channel === 'email') continue;
        const result = await deps.deliver({
          ...base,
          channel: channel as Channel,
          to: rep.phone,
          body: briefing.text,
          idempotencyKey: `${key}:${channel}`,
        });
        deliveries.push({ channel, status: result.status, reasons: result.reasons });
      }
    }
    // Worth a retry (the delivery ledger keeps a sent channel from sending twice).
    if (email.status === 'failed') {
      throw new Error(`the handoff email to the rep failed: ${email.reasons.join(', ')}`);
    }
  }
  const availability = await repAvailability(deps.db, organization, now);
  const waitMinutes =
    chosen && availability.onDuty && !state.handoffUnansweredAt
      ? organization.settings.handoffTimeoutMinutes
      : null;
  const repId = chosen?.rep.id ?? null;
  const recorded = await deps.db.transaction(async (tx) => {
    const patch: AgentState = { handoffNotifiedFor: since, handoffWaitMinutes: waitMinutes };
    if (repId) patch.handoffRepId = repId;
    if (!(await patchRequest(tx, row, patch))) return false;
    await recordAudit(tx, {
      orgId,
      actor: agentActor,
      action: 'conversation.handoff.rep_notified',
      entityType: 'conversation',
      entityId: conversationId,
      contactId: row.contact_id,
      details: { repId, reason, waitMinutes, deliveries, ...(repId ? {} : { why: 'no rep takes leads' }) },
    });
    return true;
  });
  // A rep took over (or it closed) while the notice went out: the wait is over already.
  if (!recorded) return notWaiting;
  deps.feed.publish({
    type: 'handoff',
    orgId,
    conversationId,
    contactId: row.contact_id,
    state: 'waiting_for_rep',
    repId,
    reason,
  });
  return {
    waiting: true,
    since,
    repId,
    waitMinutes,
    deliveries: deliveries.map(({ channel, status }) => ({ channel, status })),
  };
}

/**
 * Step 3: nobody took over the request `since` in time (or nobody could): the agent says so in the
 * conversation, offers a follow-up, and goes on answering. Once per request; nothing when a rep
 * took over, it was handed back or closed, or a newer request is pending.
 */
export async function tellNoRepAvailable(
  deps: ConversationServiceDeps,
  orgId: string,
  conversationId: string,
  since: string,
): Promise<{ told: boolean; reason?: string; messageId?: string }> {
  const row = await loadConversation(deps.db, orgId, conversationId);
  if (!row || pendingRequest(row) !== since) {
    return { told: false, reason: 'the conversation no longer waits on this request' };
  }
  if (agentStateOf(row).handoffUnansweredAt) return { told: false, reason: 'the prospect was told already' };
  const organization = await getOrganization(deps.db, orgId);
  const now = deps.now();
  const afterHours = !withinWorkingHours(organization.settings.workingHours, now);
  const body = noRepAvailableLine({
    afterHours,
    workingHours: organization.settings.workingHours,
    email: row.contact_email,
    phone: row.contact_phone,
  });
  let messageId: string;
  try {
    messageId = (
      await sendAgentMessage(deps, {
        orgId,
        conversationId,
        body,
        purpose: 'conversation_reply',
        idempotencyKey: `handoff-unanswered:${conversationId}:${since}`,
        metadata: { handoff: 'no_rep_available', afterHours },
      })
    ).id;
  } catch (error) {
    // A rep took over (or it closed) just now: they answer, not the agent.
    if (error instanceof DomainError && error.kind === 'conflict')
      return { told: false, reason: error.message };
    throw error;
  }
  await deps.db.transaction(async (tx) => {
    if (!(await patchRequest(tx, row, { handoffUnansweredAt: now.toISOString() }))) return;
    await recordAudit(tx, {
      orgId,
      actor: agentActor,
      action: 'conversation.handoff.unanswered',
      entityType: 'conversation',
      entityId: conversationId,
      contactId: row.contact_id,
      details: { messageId, afterHours, waitingSince: since },
    });
  });
  deps.feed.publish({
    type: 'handoff',
    orgId,
    conversationId,
    contactId: row.contact_id,
    state: 'no_rep_available',
    repId: agentStateOf(row).handoffRepId ?? null,
    reason: agentStateOf(row).handoffReason ?? null,
  });
  return { told: true, messageId };
}

export interface WaitingConversation extends HandoffView {
  conversationId: string;
  contactId: string;
  channel: string;
}

/** The organization's conversations waiting for a rep, longest waiting first. */
export async function listWaitingForRep(db: Db, orgId: string): Promise<WaitingConversation[]> {
  const rows = await db.query<ConversationRow>(
    `select * from conversations where org_id = $1 and waiting_for_rep_since is not null and status = 'open'
     order by waiting_for_rep_since limit 500`,
    [orgId],
  );
  return rows.map((row) => ({
    conversationId: row.id,
    contactId: row.contact_id,
    channel: row.channel,
    ...toConversationView(row).handoff!,
  }));
}

/** `PUT /api/handoff/settings`: `workingHours: null` removes them (always open). */
export const handoffSettingsSchema = z.strictObject({
  handoffTimeoutMinutes: z.number().int().min(1).max(1440).optional(),
  workingHours: workingHoursSchema.nullable().optional(),
});

export interface HandoffSettings {
  handoffTimeoutMinutes: number;
  workingHours: WorkingHours | null;
}

const handoffSettingsOf = (organization: Organization): HandoffSettings => ({
  handoffTimeoutMinutes: organization.settings.handoffTimeoutMinutes,
  workingHours: organization.settings.workingHours ?? null,
});

export async function getHandoffSettings(db: Db, orgId: string): Promise<HandoffSettings> {
  return handoffSettingsOf(await getOrganization(db, orgId));
}

export async function updateHandoffSettings(
  db: Db,
  orgId: string,
  input: unknown,
  actor: Actor,
): Promise<HandoffSettings> {
  // A ZodError: the HTTP layer answers 400 with the path of each bad field.
  const change = handoffSettingsSchema.parse(input ?? {});
  const patch: Record<string, unknown> = {};
  if (change.handoffTimeoutMinutes !== undefined) patch.handoffTimeoutMinutes = change.handoffTimeoutMinutes;
  if (change.workingHours !== undefined) patch.workingHours = change.workingHours ?? undefined;
  const settings = await updateOrganizationSettings(db, orgId, patch, actor);
  return {
    handoffTimeoutMinutes: settings.handoffTimeoutMinutes,
    workingHours: settings.workingHours ?? null,
  };
}
