import type { Db } from '../db.ts';
import { notFound } from '../errors.ts';
import { repMaySee, repVisibility } from '../rep-inbox.ts';
import type { Rep } from '../reps.ts';
import {
  changeDeal,
  type Deal,
  type DealWithHistory,
  findLeadDeal,
  getDeal,
  leadDealId,
} from './deal-pipeline.ts';

/**
 * The deal in the rep console's lead panel. Where the organization shows reps only their own
 * leads (`console.repVisibility: assigned`), a rep sees and changes the deals they own, of leads
 * routed to them, or of conversations they hold; any other is "not found", like another org's.
 */
async function repMaySeeDealOf(db: Db, rep: Rep, contactId: string): Promise<boolean> {
  const visibility = await repVisibility(db, rep.orgId);
  if (repMaySee(rep, visibility, { assigned_rep_id: null, routed_rep: null })) return true;
  const rows = await db.query<{ mine: boolean }>(
    `select d.owner_id = $3 or k.routing ->> 'repId' = $3::text or exists (
       select 1 from conversations c where c.org_id = k.org_id and c.contact_id = k.id
         and (c.assigned_rep_id = $3
           or (c.waiting_for_rep_since is not null and c.agent_state ->> 'handoffRepId' = $3::text))
     ) as mine
     from contacts k left join deals d on d.org_id = k.org_id and d.id = $4
     where k.org_id = $1 and k.id = $2`,
    [rep.orgId, contactId, rep.id, leadDealId(contactId)],
  );
  return rows[0]?.mine === true;
}

/** The lead's deal with its history, or null before routing opened one. */
export async function leadDealForRep(db: Db, rep: Rep, contactId: string): Promise<DealWithHistory | null> {
  const contact = await db.query('select 1 from contacts where org_id = $1 and id = $2', [
    rep.orgId,
    contactId,
  ]);
  if (!contact[0] || !(await repMaySeeDealOf(db, rep, contactId))) throw notFound('contact');
  const deal = await findLeadDeal(db, rep.orgId, contactId);
  return deal ? getDeal(db, rep.orgId, deal.id) : null;
}

/** A rep's change to a deal they may see: `changeDeal`'s rules, with the rep as the actor. */
export async function changeDealAsRep(db: Db, rep: Rep, dealId: string, patch: unknown): Promise<Deal> {
  const rows = await db.query<{ contact_id: string }>(
    'select contact_id from deals where org_id = $1 and id = $2',
    [rep.orgId, dealId],
  );
  if (!rows[0] || !(await repMaySeeDealOf(db, rep, rows[0].contact_id))) throw notFound('deal');
  return changeDeal(db, { orgId: rep.orgId, dealId, patch, actor: { type: 'rep', id: rep.id } });
}
