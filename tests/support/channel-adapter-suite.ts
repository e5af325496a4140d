import { describe, expect, it } from 'vitest';
import type { ChannelAdapter, InboundRequest, OutboundMessage } from '../../channels/channel-adapter.ts';
import { inboundMessageSchema } from '../../core/conversations/inbound-message.ts';
import { DomainError } from '../../core/errors.ts';

/**
 * The contract every channel adapter passes (web now; email, SMS and voice as they arrive): a
 * genuine request verifies and parses into valid `InboundMessage`s for its organization, a forged
 * one does not verify, a malformed one is a clear `invalid` error, and the sender sends.
 */
export interface ChannelAdapterFixture {
  adapter: ChannelAdapter;
  /** A genuine request carrying at least one prospect message. */
  valid: InboundRequest;
  /** Requests whose signature or authentication must fail. */
  forged: InboundRequest[];
  /** Requests that verify but do not carry a readable message. */
  malformed: InboundRequest[];
  /** A draft the gate let through, for the sender. */
  outbound: OutboundMessage;
}

export function channelAdapterSuite(
  name: string,
  fixture: () => ChannelAdapterFixture | Promise<ChannelAdapterFixture>,
) {
  describe(`${name} channel adapter`, () => {
    it('verifies a genuine request and parses it into inbound messages for its organization', async () => {
      const { adapter, valid } = await fixture();
      expect(await adapter.verify(valid)).toBe(true);
      const messages = adapter.parseInbound(valid);
      expect(messages.length).toBeGreaterThan(0);
      for (const message of messages) {
        expect(inboundMessageSchema.safeParse(message).success).toBe(true);
        expect(message.channel).toBe(adapter.channel);
        expect(message.orgId).toBe(valid.orgId);
        // Every message can be deduplicated.
        expect(message.providerMessageId ?? message.clientId).toBeTruthy();
      }
    });

    it('does not verify a forged request', async () => {
      const { adapter, forged } = await fixture();
      for (const request of forged) expect(await adapter.verify(request)).toBe(false);
    });

    it('refuses a malformed request with a clear error', async () => {
      const { adapter, malformed } = await fixture();
      for (const request of malformed) {
        expect(() => adapter.parseInbound(request)).toThrow(DomainError);
        try {
          adapter.parseInbound(request);
        } catch (error) {
          expect((error as DomainError).kind).toBe('invalid');
        }
      }
    });

    it('sends through its sender, naming the provider message', async () => {
      const { adapter, outbound } = await fixture();
      expect(adapter.sender.channel).toBe(adapter.channel);
      const sent = await adapter.sender.send(outbound);
      expect(sent.providerMessageId).toBeTruthy();
    });
  });
}
