import { loadAllLoadouts } from '../agents/runtime/loadouts.ts';
import { createQualifierRuntime } from '../agents/runtime/qualifier-runtime.ts';
import { createWebChannel } from '../channels/web/web-channel.ts';
import {
  type ConversationServiceDeps,
  createConversationServiceDeps,
} from '../core/conversations/conversation-service.ts';
import type { Db } from '../core/db.ts';
import { recordingSender, sendOutbound } from '../core/outbound.ts';
import type { Channel, ChannelSender } from '../core/outbound-message.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/**
 * The conversation service as this server runs it: the qualifier from its loadout (Claude with
 * ANTHROPIC_API_KEY, else the offline model; an invalid loadout stops start-up), and every
 * outbound message through the compliance gate to the channel senders — recording ones for the
 * providers that have no key.
 */
export function createConversations(
  db: Db,
  config: Config,
  logger: Logger,
  unsubscribeSecret: string,
): ConversationServiceDeps {
  // Every loadout and chain is checked, not only the qualifier's: any invalid one stops start-up.
  loadAllLoadouts();
  const runtime = createQualifierRuntime({ env: config });
  const senders: Record<Channel, ChannelSender> = {
    web: createWebChannel().sender,
    email: recordingSender('email'),
    sms: recordingSender('sms'),
    whatsapp: recordingSender('whatsapp'),
    voice: recordingSender('voice'),
  };
  const log = logger.child({ component: 'conversations' });
  return createConversationServiceDeps({
    db,
    qualifier: runtime.model,
    limits: runtime.limits,
    tools: runtime.tools,
    deliver: (draft) =>
      sendOutbound(
        { db, senders, unsubscribe: { publicUrl: config.publicUrl, secret: unsubscribeSecret } },
        draft,
      ),
    log: {
      info: (details, message) => log.info(details, message),
      warn: (details, message) => log.warn(details, message),
      error: (details, message) => log.error(details, message),
    },
  });
}
