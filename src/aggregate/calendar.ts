/**
 * Business-time-zone calendar: clock-aligned 15/30-minute intervals and the "today" business day
 * (with a configurable reset time), both safe across DST changes.
 *
 * Interval boundaries are aligned on local wall-clock time: start = t - ((t + offset(t)) mod I).
 * Every real-world UTC offset and DST shift is a multiple of 15 minutes, so with I = 15 or 30 the
 * boundaries stay aligned through a DST change and every interval lasts exactly I (on a
 * fall-back night the repeated local hour yields two distinct sets of intervals, as Genesys shows).
 * Days are from one local reset time to the next, so a DST day lasts 23 or 25 hours.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws a RangeError naming the zone if the runtime does not know it. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}" (use an IANA name such as Europe/Dublin)`);
  }
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function wall(t: number, timeZone: string): Wall {
  const parts = formatter(timeZone).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { y: get("year"), mo: get("month"), d: get("day"), h: get("hour"), mi: get("minute"), s: get("second") };
}

/** UTC offset of the zone at instant t, in ms (local = UTC + offset). */
export function offsetAt(t: number, timeZone: string): number {
  const w = wall(t, timeZone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant at which the zone's wall clock shows the given local time (first one if repeated). */
function fromWall(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const naive = Date.UTC(y, mo - 1, d, h, mi);
  let t = naive - offsetAt(naive, timeZone);
  t = naive - offsetAt(t, timeZone);
  return t;
}

export class Calendar {
  private readonly intervalMs: number;
  private readonly resetH: number;
  private readonly resetM: number;
  private cachedInterval: [number, number] = [0, 0];
  private cachedDay: [number, number] = [0, 0];

  constructor(
    readonly timeZone: string,
    readonly intervalMinutes: 15 | 30,
    dailyReset = "00:00",
  ) {
    assertTimeZone(timeZone);
    const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(dailyReset);
    if (!m) throw new RangeError(`daily reset must be HH:MM, got "${dailyReset}"`);
    this.resetH = Number(m[1]);
    this.resetM = Number(m[2]);
    this.intervalMs = intervalMinutes * 60_000;
  }

  /** [start, end) of the clock-aligned interval holding t. */
  interval(t: number): [number, number] {
    const c = this.cachedInterval;
    if (t >= c[0] && t < c[1]) return c;
    const local = t + offsetAt(t, this.timeZone);
    const start = t - (((local % this.intervalMs) + this.intervalMs) % this.intervalMs);
    this.cachedInterval = [start, start + this.intervalMs];
    return this.cachedInterval;
  }

  /** [start, end) of the business day holding t. */
  day(t: number): [number, number] {
    const c = this.cachedDay;
    if (t >= c[0] && t < c[1]) return c;
    const w = wall(t, this.timeZone);
    let { y, mo, d } = w;
    if (w.h * 60 + w.mi < this.resetH * 60 + this.resetM) {
      const prev = new Date(Date.UTC(y, mo - 1, d - 1));
      [y, mo, d] = [prev.getUTCFullYear(), prev.getUTCMonth() + 1, prev.getUTCDate()];
    }
    const start = fromWall(y, mo, d, this.resetH, this.resetM, this.timeZone);
    const next = new Date(Date.UTC(y, mo - 1, d + 1));
    const end = fromWall(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), this.resetH, this.resetM, this.timeZone);
    this.cachedDay = [start, end];
    return this.cachedDay;
  }
}
