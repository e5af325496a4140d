import { z } from 'zod';
import { systemActor } from './actor.ts';
import { recordSuppression } from './compliance/suppressions.ts';
import type { Db } from './db.ts';
import { emitEvent } from './events.ts';
import { type Channel, channels } from './outbound-message.ts';
import { recordWebhookReceipt } from './webhook-receipts.ts';

/**
 * What a provider reports about a message after it left (Resend delivery events, Twilio status
 * callbacks), applied to the delivery ledger and the conversation message. Callbacks arrive out
 * of order and more than once: a status never moves a message backwards (a late `sent` after
 * `delivered` changes nothing), and the same provider event is applied once. A hard bounce or a
 * spam complaint blocks the address for email; a carrier-reported opt-out blocks the number.
 */
export const providerStatuses = [
  'queued',
  'sent',
  'delivery_delayed',
  'delivered',
  'opened',
  'clicked',
  'undelivered',
  'failed',
  'bounced',
  'complained',
] as const;
export type ProviderStatus = (typeof providerStatuses)[number];

/** Later in a message's life ranks higher; failures end it. */
const rank: Record<ProviderStatus, number> = {
  queued: 1,
  sent: 2,
  delivery_delayed: 3,
  delivered: 4,
  opened: 5,
  clicked: 6,
  undelivered: 7,
  failed: 7,
  bounced: 7,
  // A complaint can follow delivery, opening or a click, and matters more than any of them.
  complained: 8,
};

export const deliveryStatusUpdateSchema = z.object({
  orgId: z.uuid(),
  channel: z.enum(channels),
  providerMessageId: z.string().trim().min(1).max(300),
  status: z.enum(providerStatuses),
  /** The provider's id for this report (Svix message id; Twilio sid + status): applied once. */
  eventId: z.string().trim().min(1).max(300),
  /** Which provider reported it, for the dedupe key. */
  provider: z.string().trim().min(1).max(50),
  occurredAt: z.date().optional(),
  /** The provider's error code or description (Twilio ErrorCode, a bounce message). */
  error: z.string().max(500).optional(),
  /** A bounce that will not change on retry (no such mailbox): the address is suppressed. */
  permanent: z.boolean().optional(),
  /** The carrier says the number opted out (Twilio error 21610): the number is suppressed. */
  recipientOptedOut: z.boolean().optional(),
});
export type DeliveryStatusUpdate = z.input<typeof deliveryStatusUpdateSchema>;

export interface DeliveryStatusResult {
  /** `duplicate`: this event was applied before; `unknown`: no delivery has this provider id. */
  outcome: 'applied' | 'unchanged' | 'duplicate' | 'unknown';
  deliveryId?: string;
  contactId?: string;
  conversationId?: string | null;
  messageId?: string;
  status?: ProviderStatus;
}

interface DeliveryRow {
  id: string;
  contact_id: string;
  conversation_id: string | null;
  channel: Channel;
  to_address: string | null;
  provider_status: ProviderStatus | null;
}

export async function recordDeliveryStatus(
  db: Db,
  input: DeliveryStatusUpdate,
): Promise<DeliveryStatusResult> {
  const update = deliveryStatusUpdateSchema.parse(input);
  const at = update.occurredAt ?? new Date();
  return db.transaction(async (tx) => {
    const delivery = (
      await tx.query<DeliveryRow>(
        `select id, contact_id, conversation_id, channel, to_address, provider_status from outbound_deliveries
         where org_id = $1 and provider_message_id = $2 for update`,
        [update.orgId, update.providerMessageId],
      )
    )[0];
    if (!delivery) return { outcome: 'unknown' };
    const fresh = await recordWebhookReceipt(tx, update.orgId, update.provider, update.eventId);
    const found = {
      deliveryId: delivery.id,
      contactId: delivery.contact_id,
      conversationId: delivery.conversation_id,
    };
    if (!fresh) return { outcome: 'duplicate', ...found };

    await blockAddress(tx, update, delivery);
    const current = delivery.provider_status;
    if (current && rank[current] >= rank[update.status]) return { outcome: 'unchanged', ...found };

    await tx.query(
      `update outbound_deliveries set provider_status = $2, provider_status_at = $3,
         provider_error = coalesce($4, provider_error), updated_at = now()
       where id = $1`,
      [delivery.id, update.status, at, update.error ?? null],
    );
    const message = (
      await tx.query<{ id: string }>(
        `update messages set status = $3, updated_at = now(),
           metadata = metadata || jsonb_build_object('providerStatusAt', $4::text)
         where org_id = $1 and provider_message_id = $2 and direction = 'outbound' returning id`,
        [update.orgId, update.providerMessageId, update.status, at.toISOString()],
      )
    )[0];
    await emitEvent(tx, 'message.status.updated', {
      orgId: update.orgId,
      contactId: delivery.contact_id,
      deliveryId: delivery.id,
      ...(message ? { messageId: message.id } : {}),
      channel: delivery.channel,
      status: update.status,
    });
    return { outcome: 'applied', ...found, messageId: message?.id, status: update.status };
  });
}

/** Bounces, complaints and carrier opt-outs keep the address blocked, whatever the status order. */
async function blockAddress(
  tx: Db,
  update: z.output<typeof deliveryStatusUpdateSchema>,
  delivery: DeliveryRow,
): Promise<void> {
  if (!delivery.to_address || delivery.channel === 'web') return;
  const reason =
    update.status === 'complained'
      ? 'complaint'
      : update.status === 'bounced' && update.permanent
        ? 'hard_bounce'
        : update.recipientOptedOut
          ? 'unsubscribed'
          : null;
  if (!reason) return;
  await recordSuppression(
    tx,
    update.orgId,
    { channel: delivery.channel, address: delivery.to_address, reason, contactId: delivery.contact_id },
    systemActor,
    {
      provider: update.provider,
      providerMessageId: update.providerMessageId,
      ...(update.error ? { error: update.error } : {}),
    },
  );
}

/**
 * The organization that sent the message a provider reports on. Provider message ids are unique
 * across the provider's account, and a delivery event names no organization: this is the one
 * lookup that is not scoped to an organization, and it returns nothing else.
 */
export async function findDeliveryOrganization(db: Db, providerMessageId: string): Promise<string | null> {
  const rows = await db.query<{ org_id: string }>(
    'select org_id from outbound_deliveries where provider_message_id = $1 limit 2',
    [providerMessageId],
  );
  // Two organizations with the same provider id would be a provider bug: trust neither.
  return rows.length === 1 ? rows[0]!.org_id : null;
}

/**
 * The organization that most recently wrote to an address on these channels: an inbound email
 * or text that names no organization is the prospect answering it. Only deliveries that may have
 * reached them count (recorded-only ones never left). Not scoped to an organization either; the
 * address must be normalized as the ledger stores it (core/compliance/suppressions.ts).
 */
export async function lastOrganizationToWrite(
  db: Db,
  channelGroup: readonly Channel[],
  address: string,
): Promise<string | null> {
  const rows = await db.query<{ org_id: string }>(
    `select org_id from outbound_deliveries
     where to_address = $1 and channel = any($2) and status in ('sent', 'in_doubt')
     order by created_at desc limit 1`,
    [address, channelGroup],
  );
  return rows[0]?.org_id ?? null;
}
