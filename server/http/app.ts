import express, { type Express, type RequestHandler, type Router } from 'express';
import type { ConversationServiceDeps } from '../../core/conversations/conversation-service.ts';
import type { Db } from '../../core/db.ts';
import type { PaymentProvider } from '../../core/payments/payment-links.ts';
import type { WorkflowEngine } from '../../inngest/workflow-engine.ts';
import type { ClientBundles } from '../client-bundles.ts';
import type { TrustProxy } from '../config.ts';
import { createConversations } from '../conversations.ts';
import type { Logger } from '../logger.ts';
import { requireApiKey } from './api-auth.ts';
import { errorHandler, notFoundHandler } from './problem.ts';
import { requestContext } from './request-context.ts';
import { adminRoutes } from './routes/admin.ts';
import { agentRoutes } from './routes/agents.ts';
import { complianceRoutes } from './routes/compliance.ts';
import { consoleRoutes } from './routes/console.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { dealRoutes } from './routes/deals.ts';
import { demoSiteRoutes } from './routes/demo-site.ts';
import { followUpRoutes } from './routes/follow-ups.ts';
import { leadRoutes } from './routes/leads.ts';
import { limitRoutes } from './routes/limits.ts';
import { meetingRoutes } from './routes/meetings.ts';
import { routingRoutes } from './routes/routing.ts';
import { scoringRoutes } from './routes/scoring.ts';
import { stripeWebhookRoutes } from './routes/stripe-webhook.ts';
import { unsubscribeRoutes } from './routes/unsubscribe.ts';
import { widgetRoutes } from './routes/widget.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { jsonBody, refuseUnstorableText } from './storable-input.ts';

export interface AppOptions {
  db: Db;
  logger: Logger;
  /** Token the local CLI presents to the admin routes. */
  adminToken: string;
  /** Runs the workflows; absent in tests that exercise routes alone. */
  workflows?: WorkflowEngine;
  /** Signs the email one-click unsubscribe links; without it those links answer 503. */
  unsubscribeSecret?: string;
  /** The built chat widget; without it the widget and demo page are not served. */
  widget?: ClientBundles;
  /** The conversation service's dependencies; without them, the offline qualifier with recording senders. */
  conversations?: ConversationServiceDeps;
  /** Stripe payment links and webhook verification; without it, recorded test-mode links and no webhook. */
  payments?: PaymentProvider;
  /**
   * Provider webhook routers (Resend, Twilio): each reads its raw body itself, because the
   * signature covers the exact bytes, so they are mounted before the JSON parser.
   */
  webhooks?: Router[];
  /** Which providers are live and which only record (config.ts `providerModes`), for the console. */
  providers?: Record<string, string>;
  /**
   * PUBLIC_URL, when the operator set it: console requests that change state must come from its
   * origin and the session cookie is Secure when it is https. Without it, the console accepts
   * browser requests whose Origin names the host they were sent to.
   */
  publicUrl?: string;
  /** Express's `trust proxy` (config.ts TRUST_PROXY): whose X-Forwarded-* to believe; nobody's by default. */
  trustProxy?: TrustProxy;
}

/**
 * Behind a reverse proxy without TRUST_PROXY every client has the proxy's address, so limits per
 * client address count the whole site as one client: say so once.
 */
function warnOfUntrustedProxy(logger: Logger): RequestHandler {
  let warned = false;
  return (req, _res, next) => {
    if (!warned && req.headers['x-forwarded-for']) {
      warned = true;
      logger.warn(
        "requests carry X-Forwarded-For but TRUST_PROXY is not set: every client gets the proxy's address (set TRUST_PROXY, e.g. loopback)",
      );
    }
    next();
  };
}

/** The HTTP surface: parse and validate, call core/, map the result back. */
export function createApp({
  db,
  logger,
  adminToken,
  workflows,
  unsubscribeSecret,
  conversations,
  widget,
  payments,
  webhooks = [],
  providers,
  publicUrl,
  trustProxy = false,
}: AppOptions): Express {
  const conversationDeps = conversations ?? createConversations(db, { logger });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy);
  app.use(requestContext(logger));
  if (trustProxy === false) app.use(warnOfUntrustedProxy(logger));
  // Stripe signs the raw body: this router reads it before express.json does.
  app.use(stripeWebhookRoutes({ db, payments }));
  for (const router of webhooks) app.use(router);

  app.get('/health', async (_req, res) => {
    await db.query('select 1');
    res.json({ status: 'ok' });
  });

  app.use(jsonBody('256kb'), refuseUnstorableText);
  if (workflows) {
    // Signed by Inngest (or, embedded, by nobody outside): not behind the API key.
    app.use('/api/inngest', workflows.inngestHandler);
    // A request that changed something may have written events: dispatch them now.
    app.use((req, res, next) => {
      if (req.method !== 'GET') res.on('finish', () => workflows.poke());
      next();
    });
  }
  if (widget) {
    app.use(widgetRoutes(db, widget));
    app.use(demoSiteRoutes(db));
    app.use(consoleRoutes(db, conversationDeps, widget, { providers, publicUrl }));
  }
  app.use(adminRoutes(db, adminToken));
  app.use(unsubscribeRoutes(db, unsubscribeSecret));
  app.use('/api', requireApiKey(db));
  app.use(leadRoutes(db));
  app.use(scoringRoutes(db));
  app.use(conversationRoutes(db));
  app.use(workflowRoutes(db));
  app.use(complianceRoutes(db));
  app.use(agentRoutes(conversationDeps));
  app.use(routingRoutes({ db, payments }));
  app.use(followUpRoutes({ db, conversations: conversationDeps }));
  app.use(limitRoutes(db));
  app.use(meetingRoutes(db));
  app.use(dealRoutes(db));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
