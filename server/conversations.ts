import { createCloserRuntime } from '../agents/runtime/closer-runtime.ts';
import { loadAllLoadouts } from '../agents/runtime/loadouts.ts';
import { createQualifierRuntime } from '../agents/runtime/qualifier-runtime.ts';
import { createWebChannel } from '../channels/web/web-channel.ts';
import {
  type ConversationLimits,
  type ConversationServiceDeps,
  createConversationServiceDeps,
} from '../core/conversations/conversation-service.ts';
import type { Db } from '../core/db.ts';
import { recordingSender, sendOutbound } from '../core/outbound.ts';
import type { Channel, ChannelSender } from '../core/outbound-message.ts';
import type { PaymentLinks } from '../core/payments/payment-links.ts';
import type { Logger } from './logger.ts';
import type { ProviderChannels } from './provider-channels.ts';

/**
 * The conversation service as this server runs it: the qualifier and the closer from their loadouts
 * (Claude with ANTHROPIC_API_KEY, else the offline models; an invalid loadout stops start-up), and every
 * outbound message through the compliance gate to the channel senders — the live channels given,
 * recording ones for the providers that have no key. Without `env` the offline model answers; without `unsubscribe`
 * marketing email carries no one-click link (tests). `limits` overrides the loadout's (benchmarks
 * that send faster than a prospect types).
 */
export function createConversations(
  db: Db,
  options: {
    logger: Logger;
    env?: { ANTHROPIC_API_KEY?: string; ANTHROPIC_BASE_URL?: string };
    unsubscribe?: { publicUrl: string; secret: string };
    limits?: Partial<ConversationLimits>;
    /** The live channels (server/provider-channels.ts); every other channel only records. */
    channels?: ProviderChannels;
    /** Payment links for the closer (routing mode A); without them mode A stays with the qualifier. */
    payments?: PaymentLinks;
  },
): ConversationServiceDeps {
  // Every loadout and chain is checked, not only the qualifier's: any invalid one stops start-up.
  loadAllLoadouts();
  const runtime = createQualifierRuntime({ env: options.env });
  const senders: Record<Channel, ChannelSender> = {
    web: createWebChannel().sender,
    email: options.channels?.email?.sender ?? recordingSender('email'),
    sms: options.channels?.sms?.sender ?? recordingSender('sms'),
    whatsapp: options.channels?.whatsapp?.sender ?? recordingSender('whatsapp'),
    voice: recordingSender('voice'),
  };
  const log = options.logger.child({ component: 'conversations' });
  const closer = options.payments ? createCloserRuntime({ env: options.env }) : null;
  return createConversationServiceDeps({
    db,
    qualifier: runtime.model,
    limits: { ...runtime.limits, ...options.limits },
    tools: runtime.tools,
    ...(closer ? { closing: { model: closer.model, tools: closer.tools, payments: options.payments! } } : {}),
    deliver: (draft) => sendOutbound({ db, senders, unsubscribe: options.unsubscribe }, draft),
    log,
  });
}
