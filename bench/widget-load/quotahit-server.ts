/**
 * The QuotaHit server for the widget load bench, run as a child process (`fork`) so its memory is
 * measured alone. It is `server/main.ts` minus the banner: the same `startServer` composition
 * (PGlite in DATA_DIR, workflows, offline model, widget gateway), with two bench-only settings,
 * both stated in the bench's output:
 *
 * - the conversation rate limit raised (`BENCH_MESSAGES_PER_MINUTE`), because one message a
 *   second per widget is three times the loadout's 20 a minute; the product default is untouched;
 * - the demo organization's `allowedOrigins` set to the bench's site, so every connection passes
 *   the gateway's real origin check rather than an empty allow-list;
 * - its limits on new chats raised (`settings.limits`, an organization's own setting), because
 *   every simulated prospect opens a chat from the same loopback address within seconds.
 *
 * It talks to the bench over the fork IPC channel: `ready` once listening; `memory` answers with
 * `process.memoryUsage()` after a full GC (run with --expose-gc); `stop` closes it as SIGTERM does.
 */
import { systemActor } from '../../core/actor.ts';
import { updateOrganizationSettings } from '../../core/organizations.ts';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { startServer } from '../../server/start-server.ts';
import { answerMemory, type BenchTargetMessage } from './target-ipc.ts';

const origin = process.env.BENCH_ORIGIN ?? 'https://shop.bench.test';
const messagesPerMinute = Number(process.env.BENCH_MESSAGES_PER_MINUTE ?? 10_000);
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL);
const running = await startServer(config, logger, { conversationLimits: { messagesPerMinute } });
if (!running.demo) throw new Error('the bench needs a fresh DATA_DIR (demo credentials are written there)');
await updateOrganizationSettings(
  running.db,
  running.demo.orgId,
  { allowedOrigins: [origin], limits: { newChatsPerWidgetKey: 100_000, newChatsPerAddress: 100_000 } },
  systemActor,
);

process.on('message', (message: BenchTargetMessage) => {
  if (message.type === 'memory') answerMemory();
  if (message.type === 'stop') {
    running.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
});
process.send!({
  type: 'ready',
  url: `http://127.0.0.1:${running.port}`,
  key: running.demo.widgetKey,
  orgId: running.demo.orgId,
  origin,
});
