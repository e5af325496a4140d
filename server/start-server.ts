import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import proxyAddress from 'proxy-addr';
import { Server as SocketServer } from 'socket.io';
import { createStripePayments } from '../channels/payments/stripe-payments.ts';
import type { ConversationLimits } from '../core/conversations/conversation-service.ts';
import { releaseLeasesOfDeadProcesses } from '../core/conversations/turn-scheduler.ts';
import { answerWaitingMessages } from '../core/conversations/waiting-messages.ts';
import {
  createDemoOrganization,
  type DemoCredentials,
  findDemoOrganization,
} from '../core/demo-organization.ts';
import { ambientDatabase } from '../inngest/ambient-database.ts';
import { buildClientBundles } from './client-bundles.ts';
import { type Config, providerModes } from './config.ts';
import { createConversations } from './conversations.ts';
import {
  installationSecret,
  lockDataDir,
  newAdminToken,
  readDemoCredentials,
  removeServerInfo,
  writeDemoCredentials,
  writeServerInfo,
} from './data-dir.ts';
import type { Database } from './db/database.ts';
import { openDatabase } from './db/open-database.ts';
import { maintainTables } from './db/pglite-maintenance.ts';
import { createApp } from './http/app.ts';
import { resendWebhookRoutes } from './http/routes/resend-webhook.ts';
import { twilioWebhookRoutes } from './http/routes/twilio-webhook.ts';
import type { Logger } from './logger.ts';
import { createProviderChannels } from './provider-channels.ts';
import { attachConsoleGateway } from './socket/console-gateway.ts';
import { joinRedisFanout } from './socket/redis-fanout.ts';
import { attachWidgetGateway } from './socket/widget-gateway.ts';
import { createWorkflows } from './workflows.ts';

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  /** Undefined only when the demo organization exists but its credentials file is gone. */
  demo: DemoCredentials | undefined;
  /** Stops accepting, lets in-flight requests finish (up to the timeout), closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * Overrides the qualifier loadout's conversation limits. Only for benchmarks that send faster
   * than a prospect types (bench/widget-load); `npm start` never sets it.
   */
  conversationLimits?: Partial<ConversationLimits>;
}

