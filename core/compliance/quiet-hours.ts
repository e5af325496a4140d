import { normalizePhone } from '../phone-number.ts';
import { isValidTimeZone } from './recipient.ts';

/**
 * Quiet hours: texts and calls reach a prospect only inside the calling window of the place the
 * prospect is in. Where that is comes from the contact's known time zone, else from the number:
 * the NANP area code for +1 numbers (state or province, and its time zones), the country code
 * for a few single-zone countries. An area code that spans time zones lists them all, and the
 * message must fall inside the window in every one of them. When nothing is known we refuse
 * rather than guess (`quiet_hours_unknown_timezone`): setting the contact's time zone fixes it.
 */

const zoneNames: Record<string, string> = {
  E: 'America/New_York',
  C: 'America/Chicago',
  M: 'America/Denver',
  A: 'America/Phoenix',
  P: 'America/Los_Angeles',
  K: 'America/Anchorage',
  D: 'America/Adak',
  H: 'Pacific/Honolulu',
  T: 'America/Halifax',
  N: 'America/St_Johns',
  R: 'America/Regina',
  Y: 'America/Whitehorse',
  Q: 'America/Puerto_Rico',
  G: 'Pacific/Guam',
  S: 'Pacific/Pago_Pago',
};

/** `REGION ZONES area codes…` — US states and territories, then Canadian provinces (`CA-…`). */
const nanpAreaCodes = [
  'AK KD 907',
  'AL C 205 251 256 334 659 938',
  'AR C 327 479 501 870',
  'AZ A 480 520 602 623',
  'AZ AM 928', // the Navajo Nation keeps daylight saving time
  'CA P 209 213 279 310 323 341 350 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714',
  'CA P 747 760 805 818 820 831 840 858 909 916 925 949 951',
  'CO M 303 719 720 970 983',
  'CT E 203 475 860 959',
  'DC E 202 771',
  'DE E 302',
  'FL E 239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 786 813 863 904 941 954',
  'FL EC 448 850', // the panhandle west of the Apalachicola is Central
  'GA E 229 404 470 478 678 706 762 770 912 943',
  'HI H 808',
  'IA C 319 515 563 641 712',
  'ID MP 208 986',
  'IL C 217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872',
  'IN E 260 317 463 765',
  'IN EC 219 574 812 930',
  'KS C 316 913',
  'KS CM 620 785',
  'KY E 502 606 859',
  'KY EC 270 364',
  'LA C 225 318 337 504 985',
  'MA E 339 351 413 508 617 774 781 857 978',
  'MD E 227 240 301 410 443 667',
  'ME E 207',
  'MI E 231 248 269 313 517 586 616 679 734 810 947 989',
  'MI EC 906',
  'MN C 218 320 507 612 651 763 952',
  'MO C 314 417 557 573 636 660 816 975',
  'MS C 228 601 662 769',
  'MT M 406',
  'NC E 252 336 472 704 743 828 910 919 980 984',
  'ND CM 701',
  'NE C 402 531',
  'NE CM 308',
  'NH E 603',
  'NJ E 201 551 609 640 732 848 856 862 908 973',
  'NM M 505 575',
  'NV P 702 725',
  'NV PM 775',
  'NY E 212 315 329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 914 917 929 934',
  'OH E 216 220 234 283 326 330 380 419 436 440 513 567 614 740 937',
  'OK C 405 539 572 580 918',
  'OR P 503 971',
  'OR PM 458 541',
  'PA E 215 223 267 272 412 445 484 570 582 610 717 724 814 835 878',
  'RI E 401',
  'SC E 803 839 843 854 864',
  'SD CM 605',
  'TN C 615 629 731 901',
  'TN E 865',
  'TN EC 423 931',
  'TX C 210 214 254 281 325 346 361 409 430 469 512 682 713 726 737 806 817 830 832 903 936 940 945 956',
  'TX C 972 979',
  'TX CM 432',
  'TX M 915',
  'UT M 385 435 801',
  'VA E 276 434 540 571 686 703 757 804 826 948',
  'VT E 802',
  'WA P 206 253 360 425 509 564',
  'WI C 262 274 353 414 534 608 715 920',
  'WV E 304 681',
  'WY M 307',
  'PR Q 787 939',
  'VI Q 340',
  'GU G 671',
  'MP G 670',
  'AS S 684',
  'CA-AB M 368 403 587 780 825',
  'CA-BC P 604',
  'CA-BC PM 236 250 257 672 778',
  'CA-MB C 204 431 584',
  'CA-NB T 428 506',
  'CA-NL NT 709 879',
  'CA-NS T 782 902', // also Prince Edward Island
  'CA-ON E 226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 905 942',
  'CA-ON EC 807',
  'CA-QC E 263 354 438 450 468 514 579 819 873',
  'CA-QC ET 367 418 581', // the Magdalen Islands keep Atlantic time
  'CA-SK R 306 474 639',
  'CA-NT YMCE 867', // Yukon, Northwest Territories, Nunavut
];

