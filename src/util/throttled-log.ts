/**
 * Rate-limited logging of repeating conditions (a failing disk, a server sending garbage, a
 * standing API refusal): the first occurrence of a key is logged at once, then at most `burst`
 * lines per `intervalMs` per key, each saying how many occurrences were left out since the line
 * before. Without it a condition that recurs on every timer turn writes a line per turn and
 * buries everything else; with it the log still says when it started, that it goes on, and
 * (through `clear`) when it ended.
 *
 * Time is real time by default (log volume is a real-time concern, also under a sped-up clock);
 * tests inject their own.
 */
import type { Logger } from "./log.js";

export interface ThrottleOptions {
  /** Length of one window (ms); default one minute. */
  intervalMs?: number;
  /** Lines per key and window; default 1. */
  burst?: number;
  /** Epoch ms; default Date.now. */
  now?: () => number;
  /** Keys remembered at most (the oldest is forgotten first); default 10,000. */
  maxKeys?: number;
}

/** What `admit` says about one occurrence that is to be logged. */
export interface Admitted {
  /** Occurrences of the key left out since its previous line. */
  suppressed: number;
  /** Occurrences of the key since it was first seen (or last cleared), this one included. */
  occurrences: number;
  /** When the key was first seen (or last cleared), epoch ms. */
  firstAt: number;
}

/** What `clear` says about a key that was seen. */
export interface Cleared {
  /** Occurrences left out since the key's last line: a closing line should say so. */
  suppressed: number;
  occurrences: number;
  firstAt: number;
}

interface KeyState {
  firstAt: number;
  windowStart: number;
  inWindow: number;
  suppressed: number;
  occurrences: number;
}

type Level = "error" | "warn" | "info";

/** The decision alone, for callers that write their lines their own way. */
export class LogThrottle {
  private readonly keys = new Map<string, KeyState>();
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly maxKeys: number;
  readonly now: () => number;

  constructor(opts: ThrottleOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.burst = opts.burst ?? 1;
    this.maxKeys = opts.maxKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
    if (!(this.intervalMs > 0)) throw new RangeError(`throttle intervalMs must be > 0, got ${this.intervalMs}`);
    if (!(Number.isInteger(this.burst) && this.burst >= 1)) throw new RangeError(`throttle burst must be an integer >= 1, got ${this.burst}`);
  }

  /** Counts one occurrence of `key`: what to put on the line, or null when it is left out. */
  admit(key: string): Admitted | null {
    const now = this.now();
    let k = this.keys.get(key);
    if (!k) {
      if (this.keys.size >= this.maxKeys) this.keys.delete(this.keys.keys().next().value as string);
      k = { firstAt: now, windowStart: now, inWindow: 0, suppressed: 0, occurrences: 0 };
      this.keys.set(key, k);
    }
    k.occurrences++;
    if (now - k.windowStart >= this.intervalMs) {
      k.windowStart = now;
      k.inWindow = 0;
    }
    if (k.inWindow >= this.burst) {
      k.suppressed++;
      return null;
    }
    k.inWindow++;
    const suppressed = k.suppressed;
    k.suppressed = 0;
    return { suppressed, occurrences: k.occurrences, firstAt: k.firstAt };
  }

  /** The condition behind `key` ended: its next occurrence is logged at once. Null if unseen. */
  clear(key: string): Cleared | null {
    const k = this.keys.get(key);
    if (!k) return null;
    this.keys.delete(key);
    return { suppressed: k.suppressed, occurrences: k.occurrences, firstAt: k.firstAt };
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}

/**
 * A logger whose lines are throttled per key. A line after left-out ones carries `suppressed`
 * (how many) and `occurrences` (how many since the key was first seen).
 */
export class ThrottledLog {
  readonly throttle: LogThrottle;

  constructor(
    private readonly log: Logger,
    opts: ThrottleOptions = {},
  ) {
    this.throttle = new LogThrottle(opts);
  }

  /** @returns whether the line was written */
  error(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.write("error", key, fields, msg);
  }

  warn(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.write("warn", key, fields, msg);
  }

  info(key: string, fields: Record<string, unknown>, msg: string): boolean {
    return this.write("info", key, fields, msg);
  }

  /** See LogThrottle.clear: the caller writes its own closing line with what this returns. */
  clear(key: string): Cleared | null {
    return this.throttle.clear(key);
  }

  private write(level: Level, key: string, fields: Record<string, unknown>, msg: string): boolean {
    const a = this.throttle.admit(key);
    if (!a) return false;
    this.log[level](a.suppressed > 0 ? { ...fields, suppressed: a.suppressed, occurrences: a.occurrences } : fields, msg);
    return true;
  }
}
