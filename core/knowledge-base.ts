import { z } from 'zod';
import type { Db } from './db.ts';

/** What the agents may say about the organization's product: nothing else is stated as fact. */
export const knowledgeEntrySchema = z.object({
  kind: z.enum(['product', 'pricing', 'faq', 'policy']),
  title: z.string().trim().min(1).max(300),
  body: z.string().trim().min(1).max(20_000),
});
export type KnowledgeEntry = z.infer<typeof knowledgeEntrySchema>;

export async function addKnowledgeEntries(db: Db, orgId: string, entries: KnowledgeEntry[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const entry of entries.map((e) => knowledgeEntrySchema.parse(e))) {
      await tx.query('insert into knowledge_entries (org_id, kind, title, body) values ($1, $2, $3, $4)', [
        orgId,
        entry.kind,
        entry.title,
        entry.body,
      ]);
    }
  });
}

export async function listKnowledgeEntries(
  db: Db,
  orgId: string,
): Promise<(KnowledgeEntry & { id: string })[]> {
  return db.query<KnowledgeEntry & { id: string }>(
    'select id, kind, title, body from knowledge_entries where org_id = $1 order by kind, created_at',
    [orgId],
  );
}
