import { z } from 'zod';
import type { Db } from './db.ts';
import { DomainError } from './errors.ts';

/**
 * Limits on what a stranger (or a runaway script) can make the server do: open chats, call the
 * API, use a console session, guess passwords. Counted in fixed windows in the database
 * (`rate_limit_windows`), so every node of an installation sees the same count.
 */
export interface RateLimit {
  /** How many hits a window allows. */
  limit: number;
  windowSeconds: number;
}

/** What an organization may tune (`settings.limits`); each is per minute. */
export const rateLimitSettingsSchema = z.strictObject({
  /** New widget chats across the whole organization: one flooding site cannot crowd out others. */
  newChatsPerWidgetKey: z.number().int().min(1).max(100_000).default(300),
  /** New widget chats from one client address (a script making up visitor ids). */
  newChatsPerAddress: z.number().int().min(1).max(100_000).default(20),
  /** Server API requests per API key. */
  apiRequestsPerKey: z.number().int().min(1).max(1_000_000).default(600),
  /** Console API requests per signed-in session. */
  consoleRequestsPerSession: z.number().int().min(1).max(100_000).default(600),
});
export type RateLimitSettings = z.infer<typeof rateLimitSettingsSchema>;

/** An organization's limits, from its stored settings (defaults for what it never set). */
export function rateLimitSettings(stored: unknown): RateLimitSettings {
  const parsed = rateLimitSettingsSchema.partial().safeParse(stored ?? {});
  return rateLimitSettingsSchema.parse(parsed.success ? parsed.data : {});
}

export const perMinute = (limit: number): RateLimit => ({ limit, windowSeconds: 60 });

export interface RateLimitResult {
  allowed: boolean;
  hits: number;
  /** Seconds until the window ends and the count starts again. */
  retryAfterSeconds: number;
}

const windowOf = (limit: RateLimit, now: number) => {
  const length = limit.windowSeconds * 1000;
  const start = Math.floor(now / length) * length;
  return { start: new Date(start), retryAfterSeconds: Math.max(1, Math.ceil((start + length - now) / 1000)) };
};

let lastCleanup = 0;

/** Counts one hit on `bucket` and says whether it is within the limit. */
export async function takeRateLimit(
  db: Db,
  bucket: { key: string; orgId?: string | null },
  limit: RateLimit,
  now = Date.now(),
): Promise<RateLimitResult> {
  const window = windowOf(limit, now);
  const rows = await db.query<{ hits: number }>(
    `insert into rate_limit_windows (bucket, window_start, hits, org_id) values ($1, $2, 1, $3)
     on conflict (bucket, window_start) do update set hits = rate_limit_windows.hits + 1
     returning hits`,
    [bucket.key, window.start, bucket.orgId ?? null],
  );
  await forgetOldWindows(db, now);
  const hits = rows[0]?.hits ?? 1;
  return { allowed: hits <= limit.limit, hits, retryAfterSeconds: window.retryAfterSeconds };
}

/** Whether `bucket` has used up its window, without counting a hit (a lockout check). */
export async function rateLimitReached(
  db: Db,
  bucket: string,
  limit: RateLimit,
  now = Date.now(),
): Promise<RateLimitResult> {
  const window = windowOf(limit, now);
  const rows = await db.query<{ hits: number }>(
    'select hits from rate_limit_windows where bucket = $1 and window_start = $2',
    [bucket, window.start],
  );
  const hits = rows[0]?.hits ?? 0;
  return { allowed: hits < limit.limit, hits, retryAfterSeconds: window.retryAfterSeconds };
}

/** Windows older than a day count for nothing; at most one sweep a minute per process. */
async function forgetOldWindows(db: Db, now: number): Promise<void> {
  if (now - lastCleanup < 60_000) return;
  lastCleanup = now;
  await db.query(`delete from rate_limit_windows where window_start < $1`, [new Date(now - 86_400_000)]);
}

/** The refusal every adapter maps to 429 with `Retry-After`. */
export function tooManyRequests(what: string, result: RateLimitResult): DomainError {
  return new DomainError('rate_limited', `${what}; try again in ${result.retryAfterSeconds} s`, {
    retryAfterSeconds: result.retryAfterSeconds,
  });
}

/** Takes a hit and throws the 429 refusal when the bucket is over its limit. */
export async function enforceRateLimit(
  db: Db,
  bucket: { key: string; orgId?: string | null },
  limit: RateLimit,
  what: string,
): Promise<void> {
  const result = await takeRateLimit(db, bucket, limit);
  if (!result.allowed) throw tooManyRequests(what, result);
}
