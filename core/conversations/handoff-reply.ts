import type { Db } from '../db.ts';
import type { Organization } from '../organizations.ts';
import { describeWorkingHours, type WorkingHours, withinWorkingHours } from '../working-hours.ts';

/**
 * What the agent may honestly say to a prospect who asked for a person: that a person will join
 * only while one can (within the organization's working hours, with a rep who takes
 * conversations); otherwise that nobody is available right now, with a follow-up offered.
 */
export interface RepAvailability {
  /** A person can join now. */
  onDuty: boolean;
  /** Outside the organization's working hours. */
  afterHours: boolean;
}

export async function repAvailability(
  db: Db,
  organization: Pick<Organization, 'id' | 'settings'>,
  now: Date,
): Promise<RepAvailability> {
  if (!withinWorkingHours(organization.settings.workingHours, now))
    return { onDuty: false, afterHours: true };
  // The reps rep selection would consider (core/routing/rep-selection.ts `loadRepCandidates`).
  const reps = await db.query('select 1 from users where org_id = $1 and active and capacity > 0 limit 1', [
    organization.id,
  ]);
  return { onDuty: reps.length > 0, afterHours: false };
}

/**
 * Nobody can join: say why, offer a follow-up on the address the contact has — or ask for one
 * when it has neither — and keep helping. It promises no time: nobody knows when a rep is free.
 */
export function noRepAvailableLine(input: {
  afterHours: boolean;
  workingHours?: WorkingHours;
  email: string | null;
  phone: string | null;
}): string {
  const why = input.afterHours
    ? `Our team is offline right now${input.workingHours ? ` (they are in ${describeWorkingHours(input.workingHours)})` : ''}, so nobody can join this conversation at the moment.`
    : "I'm sorry — nobody from our team is free to join this conversation right now.";
  const followUp = input.email
    ? `Someone from the team can follow up with you by email at ${input.email}${input.phone ? ` or by phone at ${input.phone}` : ''}.`
    : input.phone
      ? `Someone from the team can follow up with you by phone at ${input.phone}.`
      : "Someone from the team can follow up with you — what's the best email address or phone number to reach you?";
  return `${why} ${followUp} In the meantime, I'm happy to keep helping with anything I can.`;
}
