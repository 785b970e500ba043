/**
 * Pure rule evaluation: one state machine per rule x queue x media,
 *   inactive -> pending (breach seen) -> firing (breach lasted `forSeconds`: trigger)
 *   pending -> inactive (breach gone before the hold-down)
 *   firing -> resolved (no longer beyond `clearThreshold` for `clearForSeconds`: resolve)
 *   resolved -> pending (a new breach) | inactive (after keepResolvedSeconds)
 * A breach needs `minSamples` calls behind the figure; a firing alert whose figure has no data or
 * too few calls counts as clear (the problem cannot be shown any more). Times are monitor clock.
 */
import type { Rule } from "./config.js";
import type { Reading } from "./figures.js";

export type AlertPhase = "inactive" | "pending" | "firing" | "resolved";

export interface AlertState {
  dedupKey: string;
  rule: string;
  queueId: string;
  queueName: string;
  mediaType: string;
  state: AlertPhase;
  /** When the current state began (monitor clock, epoch ms). */
  since: number;
  value: number | null;
  samples: number;
  /** While firing: when the figure first read clear (the clear hold-down runs from here). */
  clearSince: number | null;
}

export type Transition = "trigger" | "resolve" | null;

function beyond(cmp: Rule["comparison"], v: number, t: number): boolean {
  switch (cmp) {
    case ">":
      return v > t;
    case ">=":
      return v >= t;
    case "<":
      return v < t;
    case "<=":
      return v <= t;
  }
}

export function breaching(rule: Rule, r: Reading): boolean {
  return r.value !== null && r.samples >= rule.minSamples && beyond(rule.comparison, r.value, rule.threshold);
}

function stillBad(rule: Rule, r: Reading): boolean {
  return r.value !== null && r.samples >= rule.minSamples && beyond(rule.comparison, r.value, rule.clearThreshold ?? rule.threshold);
}

/** The next state of one alert given a new reading at `now`, and the PagerDuty event it causes. */
export function step(prev: AlertState, rule: Rule, r: Reading, now: number, keepResolvedMs: number): { next: AlertState; event: Transition } {
  const base = { ...prev, value: r.value, samples: r.samples === Infinity ? 0 : r.samples };
  switch (prev.state) {
    case "inactive":
    case "resolved": {
      if (breaching(rule, r)) {
        if (rule.forSeconds === 0) return { next: { ...base, state: "firing", since: now, clearSince: null }, event: "trigger" };
        return { next: { ...base, state: "pending", since: now, clearSince: null }, event: null };
      }
      if (prev.state === "resolved" && now - prev.since >= keepResolvedMs) return { next: { ...base, state: "inactive", since: now }, event: null };
      return { next: base, event: null };
    }
    case "pending": {
      if (!breaching(rule, r)) return { next: { ...base, state: "inactive", since: now }, event: null };
      if (now - prev.since >= rule.forSeconds * 1000) return { next: { ...base, state: "firing", since: now, clearSince: null }, event: "trigger" };
      return { next: base, event: null };
    }
    case "firing": {
      if (stillBad(rule, r)) return { next: { ...base, clearSince: null }, event: null };
      const clearSince = prev.clearSince ?? now;
      if (now - clearSince >= rule.clearForSeconds * 1000) return { next: { ...base, state: "resolved", since: now, clearSince: null }, event: "resolve" };
      return { next: { ...base, clearSince }, event: null };
    }
  }
}

export function initialState(rule: string, queueId: string, queueName: string, mediaType: string, dedupKey: string, now: number): AlertState {
  return { dedupKey, rule, queueId, queueName, mediaType, state: "inactive", since: now, value: null, samples: 0, clearSince: null };
}
