/**
 * Event-time windows for the rolling estimators: a ring of fixed slots (default one minute) that
 * keeps a few running sums per slot over a span (default 30 minutes). Memory is fixed per series
 * (slots x sums numbers) whatever the traffic, a read costs one pass over the slots, and the state
 * is plain JSON. The aggregate engine's RollingWindow is built for its buckets (counts and wait
 * digests per minute); these windows keep other sums (handle seconds, waiting seconds, a level's
 * integral) for many more series, so they are kept this small.
 *
 * A window reads "now" from the caller: the sums of the slots in (now - span, now], and the time
 * it covers, which is shorter than the span until it has been observing for a span (`since`).
 * Reads are slot-aligned: the oldest slot drops out whole as the current one begins, so a
 * 30-minute window covers between 29 and 30 minutes, and the current slot counts whole (a live
 * feed has nothing in it later than now).
 */

export interface WindowOptions {
  /** Span of the window (ms); default 30 minutes. */
  spanMs?: number;
  /** Slot width (ms); default one minute. The span is rounded up to whole slots. */
  slotMs?: number;
  /** When observation began (epoch ms); default the first value added. */
  since?: number;
}

export interface SlotWindowState {
  slotMs: number;
  slots: number;
  width: number;
  since: number | null;
  /** Non-empty slots: [slot number, sums]. */
  data: [number, number[]][];
  late: number;
}

const DEFAULT_SPAN = 30 * 60_000;
const DEFAULT_SLOT = 60_000;
const MAX_SLOTS = 10_000;
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** `width` running sums per slot. */
export class SlotWindow {
  readonly slotMs: number;
  readonly slots: number;
  /** When observation began; null until set or the first add. */
  since: number | null;
  /** Values for a slot the ring no longer holds (older than the span behind the newest). */
  late = 0;
  private readonly ids: number[];
  private readonly sums: Float64Array;
  private newest = -Infinity;

  constructor(
    readonly width: number,
    opts: WindowOptions = {},
  ) {
    this.slotMs = Math.max(1, Math.floor(opts.slotMs ?? DEFAULT_SLOT));
    this.slots = Math.min(MAX_SLOTS, Math.max(1, Math.ceil((opts.spanMs ?? DEFAULT_SPAN) / this.slotMs)));
    this.since = finite(opts.since) ? opts.since : null;
    this.ids = new Array<number>(this.slots).fill(-Infinity);
    this.sums = new Float64Array(this.slots * width);
  }

  get spanMs(): number {
    return this.slots * this.slotMs;
  }

  /** Adds `value` to sum `index` at event time `at`. False when the slot is gone (counted late). */
  add(at: number, index: number, value: number): boolean {
    if (!finite(at) || !finite(value) || index < 0 || index >= this.width) return false;
    const id = Math.floor(at / this.slotMs);
    if (id <= this.newest - this.slots) {
      this.late++;
      return false;
    }
    const k = ((id % this.slots) + this.slots) % this.slots;
    if (this.ids[k] !== id) {
      this.ids[k] = id;
      this.sums.fill(0, k * this.width, (k + 1) * this.width);
    }
    this.sums[k * this.width + index] += value;
    if (id > this.newest) this.newest = id;
    if (this.since === null || at < this.since) this.since = at;
    return true;
  }

  /** The sums over (now - span, now], slot-aligned (the current slot counts in part). */
  read(now: number): number[] {
    const out = new Array<number>(this.width).fill(0);
    const nowId = Math.floor(now / this.slotMs);
    for (let k = 0; k < this.slots; k++) {
      const id = this.ids[k];
      if (id > nowId || id <= nowId - this.slots) continue;
      for (let j = 0; j < this.width; j++) out[j] += this.sums[k * this.width + j];
    }
    return out;
  }

