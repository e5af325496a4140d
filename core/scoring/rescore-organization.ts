import { createHash } from 'node:crypto';
import type { Actor } from '../actor.ts';
import { systemActor } from '../actor.ts';
import { recordAudit } from '../audit.ts';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';
import { updateOrganizationSettings } from '../organizations.ts';
import {
  loadScoringProfile,
  type ScoreTrigger,
  type ScoringRow,
  scoreLead,
  scoringColumns,
  scoringInputOf,
} from './score-lead.ts';
import { computeLeadScore, type ScoreEntry } from './score-model.ts';
import { type ScoringProfile, scoringProfileSchema } from './scoring-profile.ts';

export interface RescoreResult {
  /** Contacts scored. */
  rescored: number;
  /** Contacts whose score changed (each got a history row and a `lead.scored` event). */
  changed: number;
}

const firstUuid = '00000000-0000-0000-0000-000000000000';

/**
 * A breakdown exactly as Postgres prints it back as `jsonb::text` (keys ordered by length, then
 * bytes; ", " and ": " separators), so its md5 can be compared with `md5(score_breakdown::text)`
 * without shipping stored breakdowns out of the database. Should the two ever differ, the row is
 * merely rewritten with the same content: a cost, never a wrong result.
 */
export function breakdownJsonbText(breakdown: readonly ScoreEntry[]): string {
  const entries = breakdown.map(
    (e) =>
      `{"max": ${e.max}, "points": ${e.points}, "reason": ${JSON.stringify(e.reason)}, "signal": ${JSON.stringify(e.signal)}}`,
  );
  return `[${entries.join(', ')}]`;
}
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

interface BatchRow extends ScoringRow {
  version: string;
  breakdown_md5: string;
}

/**
 * Re-scores every contact of an organization, e.g. after its profile changed. Contacts are read
 * in keyset-ordered batches (by id) and scored in JS with the same model as `scoreLead`; the
 * rows whose score, breakdown or status change are written back with one statement per batch
 * that updates them, appends their history rows and emits their `lead.scored` events. Nothing is
 * written for a batch where nothing changed, so a re-run after no change only reads.
 *
 * Rows are not locked while being scored: the update applies only where the row is still the
 * version that was read (`xmin`), and a contact changed meanwhile is re-scored on its own with
 * `scoreLead` afterwards. The profile is read afresh for each batch, so a profile saved mid-run is
 * applied by whichever run comes last.
 */
export async function rescoreOrganization(
  db: Db,
  orgId: string,
  options: { trigger?: ScoreTrigger; batchSize?: number; now?: Date; actor?: Actor } = {},
): Promise<RescoreResult> {
  const trigger = options.trigger ?? 'profile.changed';
  const batchSize = options.batchSize ?? 2000;
  const now = options.now ?? new Date();
  const total: RescoreResult = { rescored: 0, changed: 0 };
  const raced: string[] = [];
  let after = firstUuid;
  for (;;) {
    const profile = await loadScoringProfile(db, orgId);
    const rows = await db.query<BatchRow>(
      `select ${scoringColumns}, xmin::text as version, md5(score_breakdown::text) as breakdown_md5
       from contacts where org_id = $1 and id > $2 order by id limit $3`,
      [orgId, after, batchSize],
    );
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    total.rescored += rows.length;

    const writes: {
      id: string;
      version: string;
      old_score: number | null;
      score: number;
      breakdown: ScoreEntry[];
    }[] = [];
    for (const row of rows) {
      const { score, breakdown } = computeLeadScore(scoringInputOf(row), profile, now);
      if (
        row.lead_score !== score ||
        row.status === 'new' ||
        md5(breakdownJsonbText(breakdown)) !== row.breakdown_md5
      )
        writes.push({ id: row.id, version: row.version, old_score: row.lead_score, score, breakdown });
    }
    if (writes.length > 0) {
      const written = await db.query<{ id: string }>(
        `with scored as (
           select * from jsonb_to_recordset($2::jsonb)
             as s(id uuid, version text, old_score integer, score integer, breakdown jsonb)
         ),
         updated as (
           update contacts c set lead_score = s.score, score_breakdown = s.breakdown, scored_at = $3,
             updated_at = $3, status = case when c.status = 'new' then 'scored' else c.status end
           from scored s
           where c.org_id = $1 and c.id = s.id and c.xmin::text = s.version
           returning c.id
         ),
         rescored as (
           select s.* from scored s join updated u on u.id = s.id where s.old_score is distinct from s.score
         ),
         history as (
           insert into score_history (org_id, contact_id, old_score, new_score, breakdown, trigger, created_at)
           select $1, r.id, r.old_score, r.score, r.breakdown, $4, $3 from rescored r
         ),
         announced as (
           insert into events (org_id, name, data, created_at)
           select $1, 'lead.scored',
             jsonb_build_object('orgId', $1::uuid, 'contactId', r.id, 'oldScore', r.old_score, 'newScore', r.score),
             $3
           from rescored r order by r.id
         )
         select id from updated`,
        [orgId, JSON.stringify(writes), now, trigger],
      );
      const done = new Set(written.map((row) => row.id));
      for (const write of writes) {
        if (!done.has(write.id)) raced.push(write.id);
        else if (write.old_score !== write.score) total.changed++;
      }
    }
    if (rows.length < batchSize) break;
  }
  // Changed by someone else between read and write: score them one by one, under a row lock.
  for (const contactId of raced) {
    const result = await scoreLead(db, orgId, contactId, trigger, { now, actor: options.actor }).catch(
      (error: unknown) => {
        if (error instanceof DomainError && error.kind === 'not_found') return null; // deleted meanwhile
        throw error;
      },
    );
    if (result?.changed) total.changed++;
  }
  await recordAudit(db, {
    orgId,
    actor: options.actor ?? systemActor,
    action: 'scoring.rescored',
    entityType: 'organization',
    entityId: orgId,
    details: { trigger, ...total },
  });
  return total;
}

export async function getScoringProfile(db: Db, orgId: string): Promise<ScoringProfile> {
  return loadScoringProfile(db, orgId);
}

/**
 * Validates and saves an organization's scoring profile (into `settings.scoringProfile`, with
 * the defaults filled in), then re-scores all its contacts against it.
 */
export async function updateScoringProfile(
  db: Db,
  orgId: string,
  input: unknown,
  actor: Actor,
  options: { batchSize?: number; now?: Date } = {},
): Promise<RescoreResult & { profile: ScoringProfile }> {
  const profile = scoringProfileSchema.parse(input ?? {});
  await updateOrganizationSettings(db, orgId, { scoringProfile: profile }, actor);
  const result = await rescoreOrganization(db, orgId, { ...options, trigger: 'profile.changed', actor });
  return { profile, ...result };
}
