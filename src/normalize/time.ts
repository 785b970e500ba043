/**
 * An ISO-8601 timestamp from a payload as epoch ms; undefined when absent or unreadable (never NaN).
 * Published analytics data holds unpadded dates (`2021-04-2T15:30:51.418Z`, which Date.parse
 * rejects): those are padded and read, rather than losing the visit.
 */
export function ms(iso: unknown): number | undefined {
  if (typeof iso !== "string") return undefined;
  // Nearly every timestamp on the wire is the canonical UTC form: read it without Date.parse
  // (about 15x cheaper, and a snapshot carries a dozen of them).
  const fast = canonicalUtc(iso);
  if (fast === fast) return fast; // not NaN
  const t = Date.parse(iso);
  if (Number.isFinite(t)) return t;
  const m = LOOSE.exec(iso);
  if (!m) return undefined;
  const pad = (s: string) => s.padStart(2, "0");
  const fixed = Date.parse(`${m[1]}-${pad(m[2])}-${pad(m[3])}T${pad(m[4])}:${pad(m[5])}:${pad(m[6])}${m[7] ?? ""}${m[8]}`);
  return Number.isFinite(fixed) ? fixed : undefined;
}

const LOOSE = /^(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/** Digit positions of `YYYY-MM-DDTHH:MM:SS.sssZ`. */
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (Date#toISOString's form) as epoch ms, exactly as Date.parse reads
 * it; NaN for anything else, including values Date.parse treats specially (hour 24), which the
 * caller then hands to Date.parse. Like Date.parse, a day past the month's end rolls over.
 */
export function canonicalUtc(s: string): number {
  if (s.length !== 24 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) return NaN;
  for (let k = 0; k < DIGITS.length; k++) {
    if (((s.charCodeAt(DIGITS[k]) - 48) >>> 0) > 9) return NaN;
  }
  const n = (i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
  const year = n(0) * 100 + n(2);
  const month = n(5);
  const day = n(8);
  const hour = n(11);
  const minute = n(14);
  const second = n(17);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return NaN;
  const millis = n(20) * 10 + s.charCodeAt(22) - 48;
  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146_097 + doe - 719_468;
  return days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
}
