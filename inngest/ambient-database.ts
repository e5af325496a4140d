import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../core/db.ts';

/**
 * A `Db` whose calls join the transaction that is open in the current async context. The
 * embedded runtime runs each `step.run` in a transaction together with the step's memo, so a
 * domain function called from a step commits its writes exactly when the step is recorded —
 * even though it was handed the plain `db`.
 */
export function ambientDatabase<D extends Db>(base: D): D {
  const open = new AsyncLocalStorage<Db>();
  return {
    ...base,
    query: (sql, params, options) => (open.getStore() ?? base).query(sql, params, options),
    transaction: (work, options) => {
      const tx = open.getStore();
      if (tx) return work(tx);
      return base.transaction((newTx) => open.run(newTx, () => work(newTx)), options);
    },
  };
}
