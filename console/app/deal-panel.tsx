import { useEffect, useId, useState } from 'preact/hooks';

/**
 * The lead panel's deal (its stage, which the rep moves) and the lead's meetings, from
 * `GET /console/api/contacts/:id/deal`, `PATCH /console/api/deals/:id` and
 * `GET /console/api/contacts/:id/meetings`. The server's rules stand: a won deal is final, `lost`
 * needs a reason; what it refuses is shown as it says it. Everything is rendered as text.
 */
const stages = ['open', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const;
type DealStage = (typeof stages)[number];
const stageLabel: Record<DealStage, string> = {
  open: 'Open',
  qualified: 'Qualified',
  proposal: 'Proposal',
  negotiation: 'Negotiation',
  won: 'Won',
  lost: 'Lost',
};

/** The fields of core/deals/deal-pipeline.ts `DealWithHistory` the panel shows (dates as JSON). */
interface Deal {
  id: string;
  stage: DealStage;
  amountCents: number | null;
  currency: string;
  ownerId: string | null;
  lostReason: string | null;
  stageChangedAt: string | null;
}
/** core/meetings/meetings.ts `Meeting`, as JSON. */
interface Meeting {
  id: string;
  repId: string;
  startsAt: string;
  endsAt: string;
  title: string;
  status: 'booked' | 'cancelled';
  cancelReason: string | null;
}
/** The signed-in rep, to say "you" of their own deals and meetings. */
interface Me {
  id: string;
  name: string | null;
}

/** A console API call; a refusal throws the problem's `detail` (or `title`). */
async function request<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`/console/api${path}`, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  let data: { detail?: unknown; title?: unknown } = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  if (!response.ok) {
    const message = [data.detail, data.title].find((m) => typeof m === 'string' && m.trim());
    throw new Error((message as string | undefined) ?? (response.statusText || `HTTP ${response.status}`));
  }
  return data as T;
}

