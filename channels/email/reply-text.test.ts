import { describe, expect, it } from 'vitest';
import { extractReplyText, htmlToText } from './reply-text.ts';

describe('extractReplyText', () => {
  it('drops Gmail quoted history, including an attribution wrapped over two lines', () => {
    const oneLine = [
      'Budget is about $40k this year.',
      '',
      'On Tue, Mar 3, 2026 at 10:02 AM Brightwave Sales <reply+abc123def456@reply.example> wrote:',
      '> Quick question: what budget do you have in mind?',
      '>',
      '> Brightwave',
    ].join('\n');
    expect(extractReplyText(oneLine)).toBe('Budget is about $40k this year.');

    const wrapped = [
      'Budget is about $40k this year.',
      '',
      'On Tue, Mar 3, 2026 at 10:02 AM Brightwave Sales <',
      'reply+abc123def456@reply.example> wrote:',
      '',
      '> Quick question?',
    ].join('\r\n');
    expect(extractReplyText(wrapped)).toBe('Budget is about $40k this year.');
  });

  it('drops attributions in other languages', () => {
    for (const attribution of [
      'Am 03.03.2026 um 10:02 schrieb Brightwave Sales <sales@brightwave.example>:',
      'Le mar. 3 mars 2026 à 10:02, Brightwave Sales <sales@brightwave.example> a écrit :',
      'El mar, 3 mar 2026 a las 10:02, Brightwave Sales (<sales@brightwave.example>) escribió:',
      'Op di 3 mrt 2026 om 10:02 schreef Brightwave Sales <sales@brightwave.example>:',
    ]) {
      expect(extractReplyText(`We start in April.\n\n${attribution}\n> Old text`)).toBe('We start in April.');
    }
  });

  it('drops Outlook history: the Original Message rule and the From/Sent header block', () => {
    const original = [
      'Yes, I sign off on the purchase.',
      '',
      '-----Original Message-----',
      'From: Brightwave Sales <sales@brightwave.example>',
      'Sent: Tuesday, March 3, 2026 10:02 AM',
      'Subject: Quick question',
    ].join('\n');
    expect(extractReplyText(original)).toBe('Yes, I sign off on the purchase.');

    const headerBlock = [
      'Yes, I sign off on the purchase.',
      '',
      '________________________________',
      'From: Brightwave Sales <sales@brightwave.example>',
      'Sent: Tuesday, March 3, 2026 10:02 AM',
      'To: Pat <pat@acme.example>',
      'Subject: Quick question',
      '',
      'Who signs off?',
    ].join('\n');
    expect(extractReplyText(headerBlock)).toBe('Yes, I sign off on the purchase.');

    const germanBlock = [
      'Ich entscheide.',
      'Von: Brightwave Sales <sales@brightwave.example>',
      'Gesendet: Dienstag, 3. März 2026 10:02',
      'An: Pat',
    ].join('\n');
    expect(extractReplyText(germanBlock)).toBe('Ich entscheide.');
  });

  it('drops signatures after the "-- " delimiter and mobile footers', () => {
    expect(extractReplyText('Call me Monday.\n\n-- \nPat Lee\nVP Ops, Acme\n+1 415 555 0100')).toBe(
      'Call me Monday.',
    );
    expect(extractReplyText('Call me Monday.\n\nSent from my iPhone')).toBe('Call me Monday.');
    expect(extractReplyText('Call me Monday.\n\nGet Outlook for Android')).toBe('Call me Monday.');
    expect(extractReplyText('Ruf mich an.\n\nVon meinem iPhone gesendet')).toBe('Ruf mich an.');
  });

  it('keeps the new text of an inline reply and drops the quoted lines between', () => {
    const inline = ['> What budget do you have?', '$40k.', '', '> When do you start?', 'April.'].join('\n');
    expect(extractReplyText(inline)).toBe('$40k.\n\nApril.');
  });

  it('keeps the whole message when stripping would leave nothing', () => {
    const onlyQuote = 'On Tue, Mar 3, 2026 at 10:02 AM Sam <sam@x.example> wrote:\n> Hello?';
    expect(extractReplyText(onlyQuote)).toBe(onlyQuote);
    expect(extractReplyText('> just a quote')).toBe('> just a quote');
  });

  it('leaves ordinary text alone, including lines that only look like headers', () => {
    const text = 'From: our side the budget is fine.\nOn Monday we decide.\nThanks!';
    expect(extractReplyText(text)).toBe(text);
  });
});

describe('htmlToText', () => {
  it('cuts Gmail and Outlook quote containers and turns blockquotes into quoted lines', () => {
    const gmail =
      '<div dir="ltr">Budget is <b>$40k</b>.<br>Timeline&nbsp;Q2 &amp; later.</div><br>' +
      '<div class="gmail_quote"><div class="gmail_attr">On Tue, Sam wrote:</div>' +
      '<blockquote class="gmail_quote">Old</blockquote></div>';
    expect(htmlToText(gmail)).toBe('Budget is $40k.\nTimeline Q2 & later.');

    const outlook = '<p>Yes.</p><div id="appendonsend"></div><hr><div id="divRplyFwdMsg">From: …</div>';
    expect(htmlToText(outlook)).toBe('Yes.');

    const quoted = '<p>New &#8212; text</p><blockquote><p>old</p><blockquote>older</blockquote></blockquote>';
    const text = htmlToText(quoted);
    expect(text).toContain('New \u2014 text');
    expect(text).toMatch(/^> old$/m);
    expect(extractReplyText(text)).toBe('New \u2014 text');
  });

  it('drops styles and scripts', () => {
    expect(htmlToText('<style>p{color:red}</style><script>alert(1)</script><p>Hi</p>')).toBe('Hi');
  });
});
