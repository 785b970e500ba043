/**
 * The figures a supervisor reads, computed from a bucket: pure, definitions in
 * docs/metrics.md ("How each figure is defined").
 */
import type { Bucket, EventCounts } from "./bucket.js";
import type { Waits } from "./waits.js";

export interface WaitSummary {
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export interface Figures extends EventCounts {
  /** Ratio 0..1 (Genesys' oServiceLevel ratio); null when the denominator is 0. */
  serviceLevel: number | null;
  asaSeconds: number | null;
  /** Ratio 0..1 of abandoned to offered; null when nothing was offered. */
  abandonRate: number | null;
  answeredWaitSeconds: WaitSummary;
  abandonedWaitSeconds: WaitSummary;
}

/** Genesys' service-level formula switches (Admin > Contact Center > Analytics). */
export interface ServiceLevelPolicy {
  /** Abandons count in the denominator (Genesys default: on). */
  includeAbandons: boolean;
  /** Short abandons count too (when abandons do); off excludes quick hang-ups. */
  includeShortAbandons: boolean;
  /** Flow-outs count in the denominator. */
  includeFlowouts: boolean;
}

export const defaultServiceLevelPolicy: ServiceLevelPolicy = { includeAbandons: true, includeShortAbandons: false, includeFlowouts: false };

/**
 * SL = (answered - answered over threshold) /
 *      (answered + [abandoned - short abandons unless included] + [flow-outs if included])
 */
export function serviceLevel(b: Pick<Bucket, "answered" | "overSla" | "abandoned" | "shortAbandoned" | "flowout">, p: ServiceLevelPolicy): number | null {
  let denominator = b.answered;
  if (p.includeAbandons) denominator += b.abandoned - (p.includeShortAbandons ? 0 : b.shortAbandoned);
  if (p.includeFlowouts) denominator += b.flowout;
  if (denominator <= 0) return null;
  return (b.answered - b.overSla) / denominator;
}

const NO_WAITS: WaitSummary = { p50: null, p90: null, p95: null, p99: null, max: null };

const QS = [0.5, 0.9, 0.95, 0.99];

export function waitSummary(d: Waits | null): WaitSummary {
  if (!d || d.count === 0) return { ...NO_WAITS };
  const s = (ms: number) => Math.round(ms) / 1000;
  const [p50, p90, p95, p99] = d.quantiles(QS);
  return { p50: s(p50), p90: s(p90), p95: s(p95), p99: s(p99), max: s(d.max) };
}

export function figures(b: Bucket, policy: ServiceLevelPolicy): Figures {
  return {
    offered: b.offered,
    answered: b.answered,
    abandoned: b.abandoned,
    shortAbandoned: b.shortAbandoned,
    flowout: b.flowout,
    overSla: b.overSla,
    serviceLevel: serviceLevel(b, policy),
    asaSeconds: b.answered > 0 ? b.answeredWaitMsSum / b.answered / 1000 : null,
    abandonRate: b.offered > 0 ? b.abandoned / b.offered : null,
    answeredWaitSeconds: waitSummary(b.answeredWaits),
    abandonedWaitSeconds: waitSummary(b.abandonedWaits),
  };
}
