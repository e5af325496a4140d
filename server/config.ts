import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const optionalSecret = z.string().min(1).optional();
const optionalUrl = (what: string) => z.url(`must be a URL (${what})`).optional();

/** Express's `trust proxy`: a whole setting (`true`, `false`, a number of hops) or a list of proxies. */
export type TrustProxy = boolean | number | string[];

/** proxy-addr's named ranges, besides addresses and subnets. */
const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isProxyAddress(entry: string): boolean {
  if (namedRanges.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Which hops in front of this server are believed about the client's address and protocol
 * (X-Forwarded-For/-Proto/-Host). Unset believes none: a client could otherwise claim any address.
 */
const trustProxySchema = z
  .string()
  .trim()
  .optional()
  .transform((value, ctx): TrustProxy => {
    if (value === undefined || value === 'false') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim());
    const wrong = entries.filter((entry) => !isProxyAddress(entry));
    if (wrong.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          'must be true, false, a number of proxy hops, or a comma-separated list of addresses or ' +
          'subnets (loopback, linklocal, uniquelocal, 10.0.0.5, 10.0.0.0/8, fd00::/8); ' +
          `not an address or subnet: ${wrong.map((entry) => JSON.stringify(entry)).join(', ')}`,
      });
      return z.NEVER;
    }
    return entries;
  });

/** Every setting comes from the environment and is checked here, once, at start-up. */
export const configSchema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole port number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection URL')
    .optional(),
  // http(s) only: its origin is what console requests must come from, and the session cookie's
  // Secure flag follows its scheme.
  PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      error:
        'must be a URL starting http:// or https:// ' +
        '(the address users reach this server at, e.g. https://sales.example.com)',
    })
    .optional(),
  TRUST_PROXY: trustProxySchema,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ANTHROPIC_API_KEY: optionalSecret,
  ANTHROPIC_BASE_URL: optionalUrl('Anthropic API base'),
  RESEND_API_KEY: optionalSecret,
  RESEND_WEBHOOK_SECRET: optionalSecret,
  RESEND_BASE_URL: optionalUrl('Resend API base'),
  /** The sender of prospect email, e.g. `Brightwave Sales <sales@brightwave.example>`. */
  EMAIL_FROM: z.string().trim().min(3).optional(),
  /**
   * A domain whose mail Resend receives (inbound): each conversation gets its own reply address
   * there (`reply+TOKEN@domain`), so a prospect's answer threads back to it.
   */
  EMAIL_REPLY_DOMAIN: z
    .string()
    .trim()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name, e.g. reply.example.com')
    .optional(),
  TWILIO_ACCOUNT_SID: optionalSecret,
  TWILIO_AUTH_TOKEN: optionalSecret,
  TWILIO_FROM: optionalSecret,
  /** The WhatsApp sender (`whatsapp:+1...` or the bare number); without it, no WhatsApp. */
  TWILIO_WHATSAPP_FROM: z.string().trim().min(3).optional(),
  TWILIO_BASE_URL: optionalUrl('Twilio API base'),
  STRIPE_SECRET_KEY: optionalSecret,
  STRIPE_WEBHOOK_SECRET: optionalSecret,
  STRIPE_BASE_URL: optionalUrl('Stripe API base'),
  PERPLEXITY_API_KEY: optionalSecret,
  PERPLEXITY_BASE_URL: optionalUrl('Perplexity API base'),
  INNGEST_EVENT_KEY: optionalSecret,
  INNGEST_SIGNING_KEY: optionalSecret,
  INNGEST_DEV: z.string().optional(),
  INNGEST_BASE_URL: optionalUrl('Inngest API base'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** Signs unsubscribe links; set the same value on every node of a multi-node install. */
  APP_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How long SIGTERM waits for in-flight requests before closing anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; publicUrl: string };

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and .env files commonly write it.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      // Echo the bad value only for settings that are not secrets.
      const shown = /KEY|TOKEN|SECRET|URL/.test(name) ? '' : ` (got ${JSON.stringify(env[name])})`;
      return `  ${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const missing = missingProviderSettings(config);
  if (missing.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${missing.map((line) => `  ${line}`).join('\n')}`);
  }
  return {
    ...config,
    dataDir: path.resolve(config.DATA_DIR),
    publicUrl: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, ''),
  };
}

/**
 * A provider key that cannot work alone is a mistake to stop on, not a silent fallback to
 * recording: the operator meant to send.
 */
function missingProviderSettings(config: z.infer<typeof configSchema>): string[] {
  const problems: string[] = [];
  if (config.RESEND_API_KEY && !config.EMAIL_FROM) {
    problems.push(
      'EMAIL_FROM: is required with RESEND_API_KEY (the sender, e.g. "Acme Sales <sales@acme.com>")',
    );
  }
  if (Boolean(config.TWILIO_ACCOUNT_SID) !== Boolean(config.TWILIO_AUTH_TOKEN)) {
    problems.push('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both, or neither');
  }
  if (config.TWILIO_ACCOUNT_SID && !config.TWILIO_FROM && !config.TWILIO_WHATSAPP_FROM) {
    problems.push(
      'TWILIO_FROM: is required with TWILIO_ACCOUNT_SID (or TWILIO_WHATSAPP_FROM for WhatsApp only)',
    );
  }
  return problems;
}

/** Which providers talk to the real service and which only record what they would send. */
export function providerModes(config: Config): Record<string, string> {
  const live = (on: boolean) => (on ? 'live' : 'recorded-only');
  const twilio = Boolean(config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN);
  // Twilio signs the public URL it calls: behind the default localhost address nothing verifies.
  const texting = (on: boolean) =>
    on && !config.PUBLIC_URL ? 'live (no PUBLIC_URL: Twilio webhooks will not verify)' : live(on);
  return {
    'LLM (Anthropic)': config.ANTHROPIC_API_KEY ? 'live' : 'offline model',
    'email (Resend)': config.RESEND_API_KEY
      ? config.RESEND_WEBHOOK_SECRET
        ? 'live'
        : 'live (no RESEND_WEBHOOK_SECRET: replies and delivery events are not received)'
      : 'recorded-only',
    'SMS (Twilio)': texting(twilio && Boolean(config.TWILIO_FROM)),
    'WhatsApp (Twilio)': texting(twilio && Boolean(config.TWILIO_WHATSAPP_FROM)),
    // Calls are not built yet: recorded whatever the keys.
    'voice (Twilio)': 'recorded-only',
    'payments (Stripe)': live(Boolean(config.STRIPE_SECRET_KEY)),
    'enrichment (Perplexity)': config.PERPLEXITY_API_KEY ? 'live' : 'offline only',
  };
}
