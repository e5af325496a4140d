import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../tests/support/test-database.ts';
import type { Database } from './database.ts';

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
});
