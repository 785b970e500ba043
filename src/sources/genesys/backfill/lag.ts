/**
 * The details API's ingestion lag, as the monitor meets it: Genesys publishes no figure
 * (integrators report a minute to half an hour, with a nightly correction), so the configured
 * `ingestionDelaySeconds` is only the first guess. Every backfill pass reports the facts the API
 * returned for the first time; where an earlier pass had covered the same queue and event time
 * without returning it, the fact appeared late: its lag lies between that earlier pass's time and
 * this one's (minus the event time). These samples decide how long a range must stay unchanged
 * before it counts as settled (the settle horizon), how far reconciliation reads back, and how
 * long identities are kept.
 *
 * A sample's value is its certain lower bound `lo`, raised by at most a quarter towards `hi`: the
 * pass spacing (hi - lo) must not feed back into the horizon that sets the spacing. Pure: the
 * caller passes times (monitor clock) and persists `toState()`.
 */

export interface LagSample {
  /** When it was observed (clock ms). */
  at: number;
  /** The lag was more than this (ms)... */
  lo: number;
  /** ...and at most this (ms). */
  hi: number;
}

export interface LagSettings {
  /** The configured first guess (clock ms): the horizon never goes below it. */
  guessMs: number;
  /** The horizon is this many times the largest recent lag. */
  margin: number;
  /** Samples older than this (clock ms) no longer count. */
  windowMs: number;
  /** Samples kept at most. */
  maxSamples: number;
}

export const defaultLagSettings = (guessMs: number): LagSettings => ({ guessMs, margin: 1.5, windowMs: 24 * 3_600_000, maxSamples: 2000 });

export interface LagView {
  samples: number;
  /** Percentiles of the samples' values (seconds of clock); null without samples. */
  p50Seconds: number | null;
  p90Seconds: number | null;
  p99Seconds: number | null;
  maxSeconds: number | null;
  /** How long a range must stay unchanged before it counts as settled (seconds of clock). */
  settleHorizonSeconds: number;
  guessSeconds: number;
}

/** A pass over the details API that covered these queues (null: all) and event times [from, to] at `at`. */
export interface PassCoverage {
  queueIds: ReadonlySet<string> | null;
  from: number;
  to: number;
  at: number;
}

const value = (s: LagSample) => s.lo + Math.min(s.hi - s.lo, 0.25 * s.lo);

export class LagTracker {
  private samples: LagSample[] = [];
  private readonly passes: PassCoverage[] = [];
  /** Bumped when the samples change (the caller persists on change). */
  version = 0;

  constructor(readonly s: LagSettings) {}

  /**
   * A fact the API returned for the first time, at `at`, with event time `t` for `queueId`: a
   * sample if an earlier pass covered it and did not return it. @returns the sample, if any.
   */
  firstSeen(queueId: string, t: number, at: number): LagSample | null {
    let prev: PassCoverage | null = null;
    for (let i = this.passes.length - 1; i >= 0; i--) {
      const p = this.passes[i];
      if (p.at >= at || p.at <= t || t < p.from || t > p.to) continue;
      if (p.queueIds !== null && !p.queueIds.has(queueId)) continue;
      prev = p;
      break;
    }
    if (!prev) return null;
    const sample = { at, lo: prev.at - t, hi: at - t };
    this.add(sample);
    return sample;
  }

  /** A pass completed: later passes compare against what it covered. */
  passed(p: PassCoverage): void {
    this.passes.push(p);
    const keepFrom = p.at - this.s.windowMs;
    while (this.passes.length > 0 && (this.passes[0].at < keepFrom || this.passes.length > 500)) this.passes.shift();
  }

  add(sample: LagSample): void {
    this.samples.push(sample);
    if (this.samples.length > this.s.maxSamples) this.samples.splice(0, this.samples.length - this.s.maxSamples);
    this.version++;
  }

  /** The largest recent lag (clock ms), or null when none was seen. */
  maxRecent(now: number): number | null {
    let max: number | null = null;
    for (const s of this.samples) if (s.at >= now - this.s.windowMs && (max === null || value(s) > max)) max = value(s);
    return max;
  }

  /** How long a range must stay unchanged (clock ms): the margin times the largest recent lag, never below the guess. */
  horizonMs(now: number): number {
    const max = this.maxRecent(now);
    return Math.max(this.s.guessMs, max === null ? 0 : this.s.margin * max);
  }

  view(now: number): LagView {
    const values = this.samples.filter((s) => s.at >= now - this.s.windowMs).map(value).sort((a, b) => a - b);
    const q = (p: number) => (values.length === 0 ? null : values[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)] / 1000);
    return {
      samples: values.length,
      p50Seconds: q(0.5),
      p90Seconds: q(0.9),
      p99Seconds: q(0.99),
      maxSeconds: values.length === 0 ? null : values[values.length - 1] / 1000,
      settleHorizonSeconds: this.horizonMs(now) / 1000,
      guessSeconds: this.s.guessMs / 1000,
    };
  }

  toState(): LagSample[] {
    return this.samples;
  }

  /** Restores samples written by toState; anything unreadable is left out. */
  restore(state: unknown): void {
    if (!Array.isArray(state)) return;
    this.samples = state
      .filter((s): s is LagSample => typeof s === "object" && s !== null && [s.at, s.lo, s.hi].every((v) => typeof v === "number" && Number.isFinite(v)) && s.lo >= 0 && s.hi >= s.lo)
      .slice(-this.s.maxSamples);
  }
}
