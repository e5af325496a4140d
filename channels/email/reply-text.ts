/**
 * The new text of an email reply: what the prospect wrote this time, without the quoted history
 * mail clients append ("On … wrote:" and `>` lines, Outlook's "-----Original Message-----" and
 * "From: … Sent: …" blocks) and without the signature ("-- ", "Sent from my iPhone"). The agent
 * answers what is new; the history is already in the conversation. Stripping never loses a
 * message: when nothing would be left, the whole text is kept.
 */

/** "On Tue, 3 Mar 2026 at 10:02, Sam <sam@x.example> wrote:" in the languages mail clients commonly use. */
const attributionVerb = '(wrote|schrieb|a écrit|escribió|schreef|ha scritto|escreveu|skrev|napisał)';
const attributionLine = new RegExp(
  `^(on|am|le|el|op|il|em|den|på|w dniu)\\s.+${attributionVerb}.*:\\s*$`,
  'i',
);
/** The second half of an attribution wrapped over two lines ("sam@x.example> wrote:"). */
const attributionEnd = new RegExp(`${attributionVerb}.*:\\s*$`, 'i');
/** "-----Original Message-----" (Outlook), "---------- Forwarded message ---------" is not history. */
const originalMessageLine =
  /^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|mensagem original|oorspronkelijk bericht)\s*-{2,}\s*$/i;
/** Outlook's header block: a From line followed closely by a Sent/Date line. */
const headerFromLine = /^\s*\*?(from|von|de|da|van|från)\s*:\*?\s/i;
const headerSentLine =
  /^\s*\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|data|verzonden|skickat)\s*:\*?\s/i;
/** Outlook's rule above the header block. */
const underscoreRule = /^\s*_{10,}\s*$/;
/** RFC 3676 signature delimiter ("-- "), often with its trailing space stripped. */
const signatureDelimiter = /^--\s*$/;
/** Mobile and client signatures that end the new text. */
const clientSignature =
  /^\s*(sent from my |sent from mail for |sent from outlook|sent via |get outlook for |von meinem .+ gesendet|envoyé de mon |enviado desde mi |enviado do meu |inviato da )/i;

export function extractReplyText(text: string): string {
  const original = text.replace(/\r\n?/g, '\n').trim();
  const lines = original.split('\n');
  const kept: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    // Gmail wraps a long attribution over two lines ("… Sam <\nsam@x.example> wrote:").
    const withNext = `${line} ${lines[index + 1] ?? ''}`.trim();
    if (
      attributionLine.test(line.trim()) ||
      (attributionLine.test(withNext) && attributionEnd.test(lines[index + 1] ?? '')) ||
      originalMessageLine.test(line) ||
      underscoreRule.test(line) ||
      signatureDelimiter.test(line) ||
      clientSignature.test(line) ||
      (headerFromLine.test(line) &&
        lines.slice(index + 1, index + 4).some((next) => headerSentLine.test(next)))
    ) {
      break;
    }
    // A quoted line in an inline reply: history, not new text.
    if (line.trimStart().startsWith('>')) continue;
    kept.push(line);
  }
  const reply = kept
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return reply || original;
}

/**
 * Plain text from an HTML-only email: Gmail's and Outlook's quote containers are cut off,
 * `<blockquote>`s become `>` lines (so `extractReplyText` drops them), tags go, entities decode.
 */
export function htmlToText(html: string): string {
  const cut = html.search(
    /<div[^>]+(class="[^"]*gmail_quote[^"]*"|id="(appendonsend|divRplyFwdMsg|mail-editor-reference-message-container)")/i,
  );
  const body = (cut >= 0 ? html.slice(0, cut) : html)
    .replace(/<(head|style|script|title)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<blockquote[^>]*>/gi, '\n\u0001\n')
    .replace(/<\/blockquote>/gi, '\n\u0002\n')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6])>/gi, '\n')
    .replace(/<[^>]+>/g, '');
  let depth = 0;
  const lines: string[] = [];
  for (const raw of decodeEntities(body).split('\n')) {
    if (raw === '\u0001') depth++;
    else if (raw === '\u0002') depth = Math.max(0, depth - 1);
    else lines.push(depth > 0 ? `> ${raw}` : raw.replace(/[ \t]+$/, ''));
  }
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const namedEntities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1]?.toLowerCase() === 'x' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return namedEntities[name.toLowerCase()] ?? entity;
  });
}
