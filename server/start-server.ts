import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createDemoOrganization,
  type DemoCredentials,
  findDemoOrganization,
} from '../core/demo-organization.ts';
import type { Config } from './config.ts';
import {
  lockDataDir,
  newAdminToken,
  readDemoCredentials,
  removeServerInfo,
  writeDemoCredentials,
  writeServerInfo,
} from './data-dir.ts';
import type { Database } from './db/database.ts';
import { openDatabase } from './db/open-database.ts';
import { createApp } from './http/app.ts';
import type { Logger } from './logger.ts';

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  /** Undefined only when the demo organization exists but its credentials file is gone. */
  demo: DemoCredentials | undefined;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), closes the database. */
  close(): Promise<void>;
}

/** The composition root: config → database → core → HTTP. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const releaseDataDir = config.DATABASE_URL ? async () => {} : await lockDataDir(config.dataDir);
  let db: Database | undefined;
  try {
    db = await openDatabase(config);
    const demo = await ensureDemoOrganization(db, config.dataDir);
    const adminToken = newAdminToken();
    const app = createApp({ db, logger, adminToken });
    const server = await listen(app, config.PORT, config.HOST);
    const port = (server.address() as AddressInfo).port;
    await writeServerInfo(config.dataDir, { pid: process.pid, url: `http://127.0.0.1:${port}`, adminToken });

    const openDb = db;
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        await stopAccepting(server, config.SHUTDOWN_TIMEOUT_MS);
        await removeServerInfo(config.dataDir);
        await openDb.close();
        await releaseDataDir();
      })();
      return closing;
    };
    const url = config.PUBLIC_URL ? config.publicUrl : `http://localhost:${port}`;
    return { url, port, db, demo, close };
  } catch (error) {
    await db?.close().catch(() => {});
    await releaseDataDir();
    throw error;
  }
}

function listen(app: ReturnType<typeof createApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    server.once('error', reject);
  });
}

/** Stop accepting new connections, let in-flight requests finish, then drop what is left. */
function stopAccepting(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** First start creates the demo; later starts reuse it and the credentials saved in DATA_DIR. */
async function ensureDemoOrganization(db: Database, dataDir: string): Promise<DemoCredentials | undefined> {
  const existing = await findDemoOrganization(db);
  if (existing) {
    const saved = await readDemoCredentials(dataDir);
    return saved?.orgId === existing ? saved : undefined;
  }
  const credentials = await createDemoOrganization(db, randomBytes(9).toString('base64url'));
  await writeDemoCredentials(dataDir, credentials);
  return credentials;
}
