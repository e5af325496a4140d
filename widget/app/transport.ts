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
  onDelta(streamId: string, text: string): void;
  onTyping(who: 'agent' | 'rep', on: boolean): void;
  onMode(mode: 'ai' | 'human' | 'closed', repName?: string | null): void;
  onConnection(online: boolean): void;
}

export class WidgetTransport {
  private readonly socket: Socket<ServerToWidget, WidgetToServer>;
  private readonly outboxKey: string;
  private lastSeq = 0;
  private flushing = false;

  constructor(
    base: string,
    private readonly key: string,
    origin: string,
    private readonly events: TransportEvents,
  ) {
    this.outboxKey = `qh:${key}:outbox`;
    this.socket = io(`${base}/widget`, {
      auth: { key, visitorId: this.visitorId(), origin },
      transports: ['websocket', 'polling'],
    });
    this.socket.on('connect', () => {
      events.onConnection(true);
      void this.resync();
    });
    this.socket.on('disconnect', () => events.onConnection(false));
    this.socket.on('message', (message) => this.accept([message]));
    this.socket.on('delta', ({ streamId, text }) => events.onDelta(streamId, text));
    this.socket.on('typing', ({ who, on }) => events.onTyping(who, on));
    this.socket.on('mode', ({ mode, repName }) => events.onMode(mode, repName));
    window.addEventListener('storage', (event) => {
      if (event.key === this.outboxKey) events.onPending(this.outbox());
    });
    events.onPending(this.outbox());
  }

  /** One visitor per browser and widget key, so history follows the prospect across pages and tabs. */
  private visitorId(): string {
    const storageKey = `qh:${this.key}:visitor`;
    let id = localStorage.getItem(storageKey);
    if (!id) {
      id = crypto.randomUUID();
      localStorage.setItem(storageKey, id);
    }
    return id;
  }

  private outbox(): Pending[] {
    try {
      return JSON.parse(localStorage.getItem(this.outboxKey) ?? '[]') as Pending[];
    } catch {
      return [];
    }
  }

  private saveOutbox(pending: Pending[]): void {
    localStorage.setItem(this.outboxKey, JSON.stringify(pending));
    this.events.onPending(pending);
  }

  private accept(messages: WidgetMessage[]): void {
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
      this.accept(sync.messages);
      this.events.onMode(sync.mode ?? 'ai', sync.repName);
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

  /** Sends what is still unacknowledged, oldest first, one at a time so order is kept. */
  private async flush(): Promise<void> {
    if (this.flushing || !this.socket.connected) return;
    this.flushing = true;
    try {
      for (const pending of this.outbox()) {
        const answer: SendAnswer | null = await this.socket
          .timeout(20_000)
          .emitWithAck('send', { clientId: pending.clientId, body: pending.body })
          .catch(() => null);
        if (!answer) return; // no ack: try again after the next reconnect
        if (answer.ok) this.accept([answer.message]);
        else if (!answer.retry) {
          this.saveOutbox(this.outbox().filter((p) => p.clientId !== pending.clientId));
          this.accept([
            {
              id: `error-${pending.clientId}`,
              seq: this.lastSeq,
              sender: 'system',
              body: answer.error,
              createdAt: new Date().toISOString(),
            },
          ]);
        } else return;
      }
    } finally {
      this.flushing = false;
    }
  }

  typing(on: boolean): void {
    if (this.socket.connected) this.socket.emit('typing', { on });
  }

  prechat(details: Parameters<WidgetToServer['prechat']>[0]): Promise<{ ok: boolean; error?: string }> {
    return this.socket.timeout(15_000).emitWithAck('prechat', details);
  }
}
