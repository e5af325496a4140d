import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Linkified } from './linkify.tsx';
import type { WidgetMessage, WidgetTheme } from './protocol.ts';
import { WidgetTransport } from './transport.ts';

/** The chat app inside the widget's iframe. Configuration arrives in the frame's JSON block. */
interface FrameConfig {
  key: string;
  origin: string;
  theme: WidgetTheme;
  /** The organization's AI disclosure, shown before anything else. */
  disclosure: string;
}

const config = JSON.parse(document.getElementById('qh-config')!.textContent!) as FrameConfig;
const toParent = (message: Record<string, unknown>) =>
  window.parent.postMessage({ quotahit: message.type, ...message }, '*');

type Pending = { clientId: string; body: string; createdAt: string };

function App() {
  const { theme } = config;
  const [messages, setMessages] = useState<WidgetMessage[]>([]);
  const [pending, setPending] = useState<Pending[]>([]);
  const [refused, setRefused] = useState<(Pending & { reason: string })[]>([]);
  const [streams, setStreams] = useState<Record<string, string>>({});
  const [typing, setTyping] = useState<'agent' | 'rep' | null>(null);
  const [online, setOnline] = useState(false);
  const [draft, setDraft] = useState('');
  const [preChatDone, setPreChatDone] = useState(
    !theme.preChat || localStorage.getItem(`qh:${config.key}:prechat`) === '1',
  );
  const list = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const typingTimer = useRef<number | undefined>(undefined);
  const lastTypingSent = useRef(0);

  const transport = useMemo(
    () =>
      new WidgetTransport(location.origin, config.key, config.origin, {
        onMessages: (incoming) => {
          setMessages((current) => {
            const byId = new Map(current.map((m) => [m.id, m]));
            for (const message of incoming) byId.set(message.id, message);
            return [...byId.values()].sort((a, b) => a.seq - b.seq);
          });
          // A finished reply replaces its streamed draft.
          if (incoming.some((m) => m.sender !== 'prospect')) {
            setStreams({});
            setTyping(null);
          }
          if (incoming.length) toParent({ type: 'active' });
        },
        onPending: setPending,
        onRefused: (message, reason) => setRefused((current) => [...current, { ...message, reason }]),
        onDelta: (streamId, text) => {
          setTyping(null);
          setStreams((current) => ({ ...current, [streamId]: (current[streamId] ?? '') + text }));
        },
        onTyping: (who, on) => {
          setTyping(on ? who : null);
          // A lost "stopped typing" never leaves the indicator stuck.
          window.clearTimeout(typingTimer.current);
          if (on) typingTimer.current = window.setTimeout(() => setTyping(null), 10_000);
        },
        onMode: (next, repName) =>
          setMode((current) => {
            // A change while the prospect watches is said in the conversation too.
            if (current.known && current.mode !== next && next !== 'closed') {
              const text =
                next === 'human'
                  ? theme.strings.repJoined.replace('{name}', repName ?? 'A teammate')
                  : theme.strings.aiBack;
              setMessages((list) => [
                ...list,
                {
                  id: `mode-${Date.now()}`,
                  seq: (list.at(-1)?.seq ?? 0) + 0.5,
                  sender: 'system',
                  body: text,
                  createdAt: new Date().toISOString(),
                },
              ]);
            }
            return { mode: next, repName: repName ?? null, known: true };
          }),
        onConnection: setOnline,
      }),
    [],
  );
  const [mode, setMode] = useState<{ mode: string; repName: string | null; known?: boolean }>({
    mode: 'ai',
    repName: null,
  });

  useEffect(() => {
    toParent({ type: 'theme', color: theme.color, position: theme.position });
    input.current?.focus();
    // Escape anywhere in the chat closes it and gives focus back to the launcher.
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && toParent({ type: 'close' });
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [messages, pending, refused, streams]);

  const send = () => {
    const body = draft.trim();
    if (!body) return;
    transport.send(body);
    transport.typing(false);
    setDraft('');
  };

  const onInput = (value: string) => {
    setDraft(value);
    const now = Date.now();
    if (now - lastTypingSent.current > 2000) {
      lastTypingSent.current = now;
      transport.typing(true);
    }
  };

  const who = (message: WidgetMessage) =>
    message.sender === 'rep'
      ? (message.authorName ?? 'Sales team')
      : message.sender === 'agent'
        ? theme.title
        : '';

  return (
    <div class="chat">
      <header>
        {theme.avatarUrl ? <img src={theme.avatarUrl} alt="" /> : null}
        <h1>{theme.title}</h1>
        <span class={online ? 'dot on' : 'dot'} title={online ? '' : theme.strings.offline} />
        <button
          type="button"
          class="close"
          aria-label={theme.strings.close}
          onClick={() => toParent({ type: 'close' })}
        >
          ×
        </button>
      </header>
      {mode.mode === 'human' ? (
        <p class="banner" role="status">
          {theme.strings.repJoined.replace('{name}', mode.repName ?? 'A teammate')}
        </p>
      ) : null}
      <div class="log" ref={list} role="log" aria-live="polite" aria-label="Conversation">
        <p class="msg agent">
          <Linkified text={theme.greeting} />
        </p>
        <p class="disclosure">{config.disclosure}</p>
        {messages.map((message) => (
          <div key={message.id} class={`msg ${message.sender}`} data-seq={message.seq}>
            {who(message) ? <span class="who">{who(message)}</span> : null}
            <Linkified text={message.body} />
          </div>
        ))}
        {pending
          .filter((p) => !messages.some((m) => m.clientId === p.clientId))
          .map((p) => (
            <div key={p.clientId} class="msg prospect pending" data-pending="true">
              <Linkified text={p.body} />
              <span class="state">{online ? theme.strings.sending : theme.strings.offline}</span>
            </div>
          ))}
        {refused.map((p) => (
          <div key={p.clientId} class="msg prospect refused" data-refused="true">
            <Linkified text={p.body} />
            <span class="state" role="alert">{`${theme.strings.notSent}: ${p.reason}`}</span>
          </div>
        ))}
        {Object.entries(streams).map(([id, text]) => (
          <div key={id} class="msg agent streaming" aria-busy="true">
            <Linkified text={text} />
          </div>
        ))}
        {typing ? (
          <p class="typing" role="status">
            <span class="sr">{`${typing === 'rep' ? (mode.repName ?? 'Sales team') : theme.title} is typing`}</span>
            <span aria-hidden="true" />
            <span aria-hidden="true" />
            <span aria-hidden="true" />
          </p>
        ) : null}
      </div>
      {preChatDone ? (
        <form
          class="composer"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <textarea
            ref={input}
            rows={1}
            maxLength={4000}
            value={draft}
            placeholder={theme.strings.placeholder}
            aria-label={theme.strings.placeholder}
            onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                send();
              }
            }}
          />
          <button type="submit" disabled={!draft.trim()}>
            {theme.strings.send}
          </button>
        </form>
      ) : (
        <PreChat theme={theme} transport={transport} onDone={() => setPreChatDone(true)} />
      )}
    </div>
  );
}

