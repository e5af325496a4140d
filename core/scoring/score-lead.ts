import type { Actor } from '../actor.ts';
import { systemActor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import { canonicalJson } from '../canonical-json.ts';
import { readFieldSources } from '../contact-facts.ts';
import type { Db } from '../db.ts';
import { readEnrichedFields } from '../enrichment/enrichment-provider.ts';
import { notFound } from '../errors.ts';
import { emitEvent } from '../events.ts';
import { readQualificationSignals } from './qualification-signals.ts';
import { computeLeadScore, type LeadScore, type ScoreEntry, type ScoringInput } from './score-model.ts';
import { readScoringProfile, type ScoringProfile } from './scoring-profile.ts';

/** Why a lead was (re)scored; recorded in its score history. */
export type ScoreTrigger =
  | 'lead.created'
  | 'lead.updated'
  | 'lead.enriched'
  | 'qualification.changed'
  | 'manual'
  | 'profile.changed';

/** The columns scoring reads: only what the model needs, so bulk re-scoring moves little data. */
export const scoringColumns = `id, title, company_size, industry, country, source, status, lead_score, tools,
  field_sources, enrichment -> 'fields' as enrichment_fields, qualification -> 'bant' as bant,
  qualification -> 'engagement' as engagement`;

export interface ScoringRow {
  id: string;
  title: string | null;
  company_size: number | null;
  industry: string | null;
  country: string | null;
  source: string | null;
  status: string;
  lead_score: number | null;
  tools: string[] | null;
  field_sources: unknown;
  enrichment_fields: unknown;
  bant: unknown;
  engagement: unknown;
}

export function scoringInputOf(row: ScoringRow): ScoringInput {
  const recorded = readFieldSources(row.field_sources);
  const sources: NonNullable<ScoringInput['contact']['sources']> = {};
  for (const field of ['title', 'companySize', 'industry', 'country', 'tools'] as const) {
    const source = recorded[field]?.source;
    if (source) sources[field] = source;
  }
  return {
    contact: {
      title: row.title,
      companySize: row.company_size,
      industry: row.industry,
      country: row.country,
      source: row.source,
      tools: row.tools,
      sources,
    },
    enrichment: readEnrichedFields(row.enrichment_fields),
    qualification: readQualificationSignals({ bant: row.bant, engagement: row.engagement }),
  };
}

export async function loadScoringProfile(db: Db, orgId: string): Promise<ScoringProfile> {
  const rows = await db.query<{ settings: unknown }>('select settings from organizations where id = $1', [
    orgId,
  ]);
  if (!rows[0]) throw notFound('organization');
  return readScoringProfile(rows[0].settings);
}

export interface ScoreLeadResult extends LeadScore {
  contactId: string;
  /** The score before; null when the lead had never been scored. */
  oldScore: number | null;
  /** The score changed (and a history row and a `lead.scored` event were written). */
  changed: boolean;
  scoredAt: string;
}

/**
 * Scores one lead against its organization's profile and stores score, breakdown and time.
 * When the score changes it also writes a score history row (with the trigger) and emits
 * `lead.scored` with the old and new score, all in one transaction. Scoring again with nothing
 * changed writes nothing and returns the same result, so a retried workflow step is harmless.
 * A new lead's status moves from `new` to `scored`.
 */
export async function scoreLead(
  db: Db,
  orgId: string,
  contactId: string,
  trigger: ScoreTrigger,
  options: { actor?: Actor; now?: Date } = {},
): Promise<ScoreLeadResult> {
  const now = options.now ?? new Date();
  return db.transaction(async (tx) => {
    const rows = await tx.query<ScoringRow & { score_breakdown: ScoreEntry[]; scored_at: Date | null }>(
      `select ${scoringColumns}, score_breakdown, scored_at from contacts
       where org_id = $1 and id = $2 for no key update`,
      [orgId, contactId],
    );
    const row = rows[0];
    if (!row) throw notFound('lead');
    const profile = await loadScoringProfile(tx, orgId);
    const { score, breakdown } = computeLeadScore(scoringInputOf(row), profile, now);
    const oldScore = row.lead_score;
    const changed = oldScore !== score;
    const breakdownChanged = canonicalJson(row.score_breakdown) !== canonicalJson(breakdown);
    if (!changed && !breakdownChanged && row.status !== 'new') {
      return {
        contactId,
        score,
        breakdown,
        oldScore,
        changed: false,
        scoredAt: (row.scored_at ?? now).toISOString(),
      };
    }
    // A breakdown-only change (a reason became more precise, same points) updates the stored
    // explanation but is not a score change: no history row, no event.
    await tx.query(
      `update contacts set lead_score = $3, score_breakdown = $4, scored_at = $5, updated_at = $5,
         status = case when status = 'new' then 'scored' else status end
       where org_id = $1 and id = $2`,
      [orgId, contactId, score, JSON.stringify(breakdown), now],
    );
    if (changed) {
      await tx.query(
        `insert into score_history (org_id, contact_id, old_score, new_score, breakdown, trigger, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [orgId, contactId, oldScore, score, JSON.stringify(breakdown), trigger, now],
      );
      await emitEvent(tx, 'lead.scored', { orgId, contactId, oldScore, newScore: score });
      await recordAudit(tx, {
        orgId,
        actor: options.actor ?? systemActor,
        action: 'lead.scored',
        entityType: 'contact',
        entityId: contactId,
        contactId,
        details: { oldScore, newScore: score, trigger },
      });
    }
    return { contactId, score, breakdown, oldScore, changed, scoredAt: now.toISOString() };
  });
}
