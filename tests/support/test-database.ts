import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { migrate } from '../../server/db/migrate.ts';
import { openPglite } from '../../server/db/pglite-database.ts';
import { openPostgres } from '../../server/db/postgres-database.ts';

/**
 * A fresh, migrated database for one test file: PGlite by default, or a new database on the
 * PostgreSQL server at TEST_DATABASE_URL (CI runs the *.db.test.ts files both ways).
 */
export async function createTestDatabase(): Promise<Database> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const template = await readFile(inject('pgliteTemplate'));
    const db = await openPglite(undefined, { loadDataDir: new Blob([template]) });
    await migrate(db); // a no-op on the template; proves it is current
    return db;
  }
  const server = await createPostgresTestDatabase(serverUrl);
  const db = await openPostgres(server.url);
  await migrate(db);
  return {
    ...db,
    close: async () => {
      await db.close();
      await server.drop();
    },
  };
}

/** A new, empty database on the PostgreSQL server at `serverUrl`: its URL, and `drop`. */
export async function createPostgresTestDatabase(
  serverUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `qh_test_${randomUUID().replaceAll('-', '')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

export const databaseKind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
