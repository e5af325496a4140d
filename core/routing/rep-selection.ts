import type { Db } from '../db.ts';
import type { RoutingSettings } from './routing-settings.ts';
import type { LeadLocation } from './territory.ts';
import { territoryFit } from './territory.ts';

/**
 * Mode B: the best-fit rep for a lead. Each rep earns points for territory, expertise, win rate
 * and free capacity (weights from the routing settings); a rep at capacity is not eligible. Equal
 * points are broken so load spreads: fewest leads held, then the rep assigned least recently,
 * then the rep id — the same inputs always pick the same rep.
 */
export interface RepCandidate {
  id: string;
  name: string | null;
  email: string;
  phone: string | null;
  territory: string | null;
  expertise: string[];
  capacity: number;
  winRate: number;
  /** Leads the rep holds now: routed to them and not yet won, lost or disqualified, or in an open conversation they took over. */
  load: number;
  lastAssignedAt: Date | null;
}

export interface LeadProfile {
  location: LeadLocation;
  /** The lead's industries as stated and as enriched. */
  industries: string[];
}

export interface RankedRep {
  rep: RepCandidate;
  available: boolean;
  points: number;
  reasons: string[];
}

const words = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);

/** An expertise matches when all its words appear in the industry, or the other way round. */
export function expertiseMatch(expertise: string[], industries: string[]): string | null {
  for (const industry of industries) {
    const industryWords = new Set(words(industry));
    for (const area of expertise) {
      const areaWords = words(area);
      if (areaWords.length === 0) continue;
      const areaInIndustry = areaWords.every((word) => industryWords.has(word));
      const industryInArea = [...industryWords].every((word) => areaWords.includes(word));
      if (areaInIndustry || (industryWords.size > 0 && industryInArea)) return `${area} ↔ ${industry}`;
    }
  }
  return null;
}

const round = (value: number) => Math.round(value * 100) / 100;
const percent = (value: number) => `${Math.round(value * 100)}%`;

export function rankReps(
  lead: LeadProfile,
  reps: readonly RepCandidate[],
  weights: RoutingSettings['repSelection'],
): RankedRep[] {
  const ranked = reps.map((rep): RankedRep => {
    const available = rep.load < rep.capacity;
    const territory = territoryFit(rep.territory, lead.location);
    const expertise = expertiseMatch(rep.expertise, lead.industries);
    const spare = rep.capacity > 0 ? Math.max(0, rep.capacity - rep.load) / rep.capacity : 0;
    const points = round(
      territory.fit * weights.territory +
        (expertise ? 1 : 0) * weights.expertise +
        rep.winRate * weights.winRate +
        spare * weights.capacity,
    );
    const reasons = [
      territory.reason,
      expertise
        ? `expertise matches (${expertise})`
        : lead.industries.length > 0
          ? `no expertise in ${lead.industries.join(' / ')}`
          : "the lead's industry is unknown",
      `win rate ${percent(rep.winRate)}`,
      available
        ? `holds ${rep.load} of ${rep.capacity} leads`
        : `at capacity (${rep.load} of ${rep.capacity} leads)`,
    ];
    return { rep, available, points, reasons };
  });
  return ranked.sort(compareRanked);
}

function compareRanked(a: RankedRep, b: RankedRep): number {
  if (a.available !== b.available) return a.available ? -1 : 1;
  if (a.points !== b.points) return b.points - a.points;
  if (a.rep.load !== b.rep.load) return a.rep.load - b.rep.load;
  const aAt = a.rep.lastAssignedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  const bAt = b.rep.lastAssignedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  if (aAt !== bAt) return aAt - bAt;
  return a.rep.id < b.rep.id ? -1 : a.rep.id > b.rep.id ? 1 : 0;
}

export interface RepSelection {
  chosen: RankedRep | null;
  ranked: RankedRep[];
  /** Why this rep (or why nobody), in words. */
  reasons: string[];
}

const repName = (rep: RepCandidate) => rep.name ?? rep.email;

export function selectRep(
  lead: LeadProfile,
  reps: readonly RepCandidate[],
  weights: RoutingSettings['repSelection'],
): RepSelection {
  const ranked = rankReps(lead, reps, weights);
  const chosen = ranked[0]?.available ? ranked[0] : null;
  if (!chosen) {
    return {
      chosen: null,
      ranked,
      reasons: [reps.length === 0 ? 'the organization has no rep taking leads' : 'every rep is at capacity'],
    };
  }
  const reasons = [`rep ${repName(chosen.rep)}: ${chosen.points} fit points`, ...chosen.reasons];
  const runnerUp = ranked[1];
  if (runnerUp?.available && runnerUp.points === chosen.points) {
    const other = repName(runnerUp.rep);
    if (runnerUp.rep.load !== chosen.rep.load) {
      reasons.push(`tied with ${other}: fewer leads (${chosen.rep.load} vs ${runnerUp.rep.load})`);
    } else if (
      (runnerUp.rep.lastAssignedAt?.getTime() ?? null) !== (chosen.rep.lastAssignedAt?.getTime() ?? null)
    ) {
      reasons.push(`tied with ${other}: assigned a lead less recently`);
    } else {
      reasons.push(`tied with ${other}: first by id`);
    }
  }
  return { chosen, ranked, reasons };
}

interface CandidateRow {
  id: string;
  name: string | null;
  email: string;
  phone: string | null;
  territory: string | null;
  expertise: string[];
  capacity: number;
  win_rate: number;
  load: number;
  last_assigned_at: Date | null;
}

/** Lead states that no longer need a rep: such leads stop counting against capacity. */
export const finishedLeadStatuses = ['won', 'lost', 'disqualified', 'customer'] as const;

/** The organization's active reps that take leads (capacity above 0), with their current load. */
export async function loadRepCandidates(db: Db, orgId: string): Promise<RepCandidate[]> {
  const rows = await db.query<CandidateRow>(
    `select u.id, u.name, u.email, u.phone, u.territory, u.expertise, u.capacity, u.win_rate,
       (select count(*) from (
          select a.contact_id from lead_assignments a join contacts c on c.id = a.contact_id
           where a.org_id = u.org_id and a.rep_id = u.id and a.status = 'assigned'
             and c.status not in ('won', 'lost', 'disqualified')
          union
          select v.contact_id from conversations v
           where v.org_id = u.org_id and v.assigned_rep_id = u.id and v.status = 'open'
        ) held)::int as load,
       (select max(a.assigned_at) from lead_assignments a where a.org_id = u.org_id and a.rep_id = u.id)
         as last_assigned_at
     from users u where u.org_id = $1 and u.active and u.capacity > 0
     order by u.id`,
    [orgId],
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    territory: row.territory,
    expertise: row.expertise ?? [],
    capacity: row.capacity,
    winRate: Number(row.win_rate),
    load: Number(row.load),
    lastAssignedAt: row.last_assigned_at,
  }));
}
