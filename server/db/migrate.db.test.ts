import { cp, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { Database } from './database.ts';
import { MigrationError, migrate, migrationsDir, readMigrations } from './migrate.ts';

let db: Database;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe('migrate', () => {
  it('has applied every migration in order, and re-running is a no-op', async () => {
    const files = await readMigrations();
    const rows = await db.query<{ version: string }>(
      'select version from schema_migrations order by version',
    );
    expect(rows.map((row) => row.version)).toEqual(files.map((file) => file.version));
    expect(await migrate(db)).toEqual([]);
  });

  it('names migrations the Supabase CLI way', async () => {
    for (const file of await readdir(migrationsDir)) expect(file).toMatch(/^\d{14}_[a-z0-9_]+\.sql$/);
  });

  it('applies a new migration and refuses a changed applied one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qh-migrations-'));
    await cp(migrationsDir, dir, { recursive: true });
    await writeFile(path.join(dir, '29991231000000_extra.sql'), 'create table extra_test (id int);');
    expect(await migrate(db, dir)).toEqual(['29991231000000_extra.sql']);
    expect(await migrate(db, dir)).toEqual([]);
    await writeFile(path.join(dir, '29991231000000_extra.sql'), 'create table extra_test (id bigint);');
    await expect(migrate(db, dir)).rejects.toThrow(
      /29991231000000_extra\.sql was changed after it was applied/,
    );
  });

  it('rolls back a failing migration entirely', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'qh-migrations-'));
    await cp(migrationsDir, dir, { recursive: true });
    await writeFile(path.join(dir, '29991231000000_extra.sql'), 'create table extra_test (id int);');
    await writeFile(
      path.join(dir, '29991231000001_broken.sql'),
      'create table half_done (id int); select nonsense(;',
    );
    await expect(migrate(db, dir)).rejects.toThrow(MigrationError);
    const tables = await db.query(`select 1 from information_schema.tables where table_name = 'half_done'`);
    expect(tables).toEqual([]);
  });

  it('enables row-level security on every table, keyed on the organization claim', async () => {
    const tables = await db.query<{ relname: string; relrowsecurity: boolean }>(
      `select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname not in ('schema_migrations', 'extra_test')`,
    );
    expect(tables.length).toBeGreaterThan(15);
    for (const table of tables) expect(table, table.relname).toMatchObject({ relrowsecurity: true });
    const withoutOrg = await db.query<{ table_name: string }>(
      `select t.table_name from information_schema.tables t
       where t.table_schema = 'public' and t.table_type = 'BASE TABLE'
         and t.table_name not in ('schema_migrations', 'organizations', 'extra_test')
         and not exists (select 1 from information_schema.columns c
                         where c.table_name = t.table_name and c.column_name = 'org_id')`,
    );
    expect(withoutOrg).toEqual([]);
  });
});
