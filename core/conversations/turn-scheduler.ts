import { randomUUID } from 'node:crypto';
import type { Db } from '../db.ts';
import { DomainError } from '../errors.ts';

/**
 * Runs the turns of one conversation one at a time, in the order they were asked for, however
 * many callers arrive at once, and at most `maxRunning` turns of this node at a time. Two layers:
 *
 * - in process, a queue per conversation (a promise chain), so this node never runs two turns of
 *   one conversation together;
 * - across nodes, a lease row in `conversation_turn_leases`: a node runs a turn only while it
 *   holds the conversation's lease and waits (polling) while another node does. The holder renews
 *   the lease while its turn runs, so a lease runs out within `leaseMs` of its node dying, and is
 *   then taken over. Waiting for a lease never holds one of the node's turn slots: the turns of
 *   other conversations go on meanwhile.
 *
 * The work itself (load, call the model, store) runs outside any database transaction, so a slow
 * model never holds a connection or a lock that other conversations need.
 *
 * Why a cap: under a flood of messages every conversation has a turn waiting. Started all at
 * once, thousands of turns would share the database statement by statement and none would
 * finish; capped, turns finish in the order they were asked for, and a shutdown has only the
 * running ones to wait for.
 */
export interface TurnScheduler {
  run<T>(orgId: string, conversationId: string, work: () => Promise<T>): Promise<T>;
  /** Conversations with a turn queued or running on this node. */
  readonly active: number;
  /** `stop` was called: this node is shutting down. */
  readonly stopped: boolean;
  /**
   * Shutdown: starts no more turns (a queued one fails with `TurnsStoppedError`, its message
   * left waiting for the sweep of whichever node runs next) and waits up to `timeoutMs` for the
   * turns already running to finish, so none is cut off half-way by the database closing.
   */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * With the embedded database only one process can hold `DATA_DIR`, so at start-up every turn
 * lease in it belongs to a process that is gone (killed mid-turn): forget them all at once rather
 * than wait for each to run out.
 */
export async function releaseLeasesOfDeadProcesses(db: Db): Promise<number> {
  const rows = await db.query('delete from conversation_turn_leases returning conversation_id');
  return rows.length;
}

export class TurnsStoppedError extends Error {
  constructor() {
    super('this server is shutting down: the message is answered by the next sweep');
    this.name = 'TurnsStoppedError';
  }
}

export interface TurnSchedulerOptions {
  db: Db;
  /** This node's name in lease rows. */
  nodeId?: string;
  /** How long a lease lasts unless renewed; renewed every third of it while the turn runs. */
  leaseMs?: number;
  /** How long to wait for another node's lease before giving up. */
  waitMs?: number;
  /**
   * Turns running at once on this node (64); the rest wait in arrival order. With a real model
   * a turn mostly waits for it, so this is also how many model calls a node has open.
   */
  maxRunning?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function createTurnScheduler(options: TurnSchedulerOptions): TurnScheduler {
  const { db } = options;
  const nodeId = options.nodeId ?? randomUUID();
  const leaseMs = options.leaseMs ?? 10_000;
  const waitMs = options.waitMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxRunning = options.maxRunning ?? 64;
  const tails = new Map<string, Promise<unknown>>();
  let stopped = false;
  let running = 0;
  const waitingForSlot: { resolve: () => void; reject: (error: Error) => void }[] = [];

  function takeSlot(): Promise<void> {
    if (running < maxRunning) {
      running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => waitingForSlot.push({ resolve, reject }));
  }

  /** Hands the slot to the longest-waiting turn, if any. */
  function freeSlot(): void {
    const next = waitingForSlot.shift();
    if (next) next.resolve();
    else running--;
  }

  /** Takes the conversation's lease if it is free, expired or already this node's. */
  async function tryAcquire(orgId: string, conversationId: string): Promise<boolean> {
    const rows = await db.query<{ holder: string }>(
      `insert into conversation_turn_leases (conversation_id, org_id, holder, expires_at)
       values ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
       on conflict (conversation_id) do update
         set holder = excluded.holder, expires_at = excluded.expires_at, acquired_at = now()
         where conversation_turn_leases.expires_at < now() or conversation_turn_leases.holder = excluded.holder
       returning holder`,
      [conversationId, orgId, nodeId, leaseMs],
    );
    return rows.length > 0;
  }

  /** Keeps the lease alive while `work` runs: a live node's long turn is never taken over. */
  async function holding<T>(conversationId: string, work: () => Promise<T>): Promise<T> {
    const renew = setInterval(() => {
      db.query(
        `update conversation_turn_leases set expires_at = now() + make_interval(secs => $3::double precision / 1000)
         where conversation_id = $1 and holder = $2`,
        [conversationId, nodeId, leaseMs],
      ).catch(() => {}); // a missed renewal only shortens the lease
    }, leaseMs / 3);
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
    }
  }

  async function release(conversationId: string): Promise<void> {
    await db.query('delete from conversation_turn_leases where conversation_id = $1 and holder = $2', [
      conversationId,
      nodeId,
    ]);
  }

  return {
    get stopped() {
      return stopped;
    },
    get active() {
      return tails.size;
    },
    run<T>(orgId: string, conversationId: string, work: () => Promise<T>): Promise<T> {
      const previous = tails.get(conversationId) ?? Promise.resolve();
      const turn = previous.then(async () => {
        const deadline = Date.now() + waitMs;
        let pause = 20;
        for (;;) {
          if (stopped) throw new TurnsStoppedError();
          await takeSlot();
          try {
            if (await tryAcquire(orgId, conversationId)) {
              try {
                return await holding(conversationId, work);
              } finally {
                await release(conversationId);
              }
            }
          } finally {
            freeSlot();
          }
          // Another node holds the conversation: wait without a slot, then ask again.
          if (Date.now() > deadline) {
            throw new DomainError(
              'conflict',
              'another server is still answering this conversation; try again',
            );
          }
          await sleep(pause);
          pause = Math.min(pause * 2, 500);
        }
      });
      // The chain continues whether this turn succeeded or not.
      const tail = turn.catch(() => {});
      tails.set(conversationId, tail);
      void tail.then(() => {
        if (tails.get(conversationId) === tail) tails.delete(conversationId);
      });
      return turn;
    },
    async stop(timeoutMs) {
      stopped = true;
      for (const turn of waitingForSlot.splice(0)) turn.reject(new TurnsStoppedError());
      const deadline = Date.now() + timeoutMs;
      while (tails.size > 0 && Date.now() < deadline) {
        await Promise.race([Promise.all(tails.values()), sleep(Math.min(100, deadline - Date.now()))]);
      }
    },
  };
}
