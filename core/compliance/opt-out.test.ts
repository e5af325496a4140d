import { describe, expect, it } from 'vitest';
import { isPlainLanguageOptOut, parseSmsKeyword } from './opt-out.ts';

describe('parseSmsKeyword', () => {
  const stop = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'];
  const start = ['START', 'UNSTOP', 'YES'];

  it.each(stop)('reads %s as stop, in any case and with punctuation around it', (word) => {
    expect(parseSmsKeyword(word)).toBe('stop');
    expect(parseSmsKeyword(word.toLowerCase())).toBe('stop');
    expect(parseSmsKeyword(`${word[0]}${word.slice(1).toLowerCase()}`)).toBe('stop');
    expect(parseSmsKeyword(`  ${word}.  `)).toBe('stop');
    expect(parseSmsKeyword(`"${word.toLowerCase()}!!"`)).toBe('stop');
    expect(parseSmsKeyword(`${word} 🙏`)).toBe('stop');
    expect(parseSmsKeyword(`\n${word}?\n`)).toBe('stop');
  });

  it.each(start)('reads %s as start', (word) => {
    expect(parseSmsKeyword(word)).toBe('start');
    expect(parseSmsKeyword(` ${word.toLowerCase()}! `)).toBe('start');
  });

  it('reads HELP (and INFO) as help', () => {
    expect(parseSmsKeyword('HELP')).toBe('help');
    expect(parseSmsKeyword('help?')).toBe('help');
    expect(parseSmsKeyword(' Help. ')).toBe('help');
    expect(parseSmsKeyword('info')).toBe('help');
  });

  it('reads "opt-out" and "stop all" written apart', () => {
    expect(parseSmsKeyword('Opt-Out')).toBe('stop');
    expect(parseSmsKeyword('opt out')).toBe('stop');
    expect(parseSmsKeyword('stop all')).toBe('stop');
  });

  it('takes only the whole message as a keyword', () => {
    expect(parseSmsKeyword('stop by our booth tomorrow')).toBeNull();
    expect(parseSmsKeyword('Yes, I would like a demo')).toBeNull();
    expect(parseSmsKeyword('I need help with pricing')).toBeNull();
    expect(parseSmsKeyword('the end of the month works')).toBeNull();
    expect(parseSmsKeyword('stopped')).toBeNull();
    expect(parseSmsKeyword('')).toBeNull();
  });
});

describe('isPlainLanguageOptOut', () => {
  it.each([
    'stop texting me',
    'Please stop texting me!',
    'STOP CALLING ME',
    'can you stop messaging me',
    'stop sending me these',
    'remove me from your list',
    'Take me off your list please',
    'please remove my number',
    'unsubscribe me',
    'I want to unsubscribe',
    'how do I unsubscribe?',
    'how do I stop these texts',
    'opt me out',
    "don't contact me again",
    'Don’t text me again',
    'do not call me',
    'never email me again',
    'leave me alone',
    'no more texts please',
    'wrong number',
    'Stop please',
    'unsubscribe',
    'stop',
    'Thanks but please stop emailing me, we went with another vendor',
  ])('honors %j', (text) => {
    expect(isPlainLanguageOptOut(text)).toBe(true);
  });

  it.each([
    "don't stop",
    "don't stop texting me, this is useful",
    'how do I stop the trial?',
    'why did you stop calling me?',
    "I'm not going to stop calling you",
    'when does the trial end?',
    'I will remove the old file from the list',
    "don't call me before noon",
    "don't call me back until Monday",
    'can you call me tomorrow?',
    'Yes please send me the pricing',
    'We stopped using Salesforce last year',
    'I am not interested right now',
    'Stop by our booth at the conference',
  ])('does not mistake %j for an opt-out', (text) => {
    expect(isPlainLanguageOptOut(text)).toBe(false);
  });
});
