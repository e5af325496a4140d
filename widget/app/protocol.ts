import type { WidgetTheme } from '../../core/widget-settings.ts';

export type { WidgetTheme };

/**
 * What the widget and the server say to each other over socket.io (namespace `/widget`). Shared
 * by the browser app and the server gateway so both sides agree on names and shapes.
 */
export interface WidgetMessage {
  id: string;
  seq: number;
  sender: 'prospect' | 'agent' | 'rep' | 'system';
  body: string;
  createdAt: string;
  clientId?: string | null;
  /** Display name of a rep who wrote it. */
  authorName?: string | null;
}

export interface SyncAnswer {
  messages: WidgetMessage[];
  mode: 'ai' | 'human' | 'closed' | null;
  repName?: string | null;
}

export type SendAnswer = { ok: true; message: WidgetMessage } | { ok: false; error: string; retry?: boolean };

export interface ServerToWidget {
  message(message: WidgetMessage): void;
  delta(chunk: { streamId: string; text: string }): void;
  typing(state: { who: 'agent' | 'rep'; on: boolean }): void;
  mode(state: { mode: 'ai' | 'human' | 'closed'; repName?: string | null }): void;
}

export interface WidgetToServer {
  sync(request: { afterSeq: number }, answer: (result: SyncAnswer | { error: string }) => void): void;
  send(message: { clientId: string; body: string }, answer: (result: SendAnswer) => void): void;
  typing(state: { on: boolean }): void;
  prechat(
    details: {
      name?: string;
      email?: string;
      phone?: string;
      consent: boolean;
      wording: string;
      pageUrl?: string;
    },
    answer: (result: { ok: boolean; error?: string }) => void,
  ): void;
}
