import express, { type Express } from 'express';
import type { Db } from '../../core/db.ts';
import type { Logger } from '../logger.ts';
import { requireApiKey } from './api-auth.ts';
import { errorHandler, notFoundHandler } from './problem.ts';
import { requestContext } from './request-context.ts';
import { adminRoutes } from './routes/admin.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { leadRoutes } from './routes/leads.ts';

export interface AppOptions {
  db: Db;
  logger: Logger;
  /** Token the local CLI presents to the admin routes. */
  adminToken: string;
}

/** The HTTP surface: parse and validate, call core/, map the result back. */
export function createApp({ db, logger, adminToken }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestContext(logger));

  app.get('/health', async (_req, res) => {
    await db.query('select 1');
    res.json({ status: 'ok' });
  });

  app.use(express.json({ limit: '256kb' }));
  app.use(adminRoutes(db, adminToken));
  app.use('/api', requireApiKey(db));
  app.use(leadRoutes(db));
  app.use(conversationRoutes(db));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
