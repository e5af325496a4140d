/**
 * Hands out a pool's connections so that background work (agent turns, workflow steps) never
 * holds all of them. Under load every background connection can sit waiting on a lock (the audit
 * chain, a conversation row); `reserved` connections stay free for interactive work — a
 * prospect's message waiting for its acknowledgement — and interactive waiters go first. Each
 * class keeps its arrival order.
 */
export interface ConnectionGate {
  run<T>(interactive: boolean, work: () => Promise<T>): Promise<T>;
}

export function createConnectionGate(size: number, reserved: number): ConnectionGate {
  if (!(reserved >= 0 && reserved < size)) {
    throw new Error(`a pool of ${size} cannot reserve ${reserved} connections: background work needs one`);
  }
  const waiting = { interactive: [] as (() => void)[], background: [] as (() => void)[] };
  let inUse = 0;
  let backgroundInUse = 0;

  const grant = () => {
    while (inUse < size) {
      let start = waiting.interactive.shift();
      if (!start && backgroundInUse < size - reserved) {
        start = waiting.background.shift();
        if (start) backgroundInUse++;
      }
      if (!start) return;
      inUse++;
      start();
    }
  };

  return {
    async run(interactive, work) {
      await new Promise<void>((resolve) => {
        (interactive ? waiting.interactive : waiting.background).push(resolve);
        grant();
      });
      try {
        return await work();
      } finally {
        inUse--;
        if (!interactive) backgroundInUse--;
        grant();
      }
    },
  };
}
