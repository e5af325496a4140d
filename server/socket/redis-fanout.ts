import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server } from 'socket.io';
import type { Logger } from '../logger.ts';

/**
 * Joins this node's socket.io server to every other node on the same Redis (`REDIS_URL`): a
 * message a widget sends to one node reaches the visitor's other tabs, and the reps' consoles,
 * wherever they are connected. The gateways need nothing else: they emit to rooms, and the
 * console's per-rep filter reads `fetchSockets()`, which the adapter answers across nodes.
 *
 * Resolves once both connections are up, so a wrong URL stops start-up instead of leaving nodes
 * silently apart. Returns what closes them.
 */
export async function joinRedisFanout(io: Server, url: string, logger: Logger): Promise<() => Promise<void>> {
  const log = logger.child({ component: 'redis-fanout' });
  let joined = false;
  const publisher = createClient({
    url,
    socket: {
      // At start-up three failed attempts stop it; once joined, it keeps reconnecting.
      reconnectStrategy: (retries: number, cause: Error) =>
        !joined && retries >= 3 ? cause : Math.min(100 * 2 ** retries, 5_000),
    },
  });
  const subscriber = publisher.duplicate();
  // The client reconnects by itself; an unhandled 'error' event would end the process.
  for (const client of [publisher, subscriber]) {
    client.on('error', (error: Error) =>
      log.warn({ err: { message: error.message } }, 'redis connection error'),
    );
  }
  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    await Promise.allSettled([publisher.disconnect(), subscriber.disconnect()]);
    // The message names the host, never the URL: it may carry a password.
    throw new Error(`could not connect to Redis at REDIS_URL: ${(error as Error).message}`);
  }
  joined = true;
  io.adapter(createAdapter(publisher, subscriber));
  log.info('realtime fan-out joined through Redis');
  return async () => {
    await Promise.allSettled([publisher.quit(), subscriber.quit()]);
  };
}
