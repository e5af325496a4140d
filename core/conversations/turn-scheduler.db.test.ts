import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../server/db/database.ts';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import { createDemoOrganization } from '../demo-organization.ts';
import { createTurnScheduler, releaseLeasesOfDeadProcesses, TurnsStoppedError } from './turn-scheduler.ts';

let db: Database;
let orgId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  orgId = (await createDemoOrganization(db, 'demo-password-1')).orgId;
});
afterAll(() => db.close());

/** A new web chat: turn leases name a real conversation. */
async function newConversation(): Promise<string> {
  const rows = await db.query<{ id: string }>(
    `with contact as (insert into contacts (org_id) values ($1) returning id)
     insert into conversations (org_id, contact_id, channel) select $1, id, 'web' from contact returning id`,
    [orgId],
  );
  return rows[0]!.id;
}

/** A turn's work that runs until `finish` is called, noting when it started. */
function heldTurn(name: string, started: string[]) {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    work: async () => {
      started.push(name);
      await finished;
      return name;
    },
    finish,
  };
}

describe('the turn scheduler', () => {
  it('runs at most maxRunning turns at once; the others start in the order they were asked for', async () => {
    const scheduler = createTurnScheduler({ db, maxRunning: 2 });
    const started: string[] = [];
    const turns = ['a', 'b', 'c', 'd'].map((name) => ({ name, ...heldTurn(name, started) }));
    const conversations = await Promise.all(turns.map(newConversation));
    const results = turns.map((turn, i) => scheduler.run(orgId, conversations[i]!, turn.work));
    // a and b hold the two places (their leases may be taken in either order).
    await expect.poll(() => [...started].sort()).toEqual(['a', 'b']);
    expect(scheduler.active).toBe(4);

    turns[1]!.finish();
    await expect.poll(() => started.slice(2)).toEqual(['c']);
    turns[0]!.finish();
    await expect.poll(() => started.slice(2)).toEqual(['c', 'd']);
    for (const turn of turns) turn.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it("waits for another node's lease without holding a place: other conversations go on", async () => {
    const scheduler = createTurnScheduler({ db, maxRunning: 1 });
    const [held, free] = [await newConversation(), await newConversation()];
    // A node that died mid-turn left its lease; it runs out in 1.5 s.
    await db.query(
      `insert into conversation_turn_leases (conversation_id, org_id, holder, expires_at)
       values ($1, $2, 'dead-node', now() + interval '1.5 seconds')`,
      [held, orgId],
    );
    const order: string[] = [];
    const waiting = scheduler.run(orgId, held, async () => order.push('held'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await scheduler.run(orgId, free, async () => order.push('free'));
    expect(Date.now() - started).toBeLessThan(1_000);
    await waiting;
    expect(order).toEqual(['free', 'held']);
  });

  it('renews the lease of a running turn, so a short lease never lets another node in', async () => {
    const node = createTurnScheduler({ db, leaseMs: 600 });
    const other = createTurnScheduler({ db, leaseMs: 600, waitMs: 100 });
    const conversationId = await newConversation();
    const turn = heldTurn('long', []);
    const running = node.run(orgId, conversationId, turn.work);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // more than twice the lease
    await expect(other.run(orgId, conversationId, async () => 'stolen')).rejects.toThrow(
      /another server is still answering/,
    );
    turn.finish();
    expect(await running).toBe('long');
  });

  it('forgets every lease at start-up on the embedded database (their process is gone)', async () => {
    const conversationId = await newConversation();
    await db.query(
      `insert into conversation_turn_leases (conversation_id, org_id, holder, expires_at)
       values ($1, $2, 'killed-process', now() + interval '2 minutes')`,
      [conversationId, orgId],
    );
    expect(await releaseLeasesOfDeadProcesses(db)).toBeGreaterThanOrEqual(1);
    const scheduler = createTurnScheduler({ db, waitMs: 100 });
    expect(await scheduler.run(orgId, conversationId, async () => 'answered')).toBe('answered');
  });

  it('frees the place of a turn that failed', async () => {
    const scheduler = createTurnScheduler({ db, maxRunning: 1 });
    const failed = scheduler.run(orgId, await newConversation(), async () => {
      throw new Error('the model failed');
    });
    const next = scheduler.run(orgId, await newConversation(), async () => 'answered');
    await expect(failed).rejects.toThrow('the model failed');
    await expect(next).resolves.toBe('answered');
  });

  it('on stop, refuses the turns waiting for a place and waits for the running one', async () => {
    const scheduler = createTurnScheduler({ db, maxRunning: 1 });
    const started: string[] = [];
    const running = heldTurn('running', started);
    const first = scheduler.run(orgId, await newConversation(), running.work);
    await expect.poll(() => started).toEqual(['running']);
    const waiting = scheduler.run(orgId, await newConversation(), heldTurn('waiting', started).work);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started).toEqual(['running']);

    const stopped = scheduler.stop(5_000);
    await expect(waiting).rejects.toBeInstanceOf(TurnsStoppedError);
    running.finish();
    await stopped;
    await expect(first).resolves.toBe('running');
    expect(started).toEqual(['running']);
    expect(scheduler.active).toBe(0);
  });
});
