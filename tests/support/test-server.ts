import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Db } from '../../core/db.ts';
import { type AppOptions, createApp } from '../../server/http/app.ts';

export interface TestServer {
  url: string;
  adminToken: string;
  /** JSON request; `key` becomes the bearer API key. */
  request(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; contentType: string; body: Record<string, unknown> & { items?: unknown[] } }>;
  close(): Promise<void>;
}

/** The real Express app on a loopback port, backed by the given database. */
export async function startTestServer(
  db: Db,
  options: Pick<
    AppOptions,
    'conversations' | 'payments' | 'webhooks' | 'widget' | 'workflows' | 'publicUrl' | 'trustProxy'
  > = {},
): Promise<TestServer> {
  const adminToken = 'test-admin-token';
  const app = createApp({ db, logger: pino({ level: 'silent' }), adminToken, ...options });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    adminToken,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.key) headers.authorization = `Bearer ${options.key}`;
      let body: string | undefined;
      if (options.rawBody !== undefined || options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = options.rawBody ?? JSON.stringify(options.body);
      }
      const response = await fetch(`${url}${path}`, { method, headers, body });
      const text = await response.text();
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: text ? JSON.parse(text) : {},
      };
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
