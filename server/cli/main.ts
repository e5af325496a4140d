import { parseArgs } from 'node:util';
import { systemActor } from '../../core/actor.ts';
import type { Db } from '../../core/db.ts';
import { DomainError } from '../../core/errors.ts';
import { createOrganization } from '../../core/organizations.ts';
import { createRep } from '../../core/reps.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { dataDirHolder, lockDataDir, readServerInfo, type ServerInfo } from '../data-dir.ts';
import { openDatabase } from '../db/open-database.ts';

const usage = `Usage:
  quotahit org create --name NAME
  quotahit rep create --org ORG_ID --email EMAIL --password PASSWORD
                      [--name NAME] [--territory US-West] [--expertise saas,fintech] [--capacity 20] [--win-rate 0.3]
  quotahit mcp

org and rep work whether or not the server is running: with the embedded database in use by a
server, the command goes through that server; otherwise it opens the database itself.

mcp serves the Model Context Protocol on stdio for an MCP client (Claude Desktop, Claude Code, ...).
It works through a running server's API: QUOTAHIT_API_KEY (required) names the organization,
QUOTAHIT_URL (default http://localhost:3000) the server.`;

class UsageError extends Error {}

/** One CLI action: the admin route a running server answers, and the same call made directly. */
interface Command {
  route: string;
  body: Record<string, unknown>;
  direct(db: Db): Promise<unknown>;
}

function parseCommand(argv: string[]): Command {
  const [noun, verb, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      org: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      territory: { type: 'string' },
      expertise: { type: 'string' },
      capacity: { type: 'string' },
      'win-rate': { type: 'string' },
    },
    strict: true,
  });
  const actor = { ...systemActor, id: 'cli' };
  if (noun === 'org' && verb === 'create') {
    if (!values.name) throw new UsageError('org create needs --name NAME');
    const body = { name: values.name };
    return { route: '/admin/organizations', body, direct: (db) => createOrganization(db, body, actor) };
  }
  if (noun === 'rep' && verb === 'create') {
    for (const flag of ['org', 'email', 'password'] as const) {
      if (!values[flag]) throw new UsageError(`rep create needs --${flag}`);
    }
    const number = (flag: string, value: string | undefined) => {
      if (value === undefined) return undefined;
      const parsed = Number(value);
      if (!Number.isFinite(parsed))
        throw new UsageError(`--${flag} must be a number (got ${JSON.stringify(value)})`);
      return parsed;
    };
    const body = {
      orgId: values.org,
      email: values.email,
      password: values.password,
      name: values.name,
      territory: values.territory,
      expertise: values.expertise
        ?.split(',')
        .map((item) => item.trim())
        .filter(Boolean),
      capacity: number('capacity', values.capacity),
      winRate: number('win-rate', values['win-rate']),
    };
    return { route: '/admin/reps', body, direct: (db) => createRep(db, body as never, actor) };
  }
  throw new UsageError(argv.length ? `unknown command: ${argv.join(' ')}` : 'no command given');
}

async function throughServer(server: ServerInfo, command: Command): Promise<unknown> {
  const response = await fetch(`${server.url}${command.route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-admin-token': server.adminToken },
    body: JSON.stringify(command.body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(String(answer.detail ?? answer.title ?? response.statusText));
  return answer;
}

async function directly(config: ReturnType<typeof loadConfig>, command: Command): Promise<unknown> {
  const release = config.DATABASE_URL ? async () => {} : await lockDataDir(config.dataDir);
  try {
    const db = await openDatabase(config);
    try {
      return await command.direct(db);
    } finally {
      await db.close();
    }
  } finally {
    await release();
  }
}

/** The server holding DATA_DIR, waiting a little for one that is still starting. */
async function runningServer(dataDir: string): Promise<ServerInfo | null> {
  for (let waited = 0; waited < 60_000; waited += 250) {
    const info = await readServerInfo(dataDir);
    if (info) return info;
    if (!(await dataDirHolder(dataDir))) return null;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`DATA_DIR ${dataDir} is held by a process that is not answering`);
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (argv[0] === 'mcp') {
    if (argv.length > 1) {
      process.stderr.write(`mcp takes no arguments (got ${argv.slice(1).join(' ')})\n\n${usage}\n`);
      return 2;
    }
    // Loaded on demand: the other commands need none of the MCP SDK.
    const { runMcpServer } = await import('../../mcp/main.ts');
    return runMcpServer();
  }
  try {
    const command = parseCommand(argv);
    const config = loadConfig();
    // Postgres serves many processes; the embedded database serves only its holder.
    const server = config.DATABASE_URL ? null : await runningServer(config.dataDir);
    const result = server ? await throughServer(server, command) : await directly(config, command);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof DomainError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    if ((error as Error).name === 'ZodError') {
      const issues = (error as { issues: { path: PropertyKey[]; message: string }[] }).issues;
      process.stderr.write(
        `${issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n')}\n`,
      );
      return 1;
    }
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
