import { z } from 'zod';
import type { Organization } from './organizations.ts';

/**
 * How an organization's chat widget looks and what it says, from `settings.widget`. Every field
 * has a default, so a new organization's widget works as soon as it is embedded.
 */
export const widgetSettingsSchema = z.object({
  title: z.string().min(1).max(80).optional(),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'color must be a hex color like #2563eb')
    .default('#2563eb'),
  position: z.enum(['right', 'left']).default('right'),
  greeting: z.string().min(1).max(500).optional(),
  avatarUrl: z.url().optional(),
  preChat: z.boolean().default(false),
  strings: z.record(z.string(), z.string().max(500)).default({}),
});

const defaultStrings = {
  placeholder: 'Type your message…',
  send: 'Send',
  close: 'Close chat',
  offline: 'Offline — will send when reconnected',
  sending: 'Sending…',
  notSent: 'Not sent',
  repJoined: '{name} joined the chat',
  aiBack: 'The AI assistant is back',
  preChatTitle: 'Before we start',
  name: 'Name',
  email: 'Email',
  phone: 'Phone',
  start: 'Start chat',
  consent: '',
};

export interface WidgetTheme {
  title: string;
  color: string;
  position: 'right' | 'left';
  greeting: string;
  avatarUrl?: string;
  preChat: boolean;
  strings: typeof defaultStrings;
}

export function widgetTheme(org: Organization): WidgetTheme {
  const settings = widgetSettingsSchema.parse((org.settings as { widget?: unknown }).widget ?? {});
  return {
    title: settings.title ?? org.name,
    color: settings.color,
    position: settings.position,
    greeting: settings.greeting ?? `Hi! Questions about ${org.name}? Ask away.`,
    avatarUrl: settings.avatarUrl,
    preChat: settings.preChat,
    strings: {
      ...defaultStrings,
      consent:
        `I agree that ${org.name} may contact me by email and text message about its products, ` +
        'including with automated technology. Consent is not a condition of purchase. Reply STOP to opt out.',
      ...settings.strings,
    },
  };
}

/** Whether a page at `origin` may embed the organization's widget (no list: any page may). */
export function embeddingAllowed(org: Organization, origin: string | undefined): boolean {
  const allowed = org.settings.allowedOrigins;
  if (allowed.length === 0) return true;
  return origin !== undefined && allowed.some((entry) => entry.replace(/\/$/, '') === origin);
}
