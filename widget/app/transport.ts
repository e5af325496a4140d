import { io, type Socket } from 'socket.io-client';
import type { SendAnswer, ServerToWidget, SyncAnswer, WidgetMessage, WidgetToServer } from './protocol.ts';

/**
 * Delivery that loses nothing. Every message gets a client id and waits in an outbox kept in
 * localStorage until the server acknowledges that it stored it; after any reconnect the outbox
 * is sent again (the server stores a client id once) and everything after the last message seen
 * is fetched, however long the widget was away.
 */
interface Pending {
  clientId: string;
  body: string;
  createdAt: string;
}

export interface TransportEvents {
  onMessages(messages: WidgetMessage[]): void;
  onPending(pending: Pending[]): void;
  /** The server refused a message for good (it would refuse it again): shown as not sent. */
  onRefused(message: Pending, reason: string): void;
  onDelta(streamId: string, text: string): void;
  onTyping(who: 'agent' | 'rep', on: boolean): void;
  onMode(mode: 'ai' | 'human' | 'closed', repName?: string | null): void;
  onConnection(online: boolean): void;
}

/** Where the outbox and visitor id live: the page's localStorage, or another store (tests, Node). */
export interface TransportOptions {
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
  /** socket.io client options beyond the widget's own (e.g. a test's reconnection delay). */
  socket?: Record<string, unknown>;
}

export class WidgetTransport {
  private readonly socket: Socket<ServerToWidget, WidgetToServer>;
  private readonly storage: Pick<Storage, 'getItem' | 'setItem'>;
  private readonly outboxKey: string;
  /** Everything up to here is in the view: a reconnect fetches what follows. */
  private lastSeq = 0;
  /**
   * Whether this connection has synced. Until it has, an ack or a live message may be newer than
   * messages not yet fetched, so it must not move `lastSeq` past them.
   */
  private synced = false;
  private flushing = false;
  private retryDelay = 1_000;

  constructor(
    base: string,
    private readonly key: string,
    origin: string,
    private readonly events: TransportEvents,
    options: TransportOptions = {},
  ) {
    this.storage = options.storage ?? localStorage;
    this.outboxKey = `qh:${key}:outbox`;
    this.socket = io(`${base}/widget`, {
      auth: { key, visitorId: this.visitorId(), origin },
      transports: ['websocket', 'polling'],
      ...options.socket,
    });
    this.socket.on('connect', () => {
      events.onConnection(true);
      void this.resync();
    });
    this.socket.on('disconnect', () => {
      this.synced = false;
      events.onConnection(false);
    });
    this.socket.on('message', (message) => this.accept([message]));
    this.socket.on('delta', ({ streamId, text }) => events.onDelta(streamId, text));
    this.socket.on('typing', ({ who, on }) => events.onTyping(who, on));
    this.socket.on('mode', ({ mode, repName }) => events.onMode(mode, repName));
    // Another tab of the same visitor changed the outbox.
    globalThis.addEventListener?.('storage', (event) => {
      if ((event as StorageEvent).key === this.outboxKey) events.onPending(this.outbox());
    });
    events.onPending(this.outbox());
  }

  /** One visitor per browser and widget key, so history follows the prospect across pages and tabs. */
  private visitorId(): string {
    const storageKey = `qh:${this.key}:visitor`;
    let id = this.storage.getItem(storageKey);
    if (!id) {
      id = crypto.randomUUID();
      this.storage.setItem(storageKey, id);
    }
    return id;
  }

  private outbox(): Pending[] {
    try {
      return JSON.parse(this.storage.getItem(this.outboxKey) ?? '[]') as Pending[];
    } catch {
      return [];
    }
  }

  private saveOutbox(pending: Pending[]): void {
    this.storage.setItem(this.outboxKey, JSON.stringify(pending));
    this.events.onPending(pending);
  }

  private accept(messages: WidgetMessage[], fromSync = false): void {
    if (fromSync || this.synced)
      for (const message of messages) this.lastSeq = Math.max(this.lastSeq, message.seq);
    const delivered = new Set(messages.map((message) => message.clientId).filter(Boolean));
    if (delivered.size) this.saveOutbox(this.outbox().filter((p) => !delivered.has(p.clientId)));
    this.events.onMessages(messages);
  }

  private async resync(): Promise<void> {
    const answer = await this.socket
      .timeout(15_000)
      .emitWithAck('sync', { afterSeq: this.lastSeq })
      .catch(() => null);
    if (answer && !('error' in answer)) {
      const sync = answer as SyncAnswer;
      this.accept(sync.messages, true);
      this.synced = this.socket.connected;
      this.events.onMode(sync.mode ?? 'ai', sync.repName);
    } else if (this.socket.connected) {
      // Still connected but the sync failed: ask again rather than leave a gap until the next reconnect.
      setTimeout(() => void (this.socket.connected && !this.synced && this.resync()), 2_000);
    }
    await this.flush();
  }

  send(body: string): void {
    this.saveOutbox([
      ...this.outbox(),
      { clientId: crypto.randomUUID(), body, createdAt: new Date().toISOString() },
    ]);
    void this.flush();
  }

  /**
   * Sends what is still unacknowledged, oldest first, one at a time so order is kept. A message
   * added while an ack is awaited is taken by the same run: the outbox is read again each round.
   */
  private async flush(): Promise<void> {
    if (this.flushing || !this.socket.connected) return;
    this.flushing = true;
    try {
      for (let pending = this.outbox()[0]; pending; pending = this.outbox()[0]) {
        const answer: SendAnswer | null = await this.socket
          .timeout(20_000)
          .emitWithAck('send', { clientId: pending.clientId, body: pending.body })
          .catch(() => null);
        if (!answer || (!answer.ok && answer.retry === true)) {
          // Not stored yet: try again soon while online (and at once after a reconnect).
          this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
          setTimeout(() => void this.flush(), this.retryDelay);
          return;
        }
        this.retryDelay = 1_000;
        const sent = pending.clientId;
        this.saveOutbox(this.outbox().filter((p) => p.clientId !== sent));
        if (answer.ok) this.accept([answer.message]);
        else this.events.onRefused(pending, answer.error);
      }
    } finally {
      this.flushing = false;
    }
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.close();
  }

  typing(on: boolean): void {
    if (this.socket.connected) this.socket.emit('typing', { on });
  }

  prechat(details: Parameters<WidgetToServer['prechat']>[0]): Promise<{ ok: boolean; error?: string }> {
    return this.socket.timeout(15_000).emitWithAck('prechat', details);
  }
}
