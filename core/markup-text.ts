/**
 * Text made safe inside HTML or XML markup — element content and quoted attribute values — so a
 * name or a prospect's words stay text (the unsubscribe pages, the TwiML a call speaks).
 */
export function escapeMarkup(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );
}
