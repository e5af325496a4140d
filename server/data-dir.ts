import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * Files the process keeps in DATA_DIR beside the embedded database: a lock (PGlite allows one
 * process per directory), how the local CLI reaches a running server, and the demo credentials.
 */
const lockFile = (dataDir: string) => path.join(dataDir, 'quotahit.lock');
const serverFile = (dataDir: string) => path.join(dataDir, 'server.json');
const demoFile = (dataDir: string) => path.join(dataDir, 'demo-credentials.json');

export class DataDirBusyError extends Error {}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory for this process; a lock left by a dead process is taken over. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = lockFile(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new DataDirBusyError(`DATA_DIR ${dataDir} is in use by process ${holder}`);
      }
      await rm(file, { force: true });
    }
  }
  throw new DataDirBusyError(`could not lock DATA_DIR ${dataDir}`);
}

/** The running server's address for the local CLI and the token its admin routes require. */
export const serverInfoSchema = z.object({ pid: z.number().int(), url: z.string(), adminToken: z.string() });
export type ServerInfo = z.infer<typeof serverInfoSchema>;

export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function writeServerInfo(dataDir: string, info: ServerInfo): Promise<void> {
  await writeFile(serverFile(dataDir), JSON.stringify(info), { mode: 0o600 });
}

export async function removeServerInfo(dataDir: string): Promise<void> {
  await rm(serverFile(dataDir), { force: true });
}

/** The server holding `dataDir`, if one is running. */
export async function readServerInfo(dataDir: string): Promise<ServerInfo | null> {
  const text = await readFile(serverFile(dataDir), 'utf8').catch(() => null);
  if (!text) return null;
  const info = serverInfoSchema.safeParse(JSON.parse(text));
  return info.success && isAlive(info.data.pid) ? info.data : null;
}

/** Whether some live process holds the data directory (a server still starting, say). */
export async function dataDirHolder(dataDir: string): Promise<number | null> {
  const holder = Number((await readFile(lockFile(dataDir), 'utf8').catch(() => '')).trim());
  return holder && isAlive(holder) ? holder : null;
}

export const demoCredentialsSchema = z.object({
  orgId: z.string(),
  apiKey: z.string(),
  widgetKey: z.string(),
  repEmail: z.string(),
  repPassword: z.string(),
});

export async function readDemoCredentials(dataDir: string) {
  const text = await readFile(demoFile(dataDir), 'utf8').catch(() => null);
  const parsed = text ? demoCredentialsSchema.safeParse(JSON.parse(text)) : null;
  return parsed?.success ? parsed.data : null;
}

export async function writeDemoCredentials(
  dataDir: string,
  credentials: z.infer<typeof demoCredentialsSchema>,
) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(demoFile(dataDir), JSON.stringify(credentials, null, 2), { mode: 0o600 });
}

/**
 * The installation's signing secret (unsubscribe links): APP_SECRET when set — several server
 * nodes must share it — else one generated on first start and kept in DATA_DIR.
 */
export async function installationSecret(dataDir: string, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'app-secret');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}
