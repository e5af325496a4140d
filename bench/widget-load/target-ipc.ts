import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * What the bench and a server under test (QuotaHit or the bare echo) say over the fork IPC
 * channel. The bench reads RSS itself from /proc/<pid>/status; the heap and the event-loop delay
 * come from here.
 */
export type BenchTargetMessage = { type: 'memory' } | { type: 'stop' };

export interface TargetReady {
  type: 'ready';
  url: string;
  key: string;
  orgId: string | null;
  origin: string;
}

export interface TargetMemory {
  type: 'memory';
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** How late the event loop ran since the previous answer (ms): how long I/O and timers waited. */
  loopDelay: { p50: number; p99: number; max: number };
}

const resolutionMs = 10;
const loopDelay = monitorEventLoopDelay({ resolution: resolutionMs });
loopDelay.enable();
// The histogram holds the time between its timer's ticks: the delay is what exceeds the tick.
const lateBy = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - resolutionMs);

/** Collects garbage first (the child runs with --expose-gc), so the heap is what is live. */
export function answerMemory(): void {
  const delay = {
    p50: lateBy(loopDelay.percentile(50)),
    p99: lateBy(loopDelay.percentile(99)),
    max: lateBy(loopDelay.max),
  };
  loopDelay.reset();
  globalThis.gc?.();
  globalThis.gc?.();
  const usage = process.memoryUsage();
  const answer: TargetMemory = {
    type: 'memory',
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    loopDelay: delay,
  };
  process.send!(answer);
}
