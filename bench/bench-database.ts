import pg from 'pg';

/**
 * A fresh database on the PostgreSQL server at `serverUrl` (`BENCH_DATABASE_URL`), for one bench
 * run: its URL, the server's version for the report, and `drop` to remove it afterwards.
 */
export async function createBenchDatabase(
  serverUrl: string,
): Promise<{ url: string; version: string; drop: () => Promise<void> }> {
  const name = `qh_bench_${Date.now()}`;
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
