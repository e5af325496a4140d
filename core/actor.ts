/** Who is acting: written to the audit log with every change. */
export interface Actor {
  type: 'agent' | 'rep' | 'api_key' | 'system' | 'prospect';
  id?: string;
}

export const systemActor: Actor = { type: 'system' };
