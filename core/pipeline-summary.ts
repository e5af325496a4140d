import type { Db } from './db.ts';
import { type ContactRow, type Lead, toLead } from './leads.ts';

/** Where an organization's pipeline stands, counted over every lead (the operator's overview). */
export interface PipelineSummary {
  leads: number;
  byStatus: Record<string, number>;
  /** Qualification outcome (QUALIFIED, NURTURE, DISQUALIFIED) of the leads that have one. */
  byOutcome: Record<string, number>;
  /** Routing mode (A, B, C) of the leads routed. */
  byRoute: Record<string, number>;
  scored: number;
  averageScore: number | null;
  /**
   * Leads waiting for a rep: routed to a person while every rep was full, or in a conversation
   * whose prospect asked for a person (`waiting_for_rep`); a lead that is both counts once.
   */
  waitingForRep: number;
  /** The five highest scores, newest first among equals. */
  topLeads: Lead[];
}

export async function pipelineSummary(db: Db, orgId: string): Promise<PipelineSummary> {
  const [totals, tallies, queue, top] = await Promise.all([
    db.query<{ leads: number; scored: number; average: number | null }>(
      `select count(*)::int as leads, count(lead_score)::int as scored, round(avg(lead_score))::int as average
       from contacts where org_id = $1`,
      [orgId],
    ),
    db.query<{ kind: 'status' | 'outcome' | 'route'; name: string; count: number }>(
      `select kind, name, count(*)::int as count
       from contacts,
         lateral (values ('status', status),
                         ('outcome', qualification ->> 'outcome'),
                         ('route', routing ->> 'mode')) as tally(kind, name)
       where org_id = $1 and name is not null
       group by kind, name order by kind, name`,
      [orgId],
    ),
    db.query<{ waiting: number }>(
      `select count(*)::int as waiting from (
         select contact_id from lead_assignments where org_id = $1 and status = 'queued'
         union
         select contact_id from conversations
          where org_id = $1 and waiting_for_rep_since is not null and status = 'open'
       ) waiting`,
      [orgId],
    ),
    db.query<ContactRow>(
      `select * from contacts where org_id = $1 and lead_score is not null
       order by lead_score desc, created_at desc limit 5`,
      [orgId],
    ),
  ]);
  const byKind = (kind: 'status' | 'outcome' | 'route') =>
    Object.fromEntries(tallies.filter((row) => row.kind === kind).map((row) => [row.name, row.count]));
  return {
    leads: totals[0]!.leads,
    byStatus: byKind('status'),
    byOutcome: byKind('outcome'),
    byRoute: byKind('route'),
    scored: totals[0]!.scored,
    averageScore: totals[0]!.average,
    waitingForRep: queue[0]!.waiting,
    topLeads: top.map(toLead),
  };
}
