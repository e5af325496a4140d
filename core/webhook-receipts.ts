import type { Db } from './db.ts';

/**
 * Provider events already processed, by the provider's event id (Stripe event, Svix message,
 * Twilio sid + status): a redelivered webhook is recognised and changes nothing. Record the
 * receipt in the same transaction as the change the event makes, so a failure half-way leaves
 * the event to be processed again on the provider's retry.
 */

/** Records the event; false when it was recorded before (a redelivery). */
export async function recordWebhookReceipt(
  db: Db,
  orgId: string,
  provider: string,
  eventId: string,
): Promise<boolean> {
  const rows = await db.query(
    `insert into webhook_receipts (org_id, provider, provider_event_id) values ($1, $2, $3)
     on conflict do nothing returning provider_event_id`,
    [orgId, provider, eventId],
  );
  return rows.length > 0;
}

/** Whether the event was processed before, without recording it. */
export async function webhookReceived(
  db: Db,
  orgId: string,
  provider: string,
  eventId: string,
): Promise<boolean> {
  const rows = await db.query(
    'select 1 from webhook_receipts where org_id = $1 and provider = $2 and provider_event_id = $3',
    [orgId, provider, eventId],
  );
  return rows.length > 0;
}
