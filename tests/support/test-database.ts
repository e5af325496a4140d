import { readFile } from 'node:fs/promises';
import { inject } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { migrate } from '../../server/db/migrate.ts';
import { openPglite } from '../../server/db/pglite-database.ts';
import { openPostgres } from '../../server/db/postgres-database.ts';
import { createFreshPostgresDatabase } from './fresh-postgres-database.ts';

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
  const server = await createFreshPostgresDatabase(serverUrl, 'qh_test');
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

export const databaseKind = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
