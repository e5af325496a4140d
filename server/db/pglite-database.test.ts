import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { Database } from './database.ts';
import { openPglite } from './pglite-database.ts';

// Always PGlite (the file is not a *.db.test.ts, so the PostgreSQL pass leaves it out).
let db: Database;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.close());

describe('the embedded database under load', () => {
  it('lets timers and sockets run between statements, so heartbeats are not starved', async () => {
    let finished = 0;
    let finishedWhenTheTimerRan = -1;
    // Several callers, each running statements one after another, as turns and stores do.
    const callers = Array.from({ length: 5 }, async () => {
      for (let i = 0; i < 20; i++) {
        await db.query('select count(*) from generate_series(1, 2000)');
        finished++;
      }
    });
    setTimeout(() => {
      finishedWhenTheTimerRan = finished;
    }, 0);
    await Promise.all(callers);
    expect(finished).toBe(100);
    // Without a turn of the event loop between statements, the timer would wait for all 100.
    expect(finishedWhenTheTimerRan).toBeGreaterThanOrEqual(0);
    expect(finishedWhenTheTimerRan).toBeLessThan(100);
  });

  it('runs interactive work (an acknowledgement waiting) before queued background work', async () => {
    const finished: string[] = [];
    const background = Array.from({ length: 20 }, (_, i) =>
      db.query('select count(*) from generate_series(1, 2000)').then(() => finished.push(`background ${i}`)),
    );
    const interactive = db
      .transaction((tx) => tx.query('select 1'), { interactive: true })
      .then(() => finished.push('interactive'));
    const statement = db.query('select 1', [], { interactive: true }).then(() => finished.push('statement'));
    await Promise.all([...background, interactive, statement]);
    // Queued last, they ran right after the statement already running.
    expect(finished.indexOf('interactive')).toBeLessThanOrEqual(1);
    expect(finished.indexOf('statement')).toBeLessThanOrEqual(2);
    // Background work keeps its order.
    const order = finished.filter((entry) => !['interactive', 'statement'].includes(entry));
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => `background ${i}`));
  });
});

describe('closing the embedded database', () => {
  it('finishes the statements already queued, then closes', async () => {
    const closing = await createTestDatabase();
    const queued = Array.from({ length: 10 }, () => closing.query<{ n: number }>('select 1 as n'));
    await closing.close();
    expect((await Promise.all(queued)).flat()).toEqual(Array.from({ length: 10 }, () => ({ n: 1 })));
  });

  it('does not wait for ever on a transaction stuck outside the database', async () => {
    const stuck = await openPglite(undefined, { closeWaitMs: 200 });
    void stuck.transaction(() => new Promise(() => {})); // a provider call that never answers
    await expect(stuck.close()).rejects.toThrow(/still busy after 200 ms/);
  });
});
