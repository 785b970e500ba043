/**
 * What every push sink is: a pure encoder of one flush into one HTTP request, plus how its
 * outbox drains (delivery/runner.ts Destination). The runner sends through the shared transport;
 * sinks never do I/O.
 */
import type { Destination } from "../delivery/runner.js";
import type { HttpRequest } from "../delivery/transport.js";
import type { BufferPool } from "./byte-writer.js";
import { labelSet, type LabelSet } from "./labels.js";
import { FrameFlush, SeriesSample, type Flush, type Sample } from "./samples.js";

/** A metric sink is a delivery destination of flushes (the interface lives with the runner). */
export type Sink = Destination<Flush>;

/** `release` of a sink whose bodies are written into `pool`. */
export function releaseInto(pool: BufferPool): (req: HttpRequest) => void {
  return (req) => {
    if (req.body instanceof Uint8Array) pool.give(req.body);
  };
}

/** Joins a base URL and a path without doubling or losing the slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

export { escapeLabelValue } from "./labels.js";

/** A float as Prometheus' text format and Go's ParseFloat read it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * The flush with `extra` labels on every sample (a sample's own label of the same name wins).
 * A per-queue sample keeps its shape: its series' labels gain the extra ones (one set per series).
 */
export function withLabels(flush: Flush, extra: Record<string, string> | undefined): Flush {
  if (!extra || Object.keys(extra).length === 0) return flush;
  if (flush instanceof FrameFlush && !flush.frame.slots.some((s) => s.extra && Object.keys(s.extra.labels).some((k) => k in extra))) {
    const merged = new Map<LabelSet, LabelSet>();
    const series = flush.frame.series.map((l) => {
      let m = merged.get(l);
      if (!m) merged.set(l, (m = labelSet({ ...extra, ...l.labels })));
      return m;
    });
    return new FrameFlush(flush.at, flush.frame.withSeries(series), flush.rest.map((s) => ({ family: s.family, name: s.name, labels: { ...extra, ...s.labels }, value: s.value })));
  }
  const merged = new Map<LabelSet, LabelSet>();
  const samples = flush.samples.map((s): Sample => {
    if (s instanceof SeriesSample && !(s.extra && Object.keys(s.extra.labels).some((k) => k in extra))) {
      let series = merged.get(s.series);
      if (!series) merged.set(s.series, (series = labelSet({ ...extra, ...s.series.labels })));
      return new SeriesSample(s.family, s.name, series, s.extra, s.value);
    }
    return { family: s.family, name: s.name, labels: { ...extra, ...s.labels }, value: s.value };
  });
  return { at: flush.at, samples };
}