/** Country calling code → its time zones, for countries where that is a short list. */
const countryZones: Record<string, [region: string, zones: string[]]> = {
  '27': ['ZA', ['Africa/Johannesburg']],
  '30': ['GR', ['Europe/Athens']],
  '31': ['NL', ['Europe/Amsterdam']],
  '32': ['BE', ['Europe/Brussels']],
  '33': ['FR', ['Europe/Paris']],
  '34': ['ES', ['Europe/Madrid', 'Atlantic/Canary']],
  '36': ['HU', ['Europe/Budapest']],
  '39': ['IT', ['Europe/Rome']],
  '40': ['RO', ['Europe/Bucharest']],
  '41': ['CH', ['Europe/Zurich']],
  '43': ['AT', ['Europe/Vienna']],
  '44': ['GB', ['Europe/London']],
  '45': ['DK', ['Europe/Copenhagen']],
  '46': ['SE', ['Europe/Stockholm']],
  '47': ['NO', ['Europe/Oslo']],
  '48': ['PL', ['Europe/Warsaw']],
  '49': ['DE', ['Europe/Berlin']],
  '52': ['MX', ['America/Mexico_City', 'America/Cancun', 'America/Hermosillo', 'America/Tijuana']],
  '55': ['BR', ['America/Sao_Paulo', 'America/Manaus', 'America/Rio_Branco']],
  '61': ['AU', ['Australia/Perth', 'Australia/Adelaide', 'Australia/Brisbane', 'Australia/Sydney']],
  '63': ['PH', ['Asia/Manila']],
  '65': ['SG', ['Asia/Singapore']],
  '66': ['TH', ['Asia/Bangkok']],
  '81': ['JP', ['Asia/Tokyo']],
  '82': ['KR', ['Asia/Seoul']],
  '86': ['CN', ['Asia/Shanghai']],
  '91': ['IN', ['Asia/Kolkata']],
  '234': ['NG', ['Africa/Lagos']],
  '254': ['KE', ['Africa/Nairobi']],
  '351': ['PT', ['Europe/Lisbon', 'Atlantic/Azores']],
  '353': ['IE', ['Europe/Dublin']],
  '358': ['FI', ['Europe/Helsinki']],
  '420': ['CZ', ['Europe/Prague']],
  '852': ['HK', ['Asia/Hong_Kong']],
  '971': ['AE', ['Asia/Dubai']],
  '972': ['IL', ['Asia/Jerusalem']],
};

const areaCodeIndex: ReadonlyMap<string, { region: string; zones: string[] }> = new Map(
  nanpAreaCodes.flatMap((line) => {
    const [region, zoneLetters, ...codes] = line.split(' ');
    const zones = [...zoneLetters!].map((letter) => zoneNames[letter]!);
    return codes.map((code) => [code, { region: region!, zones }] as const);
  }),
);

/** The three-digit area code of a North American (+1) number, or null. */
export function nanpAreaCode(phone: string): string | null {
  const e164 = normalizePhone(phone);
  return e164 && /^\+1\d{10}$/.test(e164) ? e164.slice(2, 5) : null;
}

export interface RecipientLocale {
  /** US state (`FL`), Canadian province (`CA-ON`), territory (`PR`) or country (`GB`); null if unknown. */
  region: string | null;
  /** Where the recipient may be; the window must hold in each. Empty when unknown. */
  timeZones: string[];
}

/** Where a recipient is: the contact's own time zone wins; the number supplies the region. */
export function recipientLocale(phone: string | null, knownTimeZone?: string | null): RecipientLocale {
  const e164 = phone ? normalizePhone(phone) : null;
  let region: string | null = null;
  let zones: string[] = [];
  if (e164?.startsWith('+1')) {
    const entry = areaCodeIndex.get(e164.slice(2, 5));
    if (entry) ({ region, zones } = entry);
  } else if (e164) {
    const digits = e164.slice(1);
    const code = [digits.slice(0, 3), digits.slice(0, 2), digits.slice(0, 1)].find((c) => countryZones[c]);
    if (code) [region, zones] = countryZones[code]!;
  }
  if (knownTimeZone && isValidTimeZone(knownTimeZone)) zones = [knownTimeZone];
  return { region, timeZones: zones };
}

interface CallingWindow {
  /** Minutes after local midnight, start inclusive, end exclusive. */
  weekday: [number, number];
  weekend: [number, number];
  /** Most telephone solicitations (calls and texts) per recipient in 24 hours, where capped. */
  callsPer24h?: number;
}

const hours = (h: number, m = 0) => h * 60 + m;
const federalWindow: CallingWindow = { weekday: [hours(8), hours(21)], weekend: [hours(8), hours(21)] };
// Florida Telephone Solicitation Act §501.059(8) and Oklahoma's Telephone Solicitation Act of
// 2022: 8 a.m. to 8 p.m., and no more than three calls or texts on one subject in 24 hours.
const floridaOklahomaWindow: CallingWindow = {
  weekday: [hours(8), hours(20)],
  weekend: [hours(8), hours(20)],
  callsPer24h: 3,
};
// CRTC Unsolicited Telecommunications Rules: 9:00–21:30 on weekdays, 10:00–18:00 on weekends.
const canadianWindow: CallingWindow = { weekday: [hours(9), hours(21, 30)], weekend: [hours(10), hours(18)] };

export function callingWindow(region: string | null): CallingWindow {
  if (region === 'FL' || region === 'OK') return floridaOklahomaWindow;
  if (region?.startsWith('CA-')) return canadianWindow;
  return federalWindow;
}

export type QuietHoursVerdict = 'ok' | 'quiet_hours' | 'quiet_hours_unknown_timezone';

/** Whether `now` falls inside the recipient's calling window in every time zone they may be in. */
export function checkQuietHours(now: Date, locale: RecipientLocale): QuietHoursVerdict {
  if (locale.timeZones.length === 0) return 'quiet_hours_unknown_timezone';
  const window = callingWindow(locale.region);
  for (const timeZone of locale.timeZones) {
    const { minutes, weekend } = localTime(now, timeZone);
    const [start, end] = weekend ? window.weekend : window.weekday;
    if (minutes < start || minutes >= end) return 'quiet_hours';
  }
  return 'ok';
}

export function localTime(now: Date, timeZone: string): { minutes: number; weekend: boolean } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
  }).formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    minutes: Number(part('hour')) * 60 + Number(part('minute')),
    weekend: part('weekday') === 'Sat' || part('weekday') === 'Sun',
  };
}
