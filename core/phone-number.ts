/**
 * Phone numbers are stored in E.164 (`+15551234567`) so one prospect is one contact however the
 * number was typed. Ten bare digits are read as a North American number.
 */
export function normalizePhone(input: string): string | null {
  const trimmed = input.trim().replace(/^whatsapp:/i, '');
  const digits = trimmed.replace(/[^\d]/g, '');
  if (trimmed.startsWith('+')) return digits.length >= 8 && digits.length <= 15 ? `+${digits}` : null;
  if (trimmed.startsWith('00')) return normalizePhone(`+${digits.slice(2)}`);
  if (digits.length === 10) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
  return null;
}
