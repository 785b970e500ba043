/**
 * Export wiring: /metrics (pull) and the push sinks with their durable outbox. The monitor hands
 * it read-only views (engine snapshot, health, clock) and the state file's connection; the core
 * never names a concrete sink.
 *   flush: every `flushSeconds` of monitor clock, the current figures (the same samples /metrics
 *   shows) are stored once in the outbox, timestamped with the monitor's clock, then each sink
 *   drains what waits for it.
 */
import type Database from "better-sqlite3";
import type { SeriesSnapshot } from "../aggregate/series.js";
import type { ExportConfig, SinkConfig } from "./config.js";
import type { QueueEvent } from "../domain/queue-event.js";
import { HttpTransport } from "../delivery/transport.js";
import { deliveryPolicy, type PolicyOverride } from "../delivery/policy.js";
import { bodies } from "./byte-writer.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/log.js";
import { influxSink } from "./influxdb/encode.js";
import { Outbox } from "../delivery/outbox.js";
import { contentType, PrometheusExposition } from "./prometheus/exposition.js";
import { pushgatewaySink } from "./pushgateway/encode.js";
import { remoteWriteSink } from "./remote-write/encode.js";
import { DeliveryRunner } from "../delivery/runner.js";
import { flushCodec } from "./flush-codec.js";
import { buildFlush, type Flush, type FrameFlush, type HealthInput, type Sample, type SinkStatus } from "./samples.js";
import type { Sink } from "./sink.js";
import { victoriaMetricsSink } from "./victoriametrics/encode.js";
import { WaitHistogram } from "./wait-histogram.js";
import { webhookSink } from "./webhook/encode.js";
import { every as everyMs } from "../util/timers.js";

export interface ExporterDeps {
  config: ExportConfig;
  clock: Clock;
  log: Logger;
  /** The state file's connection (the store holds its exclusive lock). */
  db: Database.Database;
  snapshot: () => SeriesSnapshot[];
  health: () => HealthInput;
  /** The configuration's changes to the sink delivery preset (delivery/policy.ts, `delivery.sink`). */
  delivery?: PolicyOverride;
  /** The pushes' transport (default: one with the sink policy); tests shorten its retries. */
  transport?: HttpTransport;
  /** Firing alerts per rule, and the PagerDuty delivery as one more sink status. */
  alerts?: () => { firing: { rule: string; severity: string; firing: number }[]; sinks: SinkStatus[] };
}

/** Builds the configured sinks; names default to the type, numbered when a type repeats. */
export function buildSinks(configs: SinkConfig[]): Sink[] {
  const used = new Map<string, number>();
  return configs.map((c) => {
    let name = c.name ?? c.type;
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    if (n > 1) name = `${name}-${n}`;
    switch (c.type) {
      case "victoriametrics":
        return victoriaMetricsSink(name, c);
      case "pushgateway":
        return pushgatewaySink(name, c);
      case "influxdb":
        return influxSink(name, c);
      case "remote-write":
        return remoteWriteSink(name, c);
      case "webhook":
        return webhookSink(name, c);
    }
  });
}

export class Exporter {
  readonly histogram: WaitHistogram;
  readonly outbox: Outbox<Flush>;
  readonly runners: DeliveryRunner<Flush>[];
  private readonly exposition = new PrometheusExposition();
  private readonly metricsPool = bodies;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  /** Real milliseconds the last /metrics render and the last flush took (self-measurement). */
  readonly timings = { renderMs: 0, flushMs: 0 };

  constructor(private readonly d: ExporterDeps) {
    this.histogram = new WaitHistogram(d.db);
    const sinks = buildSinks(d.config.sinks);
    this.outbox = new Outbox(d.db, { table: "export", codec: flushCodec, destinations: sinks.map((s) => s.name), maxPending: d.config.maxPendingFlushes });
    if (this.outbox.removedSinks.length > 0) d.log.warn({ sinks: this.outbox.removedSinks }, "flushes waiting for sinks no longer configured were discarded");
    const policy = deliveryPolicy("sink", d.delivery);
    const transport = d.transport ?? new HttpTransport(policy);
    this.runners = sinks.map((s) => new DeliveryRunner(s, this.outbox, transport, d.log, { outage: policy.outage, noun: "flush" }));
  }

  /** A newly counted event (not a replayed one): feeds the cumulative wait histogram. */
  observe(e: QueueEvent): void {
    this.histogram.observe(e);
  }

  /** For StateStore.addCommitParticipant: the histogram commits with the events it counts. */
  get commitParticipant(): { write(): void; committed(): void } {
    return { write: () => this.histogram.write(), committed: () => this.histogram.committed() };
  }

  /** The current figures as a flush at `at` (per-queue figures as a frame: no object per sample). */
  current(at = this.d.clock.now()): FrameFlush {
    const alerts = this.d.alerts?.();
    return buildFlush(at, {
      snapshots: this.d.snapshot(),
      histogram: (q, m) => this.histogram.get(q, m),
      health: this.d.health(),
      sinks: [...this.runners.map((r) => r.status()), ...(alerts?.sinks ?? [])],
      alerts: alerts?.firing,
    });
  }

  samples(): Sample[] {
    return this.current().samples;
  }

  /**
   * The Prometheus text exposition of the current figures (UTF-8). Hand the body back with
   * metricsSent once it is written: the next render reuses its buffer (see BufferPool).
   */
  async metrics(): Promise<{ contentType: string; body: Buffer }> {
    const t0 = performance.now();
    const body = await this.exposition.renderBytes(this.current(), this.metricsPool);
    this.timings.renderMs = performance.now() - t0;
    return { contentType, body };
  }

  /** The response carrying a /metrics body has been written: its buffer may be reused. */
  metricsSent(body: Buffer): void {
    this.metricsPool.give(body);
  }

  /** Stores the current figures for every sink (no-op without sinks) and starts their drains. */
  flush(): Flush | null {
    if (this.runners.length === 0 || this.stopped) return null;
    const t0 = performance.now();
    const at = this.d.clock.now();
    const flush = this.current(at);
    const { seq, shed } = this.outbox.add(
      flush,
      this.runners.map((r) => r.sink.name),
    );
    // Counted per sink and reason, and said (rate-limited: a full outbox sheds at every flush).
    if (shed.length > 0) for (const r of this.runners) r.shed(shed, () => ({ kind: "", fields: { maxPendingFlushes: this.d.config.maxPendingFlushes } }));
    this.timings.flushMs = performance.now() - t0;
    this.d.log.info({ at: new Date(at).toISOString(), atMs: at, seq, series: flush.frame.series.length, ms: Math.round(this.timings.flushMs) }, "export flush stored");
    for (const r of this.runners) void r.drain(true);
    return flush;
  }

  /** Waits until every sink's drain in progress ends (tests, benchmarks). */
  async drained(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.drain(true)));
  }

  start(): void {
    if (this.runners.length === 0) return;
    const every = (ms: number, f: () => void) => everyMs(this.timers, ms, this.d.log, "export task failed", f);
    // flushSeconds is monitor-clock time: under a sped-up clock flushes come faster in real time.
    every(Math.max(100, (this.d.config.flushSeconds * 1000) / this.d.clock.speed), () => void this.flush());
    // Retries between flushes (each runner honours its own backoff).
    every(1000, () => {
      for (const r of this.runners) void r.drain();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
