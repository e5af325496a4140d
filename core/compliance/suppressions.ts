import { z } from 'zod';
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import type { Channel } from '../outbound-message.ts';
import { normalizePhone } from '../phone-number.ts';

/**
 * Address-level blocks: an unsubscribed, hard-bounced or complaining address stays blocked even
 * if the contact is deleted and imported again. Bounces and complaints come from the providers'
 * webhooks; unsubscribes from the one-click link and from revoked email consent.
 */
export const suppressionReasons = ['unsubscribed', 'hard_bounce', 'complaint'] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];
export type SuppressibleChannel = Exclude<Channel, 'web'>;

export const suppressionSchema = z.object({
  channel: z.enum(['email', 'sms', 'whatsapp', 'voice']),
  address: z.string().trim().min(1).max(320),
  reason: z.enum(suppressionReasons),
  contactId: z.uuid().optional(),
});
export type SuppressionInput = z.input<typeof suppressionSchema>;

/** Email addresses compare case-insensitively, phone numbers in E.164. */
export function normalizeAddress(channel: Channel, address: string): string {
  if (channel === 'email') return address.trim().toLowerCase();
  if (channel === 'web') return address;
  return normalizePhone(address) ?? address.trim();
}

/** Blocks an address on a channel (idempotent). Texts by SMS and WhatsApp share the number. */
export async function suppressAddress(db: Db, orgId: string, input: SuppressionInput): Promise<void> {
  const suppression = suppressionSchema.parse(input);
  const address = normalizeAddress(suppression.channel, suppression.address);
  if (!address) throw new DomainError('invalid', 'address is empty');
  await db.query(
    `insert into suppressions (org_id, contact_id, channel, address, reason)
     values ($1, $2, $3, $4, $5) on conflict (org_id, channel, address, reason) do nothing`,
    [orgId, suppression.contactId ?? null, suppression.channel, address, suppression.reason],
  );
}

/**
 * Blocks an address and audits why: provider reports (bounce, spam complaint, a carrier-known
 * opt-out). `details` says where the report came from.
 */
export async function recordSuppression(
  db: Db,
  orgId: string,
  input: SuppressionInput,
  actor: Actor,
  details: Record<string, unknown> = {},
): Promise<void> {
  const suppression = suppressionSchema.parse(input);
  await db.transaction(async (tx) => {
    await suppressAddress(tx, orgId, suppression);
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'suppression.added',
      entityType: 'address',
      entityId: normalizeAddress(suppression.channel, suppression.address),
      contactId: suppression.contactId,
      details: { channel: suppression.channel, reason: suppression.reason, ...details },
    });
  });
}

export async function liftSuppression(
  db: Db,
  orgId: string,
  channel: SuppressibleChannel,
  address: string,
  reason: SuppressionReason,
): Promise<void> {
  await db.query(
    'delete from suppressions where org_id = $1 and channel = $2 and address = $3 and reason = $4',
    [orgId, channel, normalizeAddress(channel, address), reason],
  );
}

/** The reasons an address is blocked on a channel (SMS and WhatsApp count as one). */
export async function suppressionsFor(
  db: Db,
  orgId: string,
  channel: Channel,
  address: string,
): Promise<SuppressionReason[]> {
  if (channel === 'web') return [];
  const group = channel === 'sms' || channel === 'whatsapp' ? ['sms', 'whatsapp'] : [channel];
  const rows = await db.query<{ reason: SuppressionReason }>(
    'select distinct reason from suppressions where org_id = $1 and address = $2 and channel = any($3)',
    [orgId, normalizeAddress(channel, address), group],
  );
  return rows.map((row) => row.reason);
}