  /** Per-slot sums in time order over the window: [slot start ms, sums][]. */
  series(now: number): [number, number[]][] {
    const nowId = Math.floor(now / this.slotMs);
    const out: [number, number[]][] = [];
    for (let k = 0; k < this.slots; k++) {
      const id = this.ids[k];
      if (id > nowId || id <= nowId - this.slots) continue;
      out.push([id * this.slotMs, Array.from(this.sums.subarray(k * this.width, (k + 1) * this.width))]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Start of the window at `now`: its oldest slot's start, or `since` if later. */
  windowStart(now: number): number {
    const start = (Math.floor(now / this.slotMs) - this.slots + 1) * this.slotMs;
    return this.since === null ? start : Math.max(start, this.since);
  }

  /** Milliseconds of event time the window covers at `now` (0 before observation began). */
  coveredMs(now: number): number {
    if (this.since === null) return 0;
    return Math.max(0, now - this.windowStart(now));
  }

  toState(): SlotWindowState {
    const data: [number, number[]][] = [];
    for (let k = 0; k < this.slots; k++) {
      if (this.ids[k] === -Infinity) continue;
      const sums = Array.from(this.sums.subarray(k * this.width, (k + 1) * this.width));
      if (sums.some((v) => v !== 0)) data.push([this.ids[k], sums]);
    }
    return { slotMs: this.slotMs, slots: this.slots, width: this.width, since: this.since, data, late: this.late };
  }

  /**
   * A window from saved state; null when the state is not one (wrong shape, width or numbers).
   * `narrower`: a saved width that is also read (an older layout whose sums are a prefix of this
   * one's; the new sums start at 0).
   */
  static fromState(x: unknown, width: number, narrower?: number): SlotWindow | null {
    if (typeof x !== "object" || x === null) return null;
    const s = x as Partial<SlotWindowState>;
    const saved = s.width === width || (narrower !== undefined && narrower < width && s.width === narrower) ? s.width : null;
    if (!finite(s.slotMs) || !finite(s.slots) || s.slots < 1 || s.slots > MAX_SLOTS || saved === null || !Array.isArray(s.data)) return null;
    if (s.since !== null && !finite(s.since)) return null;
    const w = new SlotWindow(width, { slotMs: s.slotMs, spanMs: s.slots * s.slotMs, ...(s.since !== null ? { since: s.since } : {}) });
    if (w.slots !== s.slots) return null;
    for (const entry of s.data) {
      if (!Array.isArray(entry) || !Number.isSafeInteger(entry[0]) || !Array.isArray(entry[1]) || entry[1].length !== saved || !entry[1].every(finite)) return null;
      const [id, sums] = entry as [number, number[]];
      const k = ((id % w.slots) + w.slots) % w.slots;
      if (w.ids[k] !== -Infinity && w.ids[k] >= id) continue;
      w.ids[k] = id;
      w.sums.set(sums, k * width);
      if (id > w.newest) w.newest = id;
    }
    w.late = finite(s.late) ? s.late : 0;
    return w;
  }
}

export interface LevelWindowState {
  window: SlotWindowState;
  level: number | null;
  levelAt: number | null;
  outOfOrder: number;
}

/**
 * The time-weighted average of a level (a count that holds until it changes, such as the
 * interactions in progress) over the window. A null level means unknown: that time is left out
 * of both the integral and the time it is divided by.
 */
export class LevelWindow {
  private readonly w: SlotWindow;
  private level: number | null = null;
  private levelAt: number | null = null;
  /** Readings older than the last one (refused). */
  outOfOrder = 0;

  constructor(opts: WindowOptions = {}, w?: SlotWindow) {
    this.w = w ?? new SlotWindow(2, opts);
  }

  /** The level is `value` from `at` on (null: unknown from `at`). */
  set(at: number, value: number | null): void {
    if (!finite(at) || (value !== null && !finite(value))) return;
    if (this.levelAt !== null && at < this.levelAt) {
      this.outOfOrder++;
      return;
    }
    if (this.levelAt !== null && this.level !== null) this.integrate(this.levelAt, at, this.level);
    if (this.w.since === null) this.w.since = at;
    this.level = value;
    this.levelAt = at;
  }

  /** Average over the window at `now` (the level since its last reading included); null if unknown throughout. */
  average(now: number): number | null {
    const [integral, known] = this.w.read(now);
    let i = integral;
    let k = known;
    if (this.level !== null && this.levelAt !== null && now > this.levelAt) {
      const from = Math.max(this.levelAt, this.w.windowStart(now));
      if (now > from) {
        i += this.level * (now - from);
        k += now - from;
      }
    }
    return k > 0 ? i / k : null;
  }

  /** Splits [a, b) over slots, at most one span back from b. */
  private integrate(a: number, b: number, v: number): void {
    let t = Math.max(a, b - this.w.spanMs);
    while (t < b) {
      const end = Math.min(b, (Math.floor(t / this.w.slotMs) + 1) * this.w.slotMs);
      this.w.add(t, 0, v * (end - t));
      this.w.add(t, 1, end - t);
      t = end;
    }
  }

  toState(): LevelWindowState {
    return { window: this.w.toState(), level: this.level, levelAt: this.levelAt, outOfOrder: this.outOfOrder };
  }

  static fromState(x: unknown): LevelWindow | null {
    if (typeof x !== "object" || x === null) return null;
    const s = x as Partial<LevelWindowState>;
    const w = SlotWindow.fromState(s.window, 2);
    if (!w) return null;
    if ((s.level !== null && !finite(s.level)) || (s.levelAt !== null && !finite(s.levelAt))) return null;
    const l = new LevelWindow({}, w);
    l.level = s.level ?? null;
    l.levelAt = s.levelAt ?? null;
    l.outOfOrder = finite(s.outOfOrder) ? s.outOfOrder : 0;
    return l;
  }
}
