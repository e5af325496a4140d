import type { MessageView } from '../conversations.ts';

/**
 * What happens in conversations, live, for whoever shows them: the socket.io gateway pushes these
 * to the widget and the rep console. Delivery is best effort and in-process; the messages table
 * stays the record (a client that missed events catches up by `seq`).
 */
export type ConversationFeedEvent =
  /** A message was stored (inbound or outbound; an outbound one carries its delivery status). */
  | { type: 'message'; orgId: string; conversationId: string; contactId: string; message: MessageView }
  /** Part of an agent reply as the model produces it; the stored `message` event follows. */
  | { type: 'reply.delta'; orgId: string; conversationId: string; inReplyTo: string; delta: string }
  /** The agent started or stopped working on a reply. */
  | { type: 'typing'; orgId: string; conversationId: string; actor: 'agent'; state: 'start' | 'stop' }
  /**
   * A prospect waits for a person: `waiting_for_rep` once the best-fit rep is notified (`repId`,
   * null when the organization has no rep to ask), `no_rep_available` once the agent told the
   * prospect that nobody could join. A take-over ends it (`mode`).
   */
  | {
      type: 'handoff';
      orgId: string;
      conversationId: string;
      contactId: string;
      state: 'waiting_for_rep' | 'no_rep_available';
      repId: string | null;
      reason: string | null;
    }
  /** A rep took over, the AI is back, or the conversation closed. */
  | {
      type: 'mode';
      orgId: string;
      conversationId: string;
      mode: 'ai' | 'human' | 'closed';
      assignedRepId: string | null;
    };

export type ConversationListener = (event: ConversationFeedEvent) => void;

export interface ConversationFeed {
  publish(event: ConversationFeedEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: ConversationListener): () => void;
}

export function createConversationFeed(onListenerError?: (error: unknown) => void): ConversationFeed {
  const listeners = new Set<ConversationListener>();
  return {
    publish(event) {
      for (const listener of listeners) {
        // A broken listener must never fail the turn that published.
        try {
          listener(event);
        } catch (error) {
          onListenerError?.(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
