import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { io } from 'socket.io-client';
import { DealPanel, dealPanelStyle, MeetingsPanel } from './deal-panel.tsx';

/**
 * The rep console: sign in, a live inbox with each conversation's mode, and a conversation with
 * its lead panel (the lead's deal, whose stage the rep moves, and meetings: deal-panel.tsx) — take
 * over (the agent stops answering at once), reply as yourself, hand back.
 * Everything prospects wrote is rendered as text.
 */
interface Rep {
  id: string;
  name: string | null;
  email: string;
}
interface InboxItem {
  id: string;
  channel: string;
  mode: 'ai' | 'human' | 'closed';
  assignedRepId: string | null;
  contactName: string | null;
  contactEmail: string | null;
  leadScore: number | null;
  lastMessage: string | null;
  assignedToMe: boolean;
  /** The prospect asked for a person and waits for a rep. */
  handoff: {
    status: 'waiting_for_rep';
    since: string;
    reason: string | null;
    noRepAvailableAt: string | null;
  } | null;
}
/** A live `handoff` event: someone asked for a person. */
interface HandoffNotice {
  conversationId: string;
  reason: string | null;
}
interface Message {
  id: string;
  sender: string;
  channel: string;
  body: string;
  status: string;
  createdAt: string;
}
interface Delivery {
  id: string;
  channel: string;
  purpose: string;
  to: string | null;
  subject: string | null;
  body: string;
  status: string;
  mode: 'live' | 'recorded' | null;
  reasons: string[];
  providerStatus: string | null;
  createdAt: string;
}
interface Panel {
  conversation: InboxItem & { contactId: string };
  messages: Message[];
  lead: {
    firstName: string | null;
    lastName: string | null;
    email: string | null;
    phone: string | null;
    company: string | null;
    title: string | null;
    status: string;
    leadScore: number | null;
    scoreBreakdown: { signal: string; points: number; max: number; reason: string }[];
    qualification: { outcome: string | null; bant: Record<string, unknown>; reasons?: string[] };
    routing: { mode?: string; reasons?: string[] } | null;
  };
  audit: { id: string; action: string; actorType: string; createdAt: string; outcome: string }[];
  deliveries: Delivery[];
  briefing: { subject: string; email: string; builtAt: string } | null;
}
/** Provider name → `live`, `recorded-only`, ... (the server's start-up report). */
type Providers = Record<string, string>;

async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/console/api${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw new Error(data.detail ?? response.statusText);
  return data as T;
}

function SignIn({ onSignedIn }: { onSignedIn(rep: Rep): void }) {
  const [error, setError] = useState('');
  return (
    <form
      class="signin"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.target as HTMLFormElement);
        try {
          const { rep } = await api<{ rep: Rep }>('/sign-in', {
            email: form.get('email'),
            password: form.get('password'),
          });
          onSignedIn(rep);
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <h1>QuotaHit console</h1>
      <label>
        Email <input name="email" type="email" autoComplete="username" required />
      </label>
      <label>
        Password <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error ? <p role="alert">{error}</p> : null}
      <button type="submit">Sign in</button>
    </form>
  );
}

/** What a message's delivery status means to a rep, in a few words. */
function deliveryLabel(status: string): string {
  if (status === 'recorded') return 'recorded, not sent (no provider key)';
  if (status === 'refused') return 'not sent: refused by compliance';
  return status;
}

/** "Waiting for rep" on a conversation whose prospect asked for a person; says when nobody came. */
function WaitingBadge({ handoff }: { handoff: NonNullable<InboxItem['handoff']> }) {
  return (
    <span class="waiting" data-handoff={handoff.status} title={handoff.reason ?? ''}>
      {handoff.noRepAvailableAt ? 'Waiting for rep · follow up' : 'Waiting for rep'}
    </span>
  );
}

