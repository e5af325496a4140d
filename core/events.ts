import { z } from 'zod';
import type { Db } from './db.ts';

/**
 * The domain events others react to (API.md). Each is written to the outbox in the same
 * transaction as the state change it announces; workflows consume them from there.
 */
const base = { orgId: z.uuid(), contactId: z.uuid() };
const meeting = { ...base, meetingId: z.uuid(), repId: z.uuid(), startsAt: z.iso.datetime() };

export const eventSchemas = {
  'lead.created': z.object({ ...base, source: z.string().nullable().optional() }),
  'lead.updated': z.object({ ...base, fields: z.array(z.string()) }),
  'lead.enriched': z.object({ ...base, sources: z.array(z.string()) }),
  'lead.scored': z.object({ ...base, oldScore: z.number().int().nullable(), newScore: z.number().int() }),
  'lead.qualification.started': z.object({
    ...base,
    conversationId: z.uuid().optional(),
    channel: z.string(),
  }),
  'lead.qualified': z.object({
    ...base,
    conversationId: z.uuid().optional(),
    outcome: z.enum(['QUALIFIED', 'NURTURE', 'DISQUALIFIED']),
    reasons: z.array(z.string()).default([]),
  }),
  'lead.routed': z.object({
    ...base,
    mode: z.enum(['A', 'B', 'C']),
    repId: z.uuid().optional(),
    reasons: z.array(z.string()).default([]),
  }),
  'conversation.message.received': z.object({
    ...base,
    conversationId: z.uuid(),
    messageId: z.uuid(),
    channel: z.string(),
  }),
  'conversation.handoff.requested': z.object({ ...base, conversationId: z.uuid(), reason: z.string() }),
  /** A rep took the conversation over: a prospect waiting for a person has one. */
  'conversation.taken_over': z.object({ ...base, conversationId: z.uuid(), repId: z.uuid() }),
  'followup.sent': z.object({ ...base, followUpMessageId: z.uuid(), channel: z.string() }),
  'message.status.updated': z.object({
    ...base,
    /** The conversation message, when the delivery was one (a rep briefing is not). */
    messageId: z.uuid().optional(),
    deliveryId: z.uuid(),
    channel: z.string(),
    status: z.string(),
  }),
  'consent.revoked': z.object({ ...base, consentType: z.string(), method: z.string() }),
  'payment.completed': z.object({ ...base, dealId: z.uuid().optional(), amountCents: z.number().int() }),
  /** core/deals/deal-pipeline.ts; `from` is null when the deal was opened. */
  'deal.stage.changed': z.object({
    ...base,
    dealId: z.uuid(),
    from: z.enum(['open', 'qualified', 'proposal', 'negotiation', 'won', 'lost']).nullable(),
    to: z.enum(['open', 'qualified', 'proposal', 'negotiation', 'won', 'lost']),
    amountCents: z.number().int().nullable(),
  }),
  /** core/meetings/meetings.ts; `startsAt` is the meeting's start (ISO, UTC) after the change. */
  'meeting.booked': z.object({ ...meeting }),
  'meeting.rescheduled': z.object({ ...meeting, previousStartsAt: z.iso.datetime() }),
  'meeting.cancelled': z.object({ ...meeting, reason: z.string().optional() }),
} as const;

export type EventName = keyof typeof eventSchemas;
export type EventData<N extends EventName> = z.infer<(typeof eventSchemas)[N]>;

export interface OutboxEvent<N extends EventName = EventName> {
  id: string;
  name: N;
  data: EventData<N>;
  createdAt: Date;
}

/** Writes an event to the outbox; call it inside the transaction of the change it announces. */
export async function emitEvent<N extends EventName>(tx: Db, name: N, data: EventData<N>): Promise<string> {
  const parsed = eventSchemas[name].parse(data);
  const rows = await tx.query<{ id: string }>(
    'insert into events (org_id, name, data) values ($1, $2, $3) returning id',
    [parsed.orgId, name, parsed],
  );
  return rows[0]!.id;
}
