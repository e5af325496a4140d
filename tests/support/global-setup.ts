import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../server/db/migrate.ts';
import { openPglite } from '../../server/db/pglite-database.ts';

/**
 * initdb plus migrations take seconds on PGlite; do them once per run and let each test file
 * start from the dumped, migrated database.
 */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'quotahit-test-'));
  const db = await openPglite(undefined);
  await migrate(db);
  const file = path.join(dir, 'pglite-template.tar');
  const dump = await db.dump();
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  await db.close();
  project.provide('pgliteTemplate', file);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
