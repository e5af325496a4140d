import type { Db } from '../../core/db.ts';

/** A database the process owns: the domain's `Db` plus what only the process may do. */
export interface Database extends Db {
  readonly kind: 'pglite' | 'postgres';
  /** Runs a multi-statement SQL script atomically, in one transaction (migrations). */
  execScript(sql: string): Promise<void>;
  close(): Promise<void>;
}