function PreChat({
  theme,
  transport,
  onDone,
}: {
  theme: WidgetTheme;
  transport: WidgetTransport;
  onDone(): void;
}) {
  const [error, setError] = useState('');
  return (
    <form
      class="prechat"
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.target as HTMLFormElement);
        const value = (name: string) => String(form.get(name) ?? '').trim() || undefined;
        const answer = await transport
          .prechat({
            name: value('name'),
            email: value('email'),
            phone: value('phone'),
            consent: form.get('consent') === 'on',
            // The exact words the prospect saw are the consent evidence.
            wording: theme.strings.consent,
            pageUrl: document.referrer || undefined,
          })
          .catch(() => ({ ok: false, error: theme.strings.offline }));
        if (!answer.ok) return setError(answer.error ?? '');
        localStorage.setItem(`qh:${config.key}:prechat`, '1');
        onDone();
      }}
    >
      <h2>{theme.strings.preChatTitle}</h2>
      <label>
        {theme.strings.name}
        <input name="name" autoComplete="name" />
      </label>
      <label>
        {theme.strings.email}
        <input name="email" type="email" autoComplete="email" />
      </label>
      <label>
        {theme.strings.phone}
        <input name="phone" type="tel" autoComplete="tel" />
      </label>
      <label class="consent">
        <input name="consent" type="checkbox" />
        <span>{theme.strings.consent}</span>
      </label>
      {error ? <p role="alert">{error}</p> : null}
      <button type="submit">{theme.strings.start}</button>
    </form>
  );
}

render(<App />, document.getElementById('qh-root')!);
