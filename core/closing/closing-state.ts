/**
 * What the closer keeps between turns of a conversation (routing mode A), under
 * `conversations.agent_state.closing`: the plan it proposed, the link it sent, the demo times it
 * offered and the demo booked. The deal itself (stage, amount) lives in `deals`.
 */
export interface Proposal {
  plan: string;
  seats: number;
  /** What one billing period costs; the payment link charges this. */
  periodAmountCents: number;
  /** The deal's value over a year. */
  annualAmountCents: number;
  currency: string;
  period: 'month' | 'year';
  /** "Growth for 12 users: $588 a month ($7,056 a year)", as the prospect was told. */
  summary: string;
}

export interface OfferedSlot {
  /** As the prospect sees it: 1, 2, 3. */
  number: number;
  repId: string;
  startsAt: string;
  /** In the prospect's time zone (or the rep's, when the prospect's is unknown). */
  label: string;
}

export interface ClosingState {
  /** The closer's first message was sent. */
  openedAt?: string;
  proposal?: Proposal;
  /** The payment link sent for the current proposal. */
  paymentUrl?: string;
  offeredSlots?: OfferedSlot[];
  meetingId?: string;
  /** The booked demo, described for the prospect. */
  meetingLabel?: string;
  /** Objection topics raised so far, oldest first. */
  objections?: string[];
}
