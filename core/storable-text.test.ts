import { describe, expect, it } from 'vitest';
import { isStorableText, isValidUtf8, toStorableText, unstorableTextIn } from './storable-text.ts';

describe('storable text', () => {
  it('accepts every well-formed string, emoji and other surrogate pairs included', () => {
    for (const text of ['plain', 'Grüße, 你好', 'emoji 😀 and 👍🏽', '\ud83d\ude00', '', 'tab\tnewline\n'])
      expect(isStorableText(text)).toBe(true);
  });

  it('refuses NUL and surrogate halves without their partner', () => {
    for (const text of ['a\u0000b', '\ud800', 'x\udfffy', 'end \ud83d', '\ude00 start'])
      expect(isStorableText(text)).toBe(false);
  });

  it('names the first field holding such text, nested or in a key', () => {
    expect(unstorableTextIn({ a: 'ok', b: { c: ['fine', 'bad\u0000'] } })).toBe('b.c[1]');
    expect(unstorableTextIn({ ['k\ud800']: 1 })).toBe('k\ud800 (key)');
    expect(unstorableTextIn({ a: 1, b: null, c: ['x'] })).toBeNull();
  });

  it('makes a provider payload storable and says which fields changed', () => {
    const { value, altered } = toStorableText({ Body: 'hi\u0000 there \ud800', From: '+1415' });
    expect(value).toEqual({ Body: 'hi there \ufffd', From: '+1415' });
    expect(altered).toEqual(['Body']);
  });

  it('tells valid UTF-8 bytes from invalid ones', () => {
    expect(isValidUtf8(Buffer.from('Grüße 😀'))).toBe(true);
    expect(isValidUtf8(Buffer.from([0x61, 0xc3, 0x28]))).toBe(false);
  });
});
