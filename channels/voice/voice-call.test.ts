import { describe, expect, it } from 'vitest';
import { callTwiml, parseCallRequest, spokenMessage } from './voice-call.ts';

const request = (body: Record<string, string>) => ({ orgId: '', headers: {}, body });

describe('a phone call', () => {
  it('reads the caller and what they said; a new call has no speech', () => {
    const call = parseCallRequest(
      request({ CallSid: 'CA1', From: '+1 (415) 555-0142', To: '+14155550100', SpeechResult: ' Hi there ' }),
    );
    expect(call).toEqual({ callSid: 'CA1', phone: '+14155550142', to: '+14155550100', speech: 'Hi there' });
    expect(parseCallRequest(request({ CallSid: 'CA1', From: '+14155550142' })).speech).toBeNull();
    expect(spokenMessage('org-1', { ...call, speech: 'Hi there' }, 3)).toMatchObject({
      channel: 'voice',
      from: { phone: '+14155550142' },
      body: 'Hi there',
      providerMessageId: 'CA1:3',
    });
  });

  it('refuses a request without a call or a caller number', () => {
    expect(() => parseCallRequest(request({ From: '+14155550142' }))).toThrow(/CallSid/);
    expect(() => parseCallRequest(request({ CallSid: 'CA1', From: 'anonymous' }))).toThrow(
      'From is not a phone number: anonymous',
    );
  });

  it('says text as text: markup in a reply is escaped, never TwiML', () => {
    const twiml = callTwiml({
      say: ['Tom & Jerry <Play>http://evil.example/x.mp3</Play>'],
      listen: { action: 'https://sales.example.com/webhooks/twilio/voice?org=o&turn=2' },
      goodbye: "That's all",
    });
    expect(twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Say>Tom &amp; Jerry &lt;Play&gt;http://evil.example/x.mp3&lt;/Play&gt;</Say>' +
        '<Gather input="speech" speechTimeout="auto" method="POST" action="https://sales.example.com/webhooks/twilio/voice?org=o&amp;turn=2"></Gather>' +
        '<Say>That&#39;s all</Say><Hangup/></Response>',
    );
  });
});
