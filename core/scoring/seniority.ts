/**
 * Seniority from a job title. Titles are free text typed by prospects, so this reads the common
 * English patterns only; a title that names no senior role is an individual contributor.
 */
export const seniorityLevels = ['c_level', 'vp', 'head', 'director', 'manager', 'individual'] as const;
export type Seniority = (typeof seniorityLevels)[number];

/** Higher is more senior; used to tell "senior but not targeted" from "junior". */
export const seniorityRank: Record<Seniority, number> = {
  individual: 0,
  manager: 1,
  director: 2,
  head: 3,
  vp: 4,
  c_level: 5,
};

export const seniorityLabel: Record<Seniority, string> = {
  c_level: 'C-level',
  vp: 'VP',
  head: 'Head',
  director: 'Director',
  manager: 'Manager',
  individual: 'individual contributor',
};

/** The levels that usually sign a B2B purchase. */
export const decisionMakerSeniorities: readonly Seniority[] = ['c_level', 'vp', 'head', 'director'];

const abbreviations: Record<string, string> = {
  ceo: 'chief executive officer',
  cro: 'chief revenue officer',
  cmo: 'chief marketing officer',
  coo: 'chief operations officer',
  cto: 'chief technology officer',
  cfo: 'chief financial officer',
  cio: 'chief information officer',
  ciso: 'chief information security officer',
  cpo: 'chief product officer',
  cco: 'chief commercial officer',
  vp: 'vice president',
  svp: 'senior vice president',
  evp: 'executive vice president',
  avp: 'assistant vice president',
  gm: 'general manager',
  md: 'managing director',
  bd: 'business development',
  biz: 'business',
  dev: 'development',
  ops: 'operations',
  mktg: 'marketing',
  sr: 'senior',
  snr: 'senior',
  dir: 'director',
  mgr: 'manager',
};

/**
 * Lower-cases a title, expands the usual abbreviations ("VP" → "vice president", "CRO" →
 * "chief revenue officer") and separates words, so keyword matching sees one spelling.
 */
export function normalizeTitle(title: string): string {
  return title
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .map((word) => abbreviations[word] ?? word)
    .join(' ');
}

const notTheExecutive = /\b(assistant to|executive assistant|personal assistant|intern|internship)\b/;
const vicePresident = /\bvice president\b/;
const executive =
  /\b(chief [a-z ]*officer|president|founder|cofounder|co founder|managing director|managing partner|general partner)\b/;
const ownerOfSomethingElse =
  /\b(product|process|data|account|content|service|system|channel|budget|project|business process)\s+owner\b/;
const head = /\bhead\b/;
const director = /\bdirector\b/;
const manager = /\b(manager|team lead|team leader|supervisor)\b/;

/** The seniority a title names, or null when there is no title to read. */
export function classifySeniority(title: string | null | undefined): Seniority | null {
  if (!title?.trim()) return null;
  const text = normalizeTitle(title);
  if (!text) return null;
  if (notTheExecutive.test(text)) return 'individual';
  if (vicePresident.test(text)) return 'vp';
  if (executive.test(text)) return 'c_level';
  if (/\bowner\b/.test(text) && !ownerOfSomethingElse.test(text)) return 'c_level';
  if (head.test(text)) return 'head';
  if (director.test(text)) return 'director';
  if (manager.test(text)) return 'manager';
  return 'individual';
}

/** Titles that run a whole company and therefore buy for every function. */
const generalExecutive =
  /\b(chief executive officer|president|founder|cofounder|co founder|owner|managing director|managing partner|general partner|general manager)\b/;

export function isGeneralExecutive(title: string): boolean {
  const text = normalizeTitle(title);
  return generalExecutive.test(text) && !vicePresident.test(text);
}
