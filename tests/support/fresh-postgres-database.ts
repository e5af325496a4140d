import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * A new, empty database on the PostgreSQL server at `serverUrl`, for one test file or bench run:
 * its URL, the server's version (benches report it), and `drop` to remove it afterwards.
 */
export async function createFreshPostgresDatabase(
  serverUrl: string,
  prefix: 'qh_test' | 'qh_bench',
): Promise<{ url: string; version: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const [{ version }] = (await admin("select current_setting('server_version') as version")) as [
    { version: string },
  ];
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    version,
    drop: async () => void (await admin(`drop database if exists ${name} with (force)`)),
  };
}
