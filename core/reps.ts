import { z } from 'zod';
import type { Actor } from './actor.ts';
import { recordAudit } from './audit.ts';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './credentials.ts';
import type { Db } from './db.ts';
import { DomainError } from './errors.ts';
import { type RateLimit, rateLimitReached, takeRateLimit, tooManyRequests } from './rate-limits.ts';

export const createRepSchema = z.strictObject({
  orgId: z.uuid('orgId must be a UUID'),
  email: z.email('email must be an email address').trim().toLowerCase(),
  password: z.string().min(8, 'password must be at least 8 characters').max(200),
  name: z.string().trim().min(1).max(200).optional(),
  role: z.enum(['admin', 'rep']).default('rep'),
  territory: z.string().trim().min(1).max(100).optional(),
  expertise: z.array(z.string().trim().toLowerCase().min(1).max(50)).max(50).default([]),
  capacity: z.number().int().min(0).max(10_000).default(20),
  winRate: z.number().min(0).max(1).default(0),
});
export type CreateRepInput = z.input<typeof createRepSchema>;

export interface Rep {
  id: string;
  orgId: string;
  email: string;
  name: string | null;
  role: 'admin' | 'rep';
  territory: string | null;
  expertise: string[];
  capacity: number;
  winRate: number;
}

interface UserRow {
  id: string;
  org_id: string;
  email: string;
  name: string | null;
  role: 'admin' | 'rep';
  territory: string | null;
  expertise: string[];
  capacity: number;
  win_rate: number;
  password_hash: string;
}

function toRep(row: UserRow): Rep {
  return {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    name: row.name,
    role: row.role,
    territory: row.territory,
    expertise: row.expertise,
    capacity: row.capacity,
    winRate: row.win_rate,
  };
}

export async function createRep(db: Db, input: CreateRepInput, actor: Actor): Promise<{ repId: string }> {
  const rep = createRepSchema.parse(input);
  const passwordHash = await hashPassword(rep.password);
  return db.transaction(async (tx) => {
    const org = await tx.query('select 1 from organizations where id = $1', [rep.orgId]);
    if (!org[0]) throw new DomainError('not_found', `organization ${rep.orgId} not found`);
    const taken = await tx.query('select 1 from users where lower(email) = $1', [rep.email]);
    if (taken[0]) throw new DomainError('conflict', `a user with email ${rep.email} already exists`);
    const rows = await tx.query<{ id: string }>(
      `insert into users (org_id, email, password_hash, name, role, territory, expertise, capacity, win_rate)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
      [
        rep.orgId,
        rep.email,
        passwordHash,
        rep.name ?? null,
        rep.role,
        rep.territory ?? null,
        rep.expertise,
        rep.capacity,
        rep.winRate,
      ],
    );
    const repId = rows[0]!.id;
    await recordAudit(tx, {
      orgId: rep.orgId,
      actor,
      action: 'rep.created',
      entityType: 'user',
      entityId: repId,
    });
    return { repId };
  });
}

export async function listReps(db: Db, orgId: string): Promise<Rep[]> {
  const rows = await db.query<UserRow>(
    'select * from users where org_id = $1 and active order by created_at',
    [orgId],
  );
  return rows.map(toRep);
}

const sessionDays = 14;

export interface RepSession {
  token: string;
  expiresAt: Date;
  rep: Rep;
}

/**
 * Failed sign-ins lock an account (whoever is guessing) and a client address (one guesser, many
 * accounts) until their window ends. Installation-wide: the account's organization is not known
 * before the password is checked.
 */
export const signInLimits = {
  perAccount: { limit: 5, windowSeconds: 15 * 60 },
  perAddress: { limit: 30, windowSeconds: 15 * 60 },
} satisfies Record<string, RateLimit>;

/**
 * A stored hash no password matches: checking an unknown email against it costs what checking a
 * known one does, so the time of the answer does not tell which emails have accounts.
 */
const decoyPasswordHash = `scrypt$${'A'.repeat(22)}$${'A'.repeat(43)}`;

/**
 * Signs a rep in by email and password. A wrong email and a wrong password fail alike, in the same
 * time, and count against the account and the client address; past the limit the answer is 429
 * until the lockout window ends.
 */
export async function signIn(
  db: Db,
  credentials: { email: string; password: string },
  client: { address?: string } = {},
): Promise<RepSession> {
  const email = credentials.email.trim().toLowerCase();
  const buckets = [
    { key: `sign-in:account:${email}`, limit: signInLimits.perAccount },
    ...(client.address ? [{ key: `sign-in:address:${client.address}`, limit: signInLimits.perAddress }] : []),
  ];
  const rows = await db.query<UserRow>('select * from users where lower(email) = $1 and active', [email]);
  const row = rows[0];
  for (const bucket of buckets) {
    const state = await rateLimitReached(db, bucket.key, bucket.limit);
    if (!state.allowed) throw tooManyRequests('too many failed sign-ins', state);
  }
  if (!(await verifyPassword(credentials.password, row?.password_hash ?? decoyPasswordHash)) || !row) {
    for (const bucket of buckets) {
      const state = await takeRateLimit(db, { key: bucket.key }, bucket.limit);
      if (row && bucket.limit === signInLimits.perAccount && state.hits === bucket.limit.limit) {
        await recordAudit(db, {
          orgId: row.org_id,
          actor: { type: 'system', id: 'sign-in' },
          action: 'rep.sign_in_locked',
          entityType: 'user',
          entityId: row.id,
          outcome: 'refused',
          details: { failures: state.hits, lockedForSeconds: state.retryAfterSeconds },
        });
      }
    }
    throw new DomainError('unauthorized', 'wrong email or password');
  }
  const token = newSecret('qhs');
  const expiresAt = new Date(Date.now() + sessionDays * 86_400_000);
  await db.transaction(async (tx) => {
    await tx.query('insert into sessions (org_id, user_id, token_hash, expires_at) values ($1, $2, $3, $4)', [
      row.org_id,
      row.id,
      hashSecret(token),
      expiresAt,
    ]);
    await recordAudit(tx, { orgId: row.org_id, actor: { type: 'rep', id: row.id }, action: 'rep.signed_in' });
  });
  return { token, expiresAt, rep: toRep(row) };
}

export async function authenticateSession(db: Db, token: string): Promise<Rep | null> {
  const rows = await db.query<UserRow>(
    `select u.* from sessions s join users u on u.id = s.user_id and u.org_id = s.org_id
     where s.token_hash = $1 and s.revoked_at is null and s.expires_at > now() and u.active`,
    [hashSecret(token)],
  );
  return rows[0] ? toRep(rows[0]) : null;
}

export async function signOut(db: Db, token: string): Promise<void> {
  await db.query('update sessions set revoked_at = now() where token_hash = $1 and revoked_at is null', [
    hashSecret(token),
  ]);
}
