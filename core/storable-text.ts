import { z } from 'zod';

/**
 * Text Postgres can store. It refuses the NUL character in `text` and `jsonb`, and a UTF-16 half
 * without its partner (a lone surrogate) cannot be encoded as UTF-8 at all: the driver would
 * silently turn it into U+FFFD, or jsonb would reject it. Every edge applies the same rule:
 * requests and socket events are refused (`unstorableTextIn`), while a prospect's message from a
 * provider webhook is kept with the characters replaced (`toStorableText`), since losing it or
 * answering 5xx (which the provider retries forever) would be worse.
 */
const nul = String.fromCharCode(0);
const loneSurrogate = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const unstorable = new RegExp(`${nul}|${loneSurrogate}`);
const unstorableEverywhere = new RegExp(unstorable.source, 'g');

export const storableTextProblem =
  'contains a character that cannot be stored (NUL or a lone UTF-16 surrogate)';

/** Whether `text` holds a character Postgres cannot store. */
export const isStorableText = (text: string): boolean => !unstorable.test(text);

/** A zod string that refuses unstorable characters; the base of the edges' text fields. */
export const storableText = () => z.string().refine(isStorableText, { message: storableTextProblem });

/**
 * The first place in a parsed payload (request body, query, socket arguments) holding text that
 * cannot be stored, as a dotted path (`from.name`, `[0].body`; a key itself is named by its
 * path with `(key)`), or null when all of it can be.
 */
export function unstorableTextIn(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path || '(value)';
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unstorableTextIn(item, `${path}[${index}]`);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (!isStorableText(key)) return `${at} (key)`;
      const found = unstorableTextIn(item, at);
      if (found) return found;
    }
  }
  return null;
}

/**
 * A copy of a provider's payload Postgres can store: NUL removed, lone surrogates replaced by
 * U+FFFD. `altered` names the fields that changed, for the log.
 */
export function toStorableText<T>(value: T): { value: T; altered: string[] } {
  const altered: string[] = [];
  const clean = (item: unknown, path: string): unknown => {
    if (typeof item === 'string') {
      if (isStorableText(item)) return item;
      altered.push(path || '(value)');
      return item.replace(unstorableEverywhere, (match) => (match === nul ? '' : '\ufffd'));
    }
    if (Array.isArray(item)) return item.map((entry, index) => clean(entry, `${path}[${index}]`));
    if (item && typeof item === 'object' && !(item instanceof Date)) {
      return Object.fromEntries(
        Object.entries(item).map(([key, entry]) => {
          const at = path ? `${path}.${key}` : key;
          return [clean(key, `${at} (key)`) as string, clean(entry, at)];
        }),
      );
    }
    return item;
  };
  return { value: clean(value, '') as T, altered };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether raw bytes are valid UTF-8 (a lenient decode would turn bad bytes into U+FFFD unseen). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
