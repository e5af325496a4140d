import { ConfigError, loadConfig, providerModes } from './config.ts';
import { DataDirBusyError } from './data-dir.ts';
import { MigrationError } from './db/migrate.ts';
import { createLogger } from './logger.ts';
import { type RunningServer, startServer } from './start-server.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const logger = createLogger(config.LOG_LEVEL);
let running: RunningServer;
try {
  running = await startServer(config, logger);
} catch (error) {
  if (error instanceof DataDirBusyError || error instanceof MigrationError) {
    process.stderr.write(`Cannot start: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

const { url, demo } = running;
const providers = Object.entries(providerModes(config))
  .map(([name, mode]) => `    ${name.padEnd(30)} ${mode}`)
  .join('\n');
const demoLines = demo
  ? [
      `  Demo organization: ${demo.orgId}`,
      `    API key (secret):   ${demo.apiKey}`,
      `    Widget key:         ${demo.widgetKey}`,
      `    Rep sign-in:        ${demo.repEmail} / ${demo.repPassword}`,
    ]
  : ['  Demo organization exists; its credentials file is gone. Create keys with `npx quotahit org create`.'];
process.stdout.write(
  [
    '',
    `QuotaHit is running at ${url}`,
    `  Health:   ${url}/health`,
    `  API:      ${url}/api  (Authorization: Bearer <apiKey>)`,
    `  Database: ${running.db.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
    `  Realtime: ${config.REDIS_URL ? 'shared with the other nodes through Redis (REDIS_URL)' : 'this process'}`,
    ...demoLines,
    '  Providers:',
    providers,
    '',
  ].join('\n'),
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