/** The composition root: config → database → core → HTTP. */
export async function startServer(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningServer> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const releaseDataDir = config.DATABASE_URL ? async () => {} : await lockDataDir(config.dataDir);
  let db: Database | undefined;
  let leaveFanout: (() => Promise<void>) | undefined;
  // The browser bundles build while the database opens.
  const bundles = buildClientBundles();
  bundles.catch(() => {});
  try {
    // Every domain call joins the transaction open in its context (a workflow step's).
    db = ambientDatabase(await openDatabase(config));
    // One process holds the embedded database: leases of a killed one would only hold turns back.
    if (db.kind === 'pglite') await releaseLeasesOfDeadProcesses(db);
    const demo = await ensureDemoOrganization(db, config.dataDir);
    const adminToken = newAdminToken();
    const unsubscribeSecret = await installationSecret(config.dataDir, config.APP_SECRET);
    const channels = createProviderChannels(config);
    const payments = createStripePayments({
      secretKey: config.STRIPE_SECRET_KEY,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      baseUrl: config.STRIPE_BASE_URL,
      publicUrl: config.publicUrl,
    });
    const conversations = createConversations(db, {
      channels,
      payments: payments.links,
      logger,
      env: config,
      unsubscribe: { publicUrl: config.publicUrl, secret: unsubscribeSecret },
      limits: options.conversationLimits,
    });
    const workflows = createWorkflows(db, config, logger, conversations, payments);
    const widget = await bundles;
    const app = createApp({
      db,
      logger,
      adminToken,
      workflows,
      conversations,
      widget,
      unsubscribeSecret,
      payments,
      providers: providerModes(config),
      // Only an address the operator gave: the default (localhost) would refuse a console opened
      // at 127.0.0.1 or on the LAN; without it the console checks requests against their Host.
      publicUrl: config.PUBLIC_URL ? config.publicUrl : undefined,
      trustProxy: config.TRUST_PROXY,
      webhooks: [
        resendWebhookRoutes({ db, conversations, email: channels.email }),
        twilioWebhookRoutes({
          db,
          conversations,
          sms: channels.sms,
          whatsapp: channels.whatsapp,
          publicUrl: config.publicUrl,
        }),
      ],
    });
    const io = new SocketServer({ serveClient: false });
    // Joined before listening: a node that cannot reach Redis does not start.
    if (config.REDIS_URL) leaveFanout = await joinRedisFanout(io, config.REDIS_URL, logger);
    const server = await listen(app, config.PORT, config.HOST);
    io.attach(server);
    attachWidgetGateway(io, db, conversations, logger, {
      publicUrl: config.PUBLIC_URL ? config.publicUrl : undefined,
      // The same trusted proxies as HTTP requests (`TRUST_PROXY`), so limits count the real client.
      clientAddress: (request) => proxyAddress(request, app.get('trust proxy fn')),
    });
    attachConsoleGateway(io, db, conversations, logger, {
      publicUrl: config.PUBLIC_URL ? config.publicUrl : undefined,
    });
    const port = (server.address() as AddressInfo).port;
    await writeServerInfo(config.dataDir, { pid: process.pid, url: `http://127.0.0.1:${port}`, adminToken });
    workflows.start();
    let firstSweep = true;
    const embeddedDatabase = db.kind === 'pglite';
    const timers = [
      // Prospect messages a crash left stored but unanswered, and replies left undelivered
      // (core/conversations/waiting-messages.ts). On the embedded database, everything waiting at
      // start-up was left by a process that is gone: the first sweep takes it all at once.
      repeat(
        'the sweep for waiting messages',
        () => {
          const everything = embeddedDatabase && firstSweep;
          firstSweep = false;
          return answerWaitingMessages(conversations, everything ? { olderThanMs: 0 } : {});
        },
        logger,
      ),
    ];
    if (db.kind === 'pglite') {
      const embedded = db;
      timers.push(
        repeat(
          'table maintenance',
          async () => {
            const maintained = await maintainTables(embedded);
            if (maintained.length > 0) logger.debug({ maintained }, 'tables analyzed or vacuumed');
          },
          logger,
          // Often: a table that grows fast (messages under load) needs statistics within seconds,
          // and when nothing is due the check is one query.
          5_000,
        ),
      );
    }

    const openDb = db;
    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        // Live connections (widgets, consoles) end now; they reconnect to another node or later.
        // The engine holds this node's connections only, whatever the Redis fan-out joins.
        for (const timer of timers) clearInterval(timer);
        io.engine.close();
        await leaveFanout?.();
        await stopAccepting(server, config.SHUTDOWN_TIMEOUT_MS);
        await workflows.stop();
        // Agent turns running now finish before the database closes; queued ones are left to
        // the sweep (their messages are stored and marked waiting).
        await conversations.scheduler.stop(config.SHUTDOWN_TIMEOUT_MS);
        await removeServerInfo(config.dataDir);
        await openDb.close();
        await releaseDataDir();
      })();
      return closing;
    };
    const url = config.PUBLIC_URL ? config.publicUrl : `http://localhost:${port}`;
    return { url, port, db, demo, close };
  } catch (error) {
    await leaveFanout?.();
    await db?.close().catch(() => {});
    await releaseDataDir();
    throw error;
  }
}

/** Runs `work` now and then every `everyMs`, one run at a time; a failure is logged and retried. */
function repeat(
  what: string,
  work: () => Promise<unknown>,
  logger: Logger,
  everyMs = 30_000,
): NodeJS.Timeout {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await work();
    } catch (error) {
      logger.error({ err: error }, `${what} failed`);
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return timer;
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
