import { z } from 'zod';
import type { Db } from '../db.ts';
import { lastOrganizationToWrite } from '../delivery-status.ts';
import { normalizePhone } from '../phone-number.ts';

/**
 * Which organization an inbound text (SMS or WhatsApp) belongs to. One Twilio account and number
 * may serve several organizations, and Twilio's webhook names none, so, first match wins:
 *
 * 1. the `org` parameter of the webhook URL, when it names an existing organization — the URL is
 *    covered by Twilio's signature, so an operator can give each organization its own webhook URL;
 * 2. the organization that most recently texted that number (the prospect is answering it);
 * 3. the only organization, on an installation that has one;
 * 4. none: the caller acknowledges the text and logs it, and nothing is stored.
 *
 * Like `findDeliveryOrganization`, this is one of the few lookups not scoped to an organization,
 * and it returns nothing but an organization id.
 */
export interface TextingOrganizationQuery {
  /** The `org` query parameter of the webhook URL, as received (may be absent or junk). */
  orgParameter?: string | null;
  /** The prospect's number as the provider sent it (`+14155550142` or `whatsapp:+14155550142`). */
  from: string;
}

export type TextingOrganization =
  | { orgId: string; by: 'webhook_url' | 'recent_delivery' | 'only_organization' }
  | { orgId: null; by: 'none' };

const orgIdSchema = z.uuid();

export async function findTextingOrganization(
  db: Db,
  query: TextingOrganizationQuery,
): Promise<TextingOrganization> {
  const named = orgIdSchema.safeParse(query.orgParameter?.trim());
  if (named.success) {
    const rows = await db.query<{ id: string }>('select id from organizations where id = $1', [named.data]);
    if (rows[0]) return { orgId: rows[0].id, by: 'webhook_url' };
  }

  // The ledger keeps texted numbers in E.164 whichever texting channel sent them.
  const phone = normalizePhone(query.from);
  const recent = phone ? await lastOrganizationToWrite(db, ['sms', 'whatsapp'], phone) : null;
  if (recent) return { orgId: recent, by: 'recent_delivery' };

  const organizations = await db.query<{ id: string }>('select id from organizations limit 2');
  if (organizations.length === 1) return { orgId: organizations[0]!.id, by: 'only_organization' };
  return { orgId: null, by: 'none' };
}
