import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../server/db/database.ts';
import { createTestDatabase } from '../tests/support/test-database.ts';
import { systemActor } from './actor.ts';
import { listAudit, recordAudit, verifyAuditChain } from './audit.ts';
import { createOrganization } from './organizations.ts';

let db: Database;
let orgId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  ({ orgId } = await createOrganization(db, { name: 'Acme' }, systemActor));
});
afterAll(() => db.close());

describe('audit log', () => {
  it('chains concurrent entries without forks', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        recordAudit(db, {
          orgId,
          actor: { type: 'agent', id: 'qualifier' },
          action: 'test.action',
          details: { i, z: 1, a: 2 },
        }),
      ),
    );
    expect(await verifyAuditChain(db, orgId)).toEqual({ ok: true });
    expect((await listAudit(db, orgId, {})).length).toBe(21); // + organization.created
  });

  it('refuses updates and deletes', async () => {
    await expect(db.query(`update audit_log set action = 'x' where org_id = $1`, [orgId])).rejects.toThrow(
      /append-only/,
    );
    await expect(db.query('delete from audit_log where org_id = $1', [orgId])).rejects.toThrow(/append-only/);
  });

  it('detects an entry edited behind its back', async () => {
    await db.query('alter table audit_log disable trigger audit_log_append_only');
    await db.query(
      `update audit_log set details = '{"i": 999}' where org_id = $1
       and seq = (select seq from audit_log where org_id = $1 order by seq offset 5 limit 1)`,
      [orgId],
    );
    await db.query('alter table audit_log enable trigger audit_log_append_only');
    const result = await verifyAuditChain(db, orgId);
    expect(result.ok).toBe(false);
  });
});