function formatAmount(cents: number, currency: string): string {
  const amount = cents / 100;
  const whole = cents % 100 === 0;
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency: currency.toUpperCase(),
      ...(whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {}),
    }).format(amount);
  } catch {
    // A currency code Intl does not know: the number and the code as stored.
    return `${new Intl.NumberFormat(undefined, { minimumFractionDigits: whole ? 0 : 2 }).format(amount)} ${currency.toUpperCase()}`;
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const sameDay = (a: Date, b: Date) => dateOnly.format(a) === dateOnly.format(b);

type Pending = { stage: 'lost'; reason: string } | { stage: 'won' };

/** The lead's deal: amount, owner, and the stage the rep moves. Keyed by the contact (fresh state per lead). */
export function DealPanel({ contactId, me, refresh }: { contactId: string; me: Me; refresh: number }) {
  const selectId = useId();
  const reasonId = useId();
  /** undefined while loading, null when the lead has no deal yet. */
  const [deal, setDeal] = useState<Deal | null | undefined>(undefined);
  const [pending, setPending] = useState<Pending | null>(null);
  /** The stage being sent, shown until the server answers. */
  const [saving, setSaving] = useState<DealStage | null>(null);
  const [error, setError] = useState('');

  // `refresh` re-reads on live events.
  useEffect(() => {
    let current = true;
    request<{ deal: Deal | null }>(`/contacts/${contactId}/deal`).then(
      (r) => current && setDeal(r.deal),
      (err: Error) => current && setError(err.message),
    );
    return () => {
      current = false;
    };
  }, [contactId, refresh]);

  const move = async (patch: { stage: DealStage; lostReason?: string }) => {
    if (!deal) return;
    setSaving(patch.stage);
    setError('');
    let refused = '';
    try {
      await request(`/deals/${deal.id}`, { method: 'PATCH', body: patch });
      setPending(null);
    } catch (err) {
      refused = (err as Error).message;
      setError(refused);
    }
    // Re-read either way: a refusal may mean someone moved the deal meanwhile (won it, say).
    try {
      const { deal: fresh } = await request<{ deal: Deal | null }>(`/contacts/${contactId}/deal`);
      setDeal(fresh);
      if (fresh?.stage === 'won') setPending(null);
    } catch (err) {
      if (!refused) setError((err as Error).message);
    } finally {
      setSaving(null);
    }
  };

  const heading = <h3>Deal</h3>;
  if (deal === undefined) {
    return (
      <section class="deal" aria-label="Deal">
        {heading}
        {error ? <p class="panel-error">{error}</p> : <p class="quiet">Loading…</p>}
      </section>
    );
  }
  if (deal === null) {
    return (
      <section class="deal" aria-label="Deal">
        {heading}
        <p class="quiet">No deal yet</p>
      </section>
    );
  }

  const won = deal.stage === 'won';
  const shown = saving ?? pending?.stage ?? deal.stage;
  const errorLine = error ? <p class="panel-error">{error}</p> : null;
  const owner =
    deal.ownerId === null
      ? null
      : deal.ownerId === me.id
        ? `You${me.name ? ` (${me.name})` : ''}`
        : 'Another rep';
  return (
    <section class="deal" aria-label="Deal" data-stage={deal.stage}>
      {heading}
      <dl class="facts">
        <dt>Amount</dt>
        <dd class="amount">
          {deal.amountCents === null ? (
            <span class="quiet">Not set</span>
          ) : (
            formatAmount(deal.amountCents, deal.currency)
          )}
        </dd>
        {owner ? (
          <>
            <dt>Owner</dt>
            <dd>{owner}</dd>
          </>
        ) : null}
        {deal.stageChangedAt ? (
          <>
            <dt>Stage since</dt>
            <dd>
              <time dateTime={deal.stageChangedAt}>{dateOnly.format(new Date(deal.stageChangedAt))}</time>
            </dd>
          </>
        ) : null}
      </dl>
      <div class="stage">
        <label for={selectId}>Deal stage</label>
        <select
          id={selectId}
          class={`stage-${shown}`}
          value={shown}
          disabled={won || saving !== null}
          onChange={(e) => {
            const stage = (e.target as HTMLSelectElement).value as DealStage;
            setError('');
            if (stage === deal.stage) setPending(null);
            else if (stage === 'lost') setPending({ stage: 'lost', reason: '' });
            else if (stage === 'won') setPending({ stage: 'won' });
            else {
              setPending(null);
              void move({ stage });
            }
          }}
        >
          {stages.map((stage) => (
            <option key={stage} value={stage}>
              {stageLabel[stage]}
            </option>
          ))}
        </select>
        {saving ? <span class="quiet">Saving…</span> : null}
      </div>
      {/* A refusal of a won deal says the same; once is enough. */}
      {won && !error ? <p class="note">A won deal is final: its stage cannot change.</p> : null}
      {deal.stage === 'lost' && deal.lostReason ? (
        <p class="note">
          Lost: <span class="reason">{deal.lostReason}</span>
        </p>
      ) : null}
      {pending?.stage === 'lost' ? (
        <form
          class="confirm"
          onSubmit={(e) => {
            e.preventDefault();
            const reason = pending.reason.trim();
            // Without a reason the server says what is missing.
            void move(reason ? { stage: 'lost', lostReason: reason } : { stage: 'lost' });
          }}
        >
          <label for={reasonId}>Why was it lost?</label>
          <input
            id={reasonId}
            type="text"
            maxLength={500}
            value={pending.reason}
            placeholder="e.g. chose another vendor"
            // biome-ignore lint/a11y/noAutofocus: the rep just asked for this field
            autoFocus
            onInput={(e) => setPending({ stage: 'lost', reason: (e.target as HTMLInputElement).value })}
          />
          <div class="actions">
            <button type="submit" class="primary" disabled={saving !== null}>
              Mark lost
            </button>
            <button type="button" disabled={saving !== null} onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
          {errorLine}
        </form>
      ) : null}
      {pending?.stage === 'won' ? (
        <div class="confirm">
          <p>A won deal is final: once won, its stage cannot change.</p>
          <div class="actions">
            <button
              type="button"
              class="primary"
              disabled={saving !== null}
              onClick={() => void move({ stage: 'won' })}
            >
              Mark won
            </button>
            <button type="button" disabled={saving !== null} onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
          {errorLine}
        </div>
      ) : null}
      {pending ? null : errorLine}
    </section>
  );
}

function MeetingItem({ meeting, me }: { meeting: Meeting; me: Me }) {
  const starts = new Date(meeting.startsAt);
  const ends = new Date(meeting.endsAt);
  return (
    <li class={`meeting ${meeting.status}`} data-status={meeting.status}>
      <div class="when">
        <time dateTime={meeting.startsAt}>{dateTime.format(starts)}</time>
        {' – '}
        <time dateTime={meeting.endsAt}>{(sameDay(starts, ends) ? timeOnly : dateTime).format(ends)}</time>
      </div>
      <div class="what">
        <span class="title">{meeting.title}</span>
        <span class={`badge ${meeting.status}`}>{meeting.status === 'booked' ? 'Booked' : 'Cancelled'}</span>
      </div>
      {meeting.repId === me.id ? <div class="quiet">With you</div> : null}
      {meeting.status === 'cancelled' && meeting.cancelReason ? (
        <div class="quiet">Reason: {meeting.cancelReason}</div>
      ) : null}
    </li>
  );
}

/** The lead's meetings, the coming ones first (soonest first), then the past (latest first). */
export function MeetingsPanel({ contactId, me, refresh }: { contactId: string; me: Me; refresh: number }) {
  const [meetings, setMeetings] = useState<Meeting[] | undefined>(undefined);
  const [error, setError] = useState('');
  // `refresh` re-reads on live events.
  useEffect(() => {
    let current = true;
    setError('');
    request<{ items: Meeting[] }>(`/contacts/${contactId}/meetings`).then(
      (r) => current && setMeetings(r.items),
      (err: Error) => current && setError(err.message),
    );
    return () => {
      current = false;
    };
  }, [contactId, refresh]);

  const now = Date.now();
  const upcoming = (meetings ?? [])
    .filter((m) => new Date(m.endsAt).getTime() > now)
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const past = (meetings ?? [])
    .filter((m) => new Date(m.endsAt).getTime() <= now)
    .sort((a, b) => b.startsAt.localeCompare(a.startsAt));
  return (
    <section class="meetings" aria-label="Meetings">
      <h3>Meetings</h3>
      {error ? <p class="panel-error">{error}</p> : null}
      {meetings === undefined ? (
        error ? null : (
          <p class="quiet">Loading…</p>
        )
      ) : meetings.length === 0 ? (
        <p class="quiet">No meetings</p>
      ) : (
        <>
          {upcoming.length > 0 ? (
            <>
              <h4>Upcoming</h4>
              <ul aria-label="Upcoming meetings">
                {upcoming.map((m) => (
                  <MeetingItem key={m.id} meeting={m} me={me} />
                ))}
              </ul>
            </>
          ) : null}
          {past.length > 0 ? (
            <>
              <h4>Past</h4>
              <ul aria-label="Past meetings">
                {past.map((m) => (
                  <MeetingItem key={m.id} meeting={m} me={me} />
                ))}
              </ul>
            </>
          ) : null}
        </>
      )}
    </section>
  );
}

/** The panel's styles, added to the console's own (main.tsx). */
export const dealPanelStyle = `
.deal,.meetings{margin-bottom:14px}.deal h3,.meetings h3{margin:4px 0 8px}
.quiet{color:#64748b;font-size:12px;margin:0}.panel-error{margin:6px 0 0;padding:6px 8px;border-radius:6px;background:#fee2e2;color:#991b1b;font-size:12px;overflow-wrap:anywhere}
.deal .facts{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:0 0 8px;font-size:13px}.deal dt{color:#64748b}.deal dd{margin:0;overflow-wrap:anywhere}.deal .amount{font-weight:600}
.deal .stage{display:flex;align-items:center;gap:8px;font-size:13px}.deal .stage label{color:#64748b}
.deal select,.deal input,.deal button{font:inherit;font-size:13px}
.deal select{padding:3px 8px;border:1px solid #cbd5e1;border-radius:6px;background:#fff;color:#0f172a}
.deal select.stage-won{background:#dcfce7;border-color:#86efac}.deal select.stage-lost{background:#f1f5f9}
.deal select:disabled{opacity:1;color:#166534;cursor:not-allowed}
.deal .note{margin:6px 0 0;font-size:12px;color:#475569;overflow-wrap:anywhere}
.deal .confirm{margin-top:8px;padding:8px;border:1px solid #e2e8f0;border-radius:8px;background:#f8fafc;display:flex;flex-direction:column;gap:6px;font-size:12px}
.deal .confirm p{margin:0}.deal .confirm .panel-error{margin:0}.deal .confirm input{padding:4px 8px;border:1px solid #cbd5e1;border-radius:6px}
.deal .actions{display:flex;gap:6px}.deal .actions button{padding:3px 10px;border:1px solid #cbd5e1;border-radius:6px;background:#fff;cursor:pointer}
.deal .actions button.primary{background:#1d4ed8;border-color:#1d4ed8;color:#fff}.deal .actions button:disabled{opacity:.6;cursor:default}
.meetings h4{margin:8px 0 4px;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:#64748b}
.meetings ul{list-style:none;margin:0;padding:0}.meeting{padding:6px 0;border-bottom:1px solid #f1f5f9;font-size:12px}
.meeting .when{color:#334155}.meeting .what{display:flex;gap:6px;align-items:baseline;justify-content:space-between}
.meeting .title{font-weight:600;font-size:13px;overflow-wrap:anywhere}.meeting.cancelled .title{text-decoration:line-through;color:#64748b}
.badge{font-size:11px;padding:1px 6px;border-radius:8px;white-space:nowrap}.badge.booked{background:#dcfce7;color:#166534}.badge.cancelled{background:#e2e8f0;color:#475569}`;
