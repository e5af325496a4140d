import type { AuditView } from '../audit.ts';
import { canonicalJson } from '../canonical-json.ts';

/**
 * The audit trail as CSV (RFC 4180: CRLF lines, fields quoted when needed, quotes doubled).
 * Details hold prospects' own words, so a cell that a spreadsheet would run as a formula
 * (`=`, `@`, a leading `+`/`-` that is not a number) is prefixed with an apostrophe.
 */
const columns: [header: string, value: (entry: AuditView) => unknown][] = [
  ['created_at', (entry) => entry.createdAt],
  ['id', (entry) => entry.id],
  ['actor_type', (entry) => entry.actorType],
  ['actor_id', (entry) => entry.actorId],
  ['action', (entry) => entry.action],
  ['entity_type', (entry) => entry.entityType],
  ['entity_id', (entry) => entry.entityId],
  ['contact_id', (entry) => entry.contactId],
  ['outcome', (entry) => entry.outcome],
  // Sorted keys: the same entry exports the same text on PGlite and PostgreSQL.
  ['details', (entry) => canonicalJson(entry.details ?? {})],
];

export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=@\t\r]/.test(text) || (/^[+-]/.test(text) && !/^[+-][\d\s().-]*$/.test(text))) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function auditCsv(entries: AuditView[]): string {
  const lines = [columns.map(([header]) => header).join(',')];
  for (const entry of entries) lines.push(columns.map(([, value]) => csvField(value(entry))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
