/**
 * Drives one sink: drains its outbox oldest first (latest only for the Pushgateway) through the
 * shared HTTP transport. The transport classifies every answer:
 *  - 2xx: delivered, the row goes;
 *  - 429 / 503 with Retry-After, 408, 5xx, network errors: retried (inside the transport, then
 *    here with capped, jittered backoff across flushes); the row stays, nothing after it is sent
 *    first, so order and timestamps survive the outage;
 *  - other 4xx: logged with the server's message and dead-lettered, never retried.
 * Delivery is at least once: a kill -9 between a server's 2xx and the row's deletion resends that
 * flush. InfluxDB overwrites the same point, Prometheus' TSDB ignores an identical sample,
 * VictoriaMetrics deduplicates it with -dedup.minScrapeInterval (README).
 */
import { HttpError, type HttpTransport } from "./transport.js";
import { backoffMs } from "./retry.js";
import type { Logger } from "../util/log.js";
import type { Outbox } from "./outbox.js";
import type { SinkStatus } from "../sinks/samples.js";
import type { Sink } from "../sinks/sink.js";

/** Flushes sent per drain at most, so one sink catching up never holds the event loop for long. */
const MAX_PER_DRAIN = 50;

export class SinkRunner {
  sent = 0;
  failures = 0;
  deadLetters = 0;
  dropped = 0;
  superseded = 0;
  private retryAt = 0;
  private attempt = 0;
  private prepared = false;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly sink: Sink,
    private readonly outbox: Outbox,
    private readonly transport: HttpTransport,
    private readonly log: Logger,
    private readonly maxBackoffMs = 60_000,
  ) {}

  status(): SinkStatus {
    return { name: this.sink.name, pending: this.outbox.pending(this.sink.name), sent: this.sent, failures: this.failures, deadLetters: this.deadLetters, dropped: this.dropped };
  }

  /** Starts a drain unless one runs or the backoff has not passed; resolves when it ends. */
  drain(force = false): Promise<void> {
    if (this.running) return this.running;
    if (this.stopped || (!force && Date.now() < this.retryAt) || this.outbox.pending(this.sink.name) === 0) return Promise.resolve();
    this.running = this.run().finally(() => (this.running = null));
    return this.running;
  }

  /** Stops draining; waits (bounded) for the request in flight. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true;
    const r = this.running;
    if (r) await Promise.race([r, new Promise((res) => setTimeout(res, timeoutMs).unref())]);
  }

  private async run(): Promise<void> {
    const name = this.sink.name;
    try {
      if (this.sink.prepare && !this.prepared) {
        try {
          const res = await this.transport.send(this.sink.prepare(), (s) => s >= 400 && s < 500);
          if (res.status >= 400) this.log.warn({ sink: name, status: res.status, message: res.text.slice(0, 300) }, "export sink preparation refused; writing anyway");
          this.prepared = true;
        } catch (e) {
          this.fail(e);
          return;
        }
      }
      for (let i = 0; i < MAX_PER_DRAIN && !this.stopped; i++) {
        const item = this.sink.latestOnly ? this.outbox.newest(name) : this.outbox.oldest(name);
        if (!item) return;
        if (this.sink.latestOnly) this.superseded += this.outbox.supersede(name, item.seq);
        let status: number;
        let text: string;
        const req = await this.sink.request(item.flush);
        try {
          const res = await this.transport.send(req, (s) => s >= 400 && s < 500);
          status = res.status;
          text = res.text;
        } catch (e) {
          this.fail(e);
          return;
        } finally {
          this.sink.release?.(req);
        }
        if (status >= 200 && status < 300) {
          this.outbox.done(name, item.seq);
          this.sent++;
          this.attempt = 0;
          this.retryAt = 0;
        } else {
          this.deadLetters++;
          this.outbox.deadLetter(name, item, status, text);
          this.log.error({ sink: name, type: this.sink.type, status, message: text.slice(0, 500), at: new Date(item.flush.at).toISOString() }, "export sink refused a flush; dead-lettered, not retried");
        }
      }
    } catch (e) {
      // The outbox itself failed (disk, closed at shutdown): try again later.
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    this.failures++;
    this.attempt++;
    const wait = backoffMs(this.attempt, 1000, this.maxBackoffMs) + 250;
    this.retryAt = Date.now() + wait;
    const status = e instanceof HttpError ? e.status : undefined;
    this.log.warn({ sink: this.sink.name, type: this.sink.type, status, err: (e as Error).message, pending: this.outbox.pending(this.sink.name), retryMs: wait }, "export sink unreachable; flushes kept in the outbox");
  }
}