function Console({ rep, providers }: { rep: Rep; providers: Providers }) {
  const recordedOnly = Object.entries(providers).filter(([, mode]) => mode.startsWith('recorded'));
  const [inbox, setInbox] = useState<InboxItem[]>([]);
  const [mine, setMine] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const [panel, setPanel] = useState<Panel | null>(null);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  const [notice, setNotice] = useState<HandoffNotice | null>(null);
  // Events of the open conversation re-read its lead's deal and meetings (an agent may move them).
  const [leadTick, setLeadTick] = useState(0);
  const openRef = useRef<string | null>(null);
  openRef.current = openId;

  useEffect(() => {
    const socket = io('/console', { withCredentials: true });
    socket.on(
      'conversation',
      (event: { type: string; state?: string; conversationId: string; reason?: string | null }) => {
        if (event.type === 'handoff' && event.state === 'waiting_for_rep') {
          setNotice({ conversationId: event.conversationId, reason: event.reason ?? null });
        }
        setTick((t) => t + 1);
        if (event.conversationId === openRef.current) setLeadTick((t) => t + 1);
      },
    );
    return () => socket.close();
  }, []);
  useEffect(() => {
    api<{ items: InboxItem[] }>(`/conversations${mine ? '?mine=true' : ''}`).then(
      (r) => setInbox(r.items),
      () => {},
    );
  }, [mine, tick]);
  useEffect(() => {
    if (openId) api<Panel>(`/conversations/${openId}`).then(setPanel, (err) => setError(err.message));
  }, [openId, tick]);

  const act = async (path: string, body: unknown = {}) => {
    setError('');
    try {
      await api(`/conversations/${openId}${path}`, body);
      setTick((t) => t + 1);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const conversation = panel?.conversation;
  const human = conversation?.mode === 'human';
  const lead = panel?.lead;

  return (
    <div class="shell">
      {recordedOnly.length > 0 ? (
        <p class="providers" role="note">
          Recorded only, not sent: {recordedOnly.map(([name]) => name).join(', ')}. Their messages are kept
          here for review; set the provider keys to send them.
        </p>
      ) : null}
      {notice ? (
        <p class="notice" role="status">
          A prospect is waiting for a rep{notice.reason ? ` (${notice.reason})` : ''}.{' '}
          <button
            type="button"
            onClick={() => {
              setOpenId(notice.conversationId);
              setNotice(null);
            }}
          >
            Open
          </button>{' '}
          <button type="button" onClick={() => setNotice(null)}>
            Dismiss
          </button>
        </p>
      ) : null}
      <div class="console">
        <aside>
          <header>
            <b>{rep.name ?? rep.email}</b>
            <label>
              <input
                type="checkbox"
                checked={mine}
                onChange={(e) => setMine((e.target as HTMLInputElement).checked)}
              />{' '}
              Assigned to me
            </label>
          </header>
          <ul aria-label="Conversations">
            {inbox.map((item) => (
              <li key={item.id}>
                <button
                  type="button"
                  class={item.id === openId ? 'active' : ''}
                  onClick={() => setOpenId(item.id)}
                >
                  <span class={`mode ${item.mode}`}>
                    {item.mode === 'human' ? 'Human' : item.mode === 'ai' ? 'AI' : 'Closed'}
                  </span>
                  {item.handoff ? <WaitingBadge handoff={item.handoff} /> : null}
                  <strong>{item.contactName ?? item.contactEmail ?? 'Website visitor'}</strong>
                  {item.assignedToMe ? <em> · mine</em> : null}
                  <small>{item.lastMessage ?? ''}</small>
                </button>
              </li>
            ))}
          </ul>
        </aside>
        <main>
          {panel && conversation && lead ? (
            <>
              <div class="toolbar">
                <h2>
                  {[lead.firstName, lead.lastName].filter(Boolean).join(' ') ||
                    lead.email ||
                    'Website visitor'}
                </h2>
                <span class={`mode ${conversation.mode}`} data-mode={conversation.mode}>
                  {human ? 'You are answering' : conversation.mode === 'ai' ? 'AI is answering' : 'Closed'}
                </span>
                {conversation.handoff ? <WaitingBadge handoff={conversation.handoff} /> : null}
                {conversation.mode === 'ai' ? (
                  <button type="button" onClick={() => act('/takeover')}>
                    Take over
                  </button>
                ) : null}
                {human ? (
                  <button type="button" onClick={() => act('/handback')}>
                    Hand back to AI
                  </button>
                ) : null}
              </div>
              {error ? <p role="alert">{error}</p> : null}
              <div class="thread" role="log" aria-live="polite">
                {panel.messages.map((m) => (
                  <p key={m.id} class={`msg ${m.sender}`} data-status={m.status}>
                    <span class="who">
                      {m.sender} · {m.channel}
                      {m.sender !== 'prospect' && m.status !== 'sent' ? ` · ${deliveryLabel(m.status)}` : ''}
                    </span>
                    {m.body}
                  </p>
                ))}
              </div>
              {human && conversation.assignedRepId === rep.id ? (
                <form
                  class="reply"
                  onSubmit={async (e) => {
                    e.preventDefault();
                    if (!draft.trim()) return;
                    await act('/messages', { body: draft, clientId: crypto.randomUUID() });
                    setDraft('');
                  }}
                >
                  <textarea
                    aria-label="Reply"
                    value={draft}
                    onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
                  />
                  <button type="submit">Send</button>
                </form>
              ) : null}
            </>
          ) : (
            <p class="empty">Choose a conversation.</p>
          )}
        </main>
        {lead ? (
          <section class="lead" aria-label="Lead">
            {conversation ? (
              <>
                <DealPanel
                  key={conversation.contactId}
                  contactId={conversation.contactId}
                  me={rep}
                  refresh={leadTick}
                />
                <MeetingsPanel
                  key={conversation.contactId}
                  contactId={conversation.contactId}
                  me={rep}
                  refresh={leadTick}
                />
              </>
            ) : null}
            <h3>Lead score {lead.leadScore ?? '—'}</h3>
            <table>
              <tbody>
                {lead.scoreBreakdown.map((entry) => (
                  <tr key={entry.signal}>
                    <td>{entry.signal}</td>
                    <td>
                      {entry.points}/{entry.max}
                    </td>
                    <td>{entry.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>BANT+ {lead.qualification.outcome ? `· ${lead.qualification.outcome}` : ''}</h3>
            <pre>{JSON.stringify(lead.qualification.bant, null, 2)}</pre>
            {lead.routing?.reasons?.length ? (
              <>
                <h3>Routing {lead.routing.mode ? `· mode ${lead.routing.mode}` : ''}</h3>
                <ul>
                  {lead.routing.reasons.map((reason) => (
                    <li key={reason}>{reason}</li>
                  ))}
                </ul>
              </>
            ) : null}
            {panel?.briefing ? (
              <>
                <h3>Briefing · {new Date(panel.briefing.builtAt).toLocaleString()}</h3>
                <pre class="briefing">{panel.briefing.email}</pre>
              </>
            ) : null}
            <h3>Outbox</h3>
            <ol class="outbox" aria-label="Outbox">
              {panel?.deliveries.map((d) => (
                <li key={d.id} data-status={d.status}>
                  <b>
                    {d.channel} · {d.purpose.replace(/_/g, ' ')}
                  </b>{' '}
                  to {d.to ?? '—'} · {deliveryLabel(d.status)}
                  {d.providerStatus ? ` · ${d.providerStatus}` : ''}
                  {d.reasons.length > 0 ? ` (${d.reasons.join(', ')})` : ''}
                  {d.subject ? <div class="subject">{d.subject}</div> : null}
                  <div class="body">{d.body}</div>
                </li>
              ))}
            </ol>
            <h3>Audit</h3>
            <ol class="audit">
              {panel?.audit.map((entry) => (
                <li key={entry.id}>
                  {new Date(entry.createdAt).toLocaleString()} · {entry.actorType} · {entry.action}
                  {entry.outcome !== 'ok' ? ` (${entry.outcome})` : ''}
                </li>
              ))}
            </ol>
          </section>
        ) : null}
      </div>
    </div>
  );
}

function App() {
  const [rep, setRep] = useState<Rep | null | undefined>(undefined);
  const [providers, setProviders] = useState<Providers>({});
  const load = () =>
    api<{ rep: Rep; providers?: Providers }>('/me').then(
      (r) => {
        setProviders(r.providers ?? {});
        setRep(r.rep);
      },
      () => setRep(null),
    );
  useEffect(() => {
    load();
  }, []);
  if (rep === undefined) return null;
  return rep ? <Console rep={rep} providers={providers} /> : <SignIn onSignedIn={() => load()} />;
}

const style = document.createElement('style');
style.textContent = `body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#0f172a}
.signin{max-width:320px;margin:12vh auto;display:flex;flex-direction:column;gap:10px}.signin label{display:flex;flex-direction:column}
.shell{display:flex;flex-direction:column;height:100vh}.console{display:grid;grid-template-columns:280px 1fr 340px;flex:1;min-height:0}
aside{border-right:1px solid #e2e8f0;overflow:auto}aside header{padding:10px;display:flex;flex-direction:column;gap:4px;border-bottom:1px solid #e2e8f0}
aside ul{list-style:none;margin:0;padding:0}aside li button{width:100%;text-align:left;border:0;border-bottom:1px solid #f1f5f9;background:#fff;padding:8px 10px;cursor:pointer;display:block}
aside li button.active{background:#eff6ff}aside small{display:block;color:#64748b;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.mode{font-size:11px;padding:1px 6px;border-radius:8px;background:#e0e7ff;margin-right:6px}.mode.human{background:#fde68a}.mode.closed{background:#e2e8f0}
main{display:flex;flex-direction:column;overflow:hidden}.toolbar{display:flex;gap:10px;align-items:center;padding:10px;border-bottom:1px solid #e2e8f0}.toolbar h2{margin:0;font-size:16px;flex:1}
.thread{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:6px;background:#f8fafc}
.msg{margin:0;padding:6px 10px;border-radius:10px;background:#fff;border:1px solid #e2e8f0;max-width:80%;white-space:pre-wrap;overflow-wrap:anywhere}
.msg.prospect{align-self:flex-start}.msg.agent,.msg.rep{align-self:flex-end;background:#eff6ff}.msg .who{display:block;font-size:10px;color:#64748b}
.reply{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e8f0}.reply textarea{flex:1}
.lead{border-left:1px solid #e2e8f0;overflow:auto;padding:10px}.lead table{border-collapse:collapse;font-size:12px}.lead td{border-bottom:1px solid #f1f5f9;padding:2px 4px;vertical-align:top}
.providers{margin:0;padding:6px 10px;background:#fef3c7;font-size:12px}
.notice{margin:0;padding:6px 10px;background:#fee2e2;font-size:13px}.waiting{font-size:11px;padding:1px 6px;border-radius:8px;background:#fecaca;margin-right:6px}
.briefing{white-space:pre-wrap}
.outbox{font-size:11px;padding-left:16px}.outbox li{margin-bottom:6px}.outbox .subject{font-weight:600}.outbox .body{white-space:pre-wrap;overflow-wrap:anywhere;color:#334155;max-height:6em;overflow:hidden}
.lead pre{font-size:11px;background:#f8fafc;padding:6px;white-space:pre-wrap}.audit{font-size:11px;padding-left:16px}.empty{padding:20px;color:#64748b}
@media (max-width:900px){.console{grid-template-columns:1fr}.lead{border:0}}${dealPanelStyle}`;
document.head.appendChild(style);
render(<App />, document.getElementById('console-root')!);
