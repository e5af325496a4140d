import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

export const migrationsDir = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));

// Supabase CLI naming: <14-digit UTC timestamp>_<name>.sql
const fileName = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {}

export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const match = fileName.exec(file);
      if (!match) throw new MigrationError(`${file}: expected <YYYYMMDDHHMMSS>_<name>.sql`);
      const sql = await readFile(path.join(dir, file), 'utf8');
      return {
        version: match[1]!,
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

/**
 * Applies pending migrations in order, each atomically together with its record in
 * `schema_migrations`. Re-running is a no-op; an applied file that has changed since is an error
 * (write a new migration instead). Returns the migrations it applied.
 */
export async function migrate(db: Database, dir = migrationsDir): Promise<string[]> {
  const migrations = await readMigrations(dir);
  await db.execScript(`create table if not exists schema_migrations (
    version text primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`);
  const done = await appliedChecksums(db);
  const applied: string[] = [];
  for (const migration of migrations) {
    const label = `${migration.version}_${migration.name}.sql`;
    const checksum = done.get(migration.version);
    if (checksum === undefined) {
      try {
        // The advisory lock makes server nodes starting together on one Postgres take turns;
        // the record's primary key makes the loser fail instead of applying twice.
        await db.execScript(`select pg_advisory_xact_lock(7710400001);
          insert into schema_migrations (version, name, checksum)
            values ('${migration.version}', '${migration.name}', '${migration.checksum}');
          ${migration.sql}`);
        applied.push(label);
        continue;
      } catch (error) {
        const now = await appliedChecksums(db);
        if (now.get(migration.version) !== migration.checksum) {
          throw new MigrationError(`migration ${label} failed: ${(error as Error).message}`);
        }
        continue; // another node applied it meanwhile
      }
    }
    if (checksum !== migration.checksum) {
      throw new MigrationError(
        `migration ${label} was changed after it was applied; add a new migration instead`,
      );
    }
  }
  return applied;
}

async function appliedChecksums(db: Database): Promise<Map<string, string>> {
  const rows = await db.query<{ version: string; checksum: string }>(
    'select version, checksum from schema_migrations',
  );
  return new Map(rows.map((row) => [row.version, row.checksum]));
}
