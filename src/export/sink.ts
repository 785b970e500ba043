/**
 * What every push sink is: a pure encoder of one flush into one HTTP request, plus how its
 * outbox drains. The runner (./runner.ts) sends through the shared transport; sinks never do I/O.
 */
import type { HttpRequest } from "../transport/http.js";
import type { Flush } from "./samples.js";

export interface Sink {
  /** Unique among the configured sinks: keys the outbox and the health labels. */
  readonly name: string;
  readonly type: string;
  /**
   * The server keeps only the latest figures (Pushgateway): when several flushes wait, only the
   * newest is sent and the older ones are superseded, not lost.
   */
  readonly latestOnly: boolean;
  /** The request that writes one flush. */
  request(flush: Flush): HttpRequest | Promise<HttpRequest>;
  /** Sent once before the first write (e.g. InfluxDB 1.x CREATE DATABASE); failures only logged. */
  prepare?(): HttpRequest;
}

/** Joins a base URL and a path without doubling or losing the slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

/** Prometheus label value escaping (text format): backslash, double quote, newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A float as Prometheus' text format and Go's ParseFloat read it. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** The flush with `extra` labels on every sample (a sample's own label of the same name wins). */
export function withLabels(flush: Flush, extra: Record<string, string> | undefined): Flush {
  if (!extra || Object.keys(extra).length === 0) return flush;
  return { at: flush.at, samples: flush.samples.map((s) => ({ ...s, labels: { ...extra, ...s.labels } })) };
}
