import { describe, expect, it } from 'vitest';
import { createConnectionGate } from './connection-gate.ts';

/** Work that holds its connection until `release` is called. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { work: () => done, release };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the connection gate', () => {
  it('keeps the reserved connections free of background work', async () => {
    const gate = createConnectionGate(4, 2);
    const started: string[] = [];
    const background = Array.from({ length: 3 }, (_, i) => {
      const h = held();
      const run = gate.run(false, () => {
        started.push(`background ${i}`);
        return h.work();
      });
      return { ...h, run };
    });
    await settle();
    expect(started).toEqual(['background 0', 'background 1']);

    // Both reserved connections serve interactive work while background holds its share.
    const interactive = await Promise.all([
      gate.run(true, async () => 'ack 1'),
      gate.run(true, async () => 'ack 2'),
    ]);
    expect(interactive).toEqual(['ack 1', 'ack 2']);
    expect(started).toHaveLength(2);

    background[0]!.release();
    await background[0]!.run;
    await settle();
    expect(started).toEqual(['background 0', 'background 1', 'background 2']);
    background[1]!.release();
    background[2]!.release();
    await Promise.all(background.map((b) => b.run));
  });

  it('lets interactive waiters go first when a connection frees, each class in arrival order', async () => {
    const gate = createConnectionGate(1, 0);
    const first = held();
    const order: string[] = [];
    const running = gate.run(false, first.work);
    const waiting = [
      gate.run(false, async () => order.push('background 1')),
      gate.run(true, async () => order.push('interactive 1')),
      gate.run(false, async () => order.push('background 2')),
      gate.run(true, async () => order.push('interactive 2')),
    ];
    await settle();
    expect(order).toEqual([]);
    first.release();
    await Promise.all([running, ...waiting]);
    expect(order).toEqual(['interactive 1', 'interactive 2', 'background 1', 'background 2']);
  });

  it('frees the connection when the work fails', async () => {
    const gate = createConnectionGate(1, 0);
    await expect(gate.run(false, async () => Promise.reject(new Error('statement failed')))).rejects.toThrow(
      'statement failed',
    );
    await expect(gate.run(false, async () => 'next')).resolves.toBe('next');
  });

  it('refuses a reservation that leaves background work no connection', () => {
    expect(() => createConnectionGate(3, 3)).toThrow('a pool of 3 cannot reserve 3 connections');
    expect(() => createConnectionGate(3, -1)).toThrow();
  });
});
