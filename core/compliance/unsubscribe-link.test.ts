import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditCsv, csvField } from './audit-export.ts';
import { listUnsubscribeHeaders, readUnsubscribeToken, unsubscribeToken } from './unsubscribe-link.ts';

const secret = randomBytes(32).toString('base64url');

describe('unsubscribe token', () => {
  it('round-trips the organization and contact', () => {
    const orgId = randomUUID();
    const contactId = randomUUID();
    const token = unsubscribeToken(secret, orgId, contactId);
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(readUnsubscribeToken(secret, token)).toEqual({ orgId, contactId });
  });

  it('refuses a token signed with another secret, altered, or malformed', () => {
    const token = unsubscribeToken(secret, randomUUID(), randomUUID());
    expect(readUnsubscribeToken(randomBytes(32).toString('base64url'), token)).toBeNull();
    const [payload, mac] = token.split('.') as [string, string];
    const otherPayload = unsubscribeToken(secret, randomUUID(), randomUUID()).split('.')[0];
    expect(readUnsubscribeToken(secret, `${otherPayload}.${mac}`)).toBeNull();
    const flipped = mac.endsWith('A') ? 'B' : 'A';
    expect(readUnsubscribeToken(secret, `${payload}.${mac.slice(0, -1)}${flipped}`)).toBeNull();
    expect(readUnsubscribeToken(secret, 'nonsense')).toBeNull();
    expect(readUnsubscribeToken(secret, '')).toBeNull();
  });

  it('needs a real secret', () => {
    expect(() => unsubscribeToken('short', randomUUID(), randomUUID())).toThrow(/secret/);
  });

  it('builds the RFC 8058 headers', () => {
    expect(listUnsubscribeHeaders('https://sales.example.com/', 'TOKEN')).toEqual({
      'List-Unsubscribe': '<https://sales.example.com/unsubscribe/TOKEN>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });
});

describe('audit CSV', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('+14155550123')).toBe('+14155550123');
    expect(csvField('-cmd')).toBe("'-cmd");
  });

  it('writes a header and one CRLF line per entry', () => {
    const csv = auditCsv([
      {
        id: 'a1',
        actorType: 'prospect',
        actorId: null,
        action: 'consent.revoked',
        entityType: 'contact',
        entityId: 'c1',
        contactId: 'c1',
        outcome: 'ok',
        details: { message: 'stop, "now"' },
        createdAt: '2026-07-15T12:00:00.000Z',
      },
    ]);
    expect(csv).toBe(
      'created_at,id,actor_type,actor_id,action,entity_type,entity_id,contact_id,outcome,details\r\n' +
        '2026-07-15T12:00:00.000Z,a1,prospect,,consent.revoked,contact,c1,c1,ok,"{""message"":""stop, \\""now\\""""}"\r\n',
    );
  });
});
