import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import type { Db } from './db.ts';
import { getOrganization } from './organizations.ts';

/**
 * The stages of a lead between scoring and routing that the workflows move it through. Each
 * function is safe to call again (a retried workflow step): it only acts on a lead still in the
 * stage before.
 */
const pipelineActor: Actor = { type: 'system', id: 'lead-pipeline' };

export async function qualificationThreshold(db: Db, orgId: string): Promise<number> {
  return (await getOrganization(db, orgId)).settings.qualificationThreshold;
}

/** A qualified lead waits for routing; the outcome itself was recorded by the qualifier. */
export async function awaitRouting(db: Db, orgId: string, contactId: string): Promise<{ waiting: boolean }> {
  const rows = await db.query(
    `update contacts set status = 'qualified', routing = coalesce(routing, '{"status": "pending"}'::jsonb), updated_at = now()
     where org_id = $1 and id = $2 and status in ('new', 'scored', 'qualifying') returning id`,
    [orgId, contactId],
  );
  return { waiting: rows.length > 0 };
}

/** The routed lead is in the hands of its mode (closer agent, rep, or payment link). */
export async function routeFollowThrough(
  db: Db,
  orgId: string,
  contactId: string,
  mode: 'A' | 'B' | 'C',
  repId?: string,
): Promise<{ mode: string }> {
  await db.transaction(async (tx) => {
    await tx.query(
      `update contacts set status = 'routed', updated_at = now()
       where org_id = $1 and id = $2 and status in ('qualified', 'qualifying', 'scored', 'new')`,
      [orgId, contactId],
    );
    await recordAudit(tx, {
      orgId,
      actor: pipelineActor,
      action: 'lead.follow_through',
      entityType: 'contact',
      entityId: contactId,
      contactId,
      details: { mode, ...(repId ? { repId } : {}) },
    });
  });
  return { mode };
}
