import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { DomainError, notFound } from '../errors.ts';
import { normalizePhone } from '../phone-number.ts';

/**
 * The number a rep's SMS/WhatsApp briefings go to (`users.phone`, added by the routing
 * migration); null removes it, and briefings go by email only.
 */
export async function setRepPhone(
  db: Db,
  orgId: string,
  repId: string,
  phone: string | null,
  actor: Actor,
): Promise<{ phone: string | null }> {
  const normalized = phone === null ? null : normalizePhone(phone);
  if (phone !== null && !normalized) {
    throw new DomainError('invalid', 'phone must be a phone number, e.g. +14155550123');
  }
  return db.transaction(async (tx) => {
    const rows = await tx.query(
      'update users set phone = $3, updated_at = now() where org_id = $1 and id = $2 returning id',
      [orgId, repId, normalized],
    );
    if (!rows[0]) throw notFound('rep');
    await recordAudit(tx, {
      orgId,
      actor,
      action: 'rep.phone.updated',
      entityType: 'user',
      entityId: repId,
      details: { phone: normalized === null ? null : `…${normalized.slice(-4)}` },
    });
    return { phone: normalized };
  });
}
