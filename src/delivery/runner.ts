/**
 * Drives one destination (a metric sink, PagerDuty): drains its outbox oldest first (latest only
 * for the Pushgateway) through the shared HTTP transport. What happens to each item:
 *  - 2xx: delivered, the row goes;
 *  - 429 / 503 with Retry-After, 408, 5xx, network errors: retried (inside the transport, then
 *    here across drains with the destination's outage Backoff, honouring the server's
 *    Retry-After up to its cap); the row stays and nothing after it is sent first, so order and
 *    timestamps survive the outage;
 *  - other 4xx: dead-lettered ("refused") with the server's message, never retried;
 *  - its request cannot be built (the encoder throws): dead-lettered ("unbuildable");
 *  - its row no longer decodes: dead-lettered ("undecodable").
 * A dead letter is not a reason to stop: the next item goes at once. Every removal is counted by
 * reason (status().discarded) and logged, rate-limited when it repeats.
 * Delivery is at least once: a kill -9 between a server's 2xx and the row's deletion resends that
 * item. InfluxDB overwrites the same point, Prometheus' TSDB ignores an identical sample,
 * VictoriaMetrics deduplicates it with -dedup.minScrapeInterval (README), PagerDuty dedups by key.
 */
import { HttpError, type HttpRequest, type HttpResponse, type HttpTransport } from "./transport.js";
import { Backoff, type BackoffOptions } from "./retry.js";
import type { Logger } from "../util/log.js";
import { ThrottledLog } from "../util/throttled-log.js";
import type { Outbox, OutboxRow, ShedRow } from "./outbox.js";

/** Where items go: a pure encoder of one item into one HTTP request, and how its outbox drains. */
export interface Destination<T> {
  /** Unique among the destinations of one outbox: keys its rows and the `sink` label. */
  readonly name: string;
  readonly type: string;
  /**
   * The server keeps only the latest item (Pushgateway): when several wait, only the newest is
   * sent and the older ones are superseded, not lost.
   */
  readonly latestOnly: boolean;
  /** The request that delivers one item (may throw: the item is then dead-lettered). */
  request(item: T): HttpRequest | Promise<HttpRequest>;
  /** The runner is done with a request's body (sent, refused or given up): its buffer may be reused. */
  release?(req: HttpRequest): void;
  /** Sent once before the first write (e.g. InfluxDB 1.x CREATE DATABASE); failures only logged. */
  prepare?(): HttpRequest;
  /** Fields for the log line of a refusal, read from the answer (PagerDuty's `errors`). */
  describeRefusal?(res: HttpResponse): Record<string, unknown>;
}

/** Why an item left an outbox undelivered: dead letters, then what the outbox bound sheds. */
export const DEAD_LETTER_REASONS = ["refused", "unbuildable", "undecodable"] as const;

/** One destination's figures for /metrics (export_* families, label sink). */
export interface DeliveryStatus {
  name: string;
  pending: number;
  sent: number;
  failures: number;
  deadLetters: number;
  dropped: number;
  /** Items removed undelivered, by reason (dead letters and what the bound shed). */
  discarded: Record<string, number>;
  /** Answers whose body went past the transport's bound (not read further). */
  tooLarge: number;
}

export interface RunnerOptions {
  /** Waits between drains after a failure (./policy.ts, the destination's `outage`). */
  outage: BackoffOptions;
  /** What one item is called in logs ("flush", "event"). */
  noun?: string;
  /** The reasons this destination's outbox bound may report (default ["cap"]), listed at 0 on /metrics. */
  shedReasons?: string[];
  /** Log level of a shed row (default error: figures or pages are lost). */
  shedLevel?: (reason: string) => "error" | "warn" | "info";
}

/** Items sent per drain at most, so one destination catching up never holds the event loop for long. */
const MAX_PER_DRAIN = 50;

export class DeliveryRunner<T> {
  sent = 0;
  failures = 0;
  deadLetters = 0;
  dropped = 0;
  superseded = 0;
  tooLarge = 0;
  readonly discarded: Record<string, number> = {};
  /** The row being sent now, if any (a shedding policy must leave it alone: it may arrive). */
  inFlight: number | null = null;
  private readonly backoff: Backoff;
  private readonly noun: string;
  private readonly said: ThrottledLog;
  private retryAt = 0;
  private prepared = false;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    readonly sink: Destination<T>,
    private readonly outbox: Outbox<T>,
    private readonly transport: HttpTransport,
    private readonly log: Logger,
    private readonly options: RunnerOptions,
  ) {
    this.backoff = new Backoff(options.outage);
    this.noun = options.noun ?? "flush";
    this.said = new ThrottledLog(log);
    for (const r of [...DEAD_LETTER_REASONS, ...(options.shedReasons ?? ["cap"])]) this.discarded[r] = 0;
  }

  status(): DeliveryStatus {
    return { name: this.sink.name, pending: this.outbox.pending(this.sink.name), sent: this.sent, failures: this.failures, deadLetters: this.deadLetters, dropped: this.dropped, discarded: { ...this.discarded }, tooLarge: this.tooLarge };
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

  /**
   * Counts rows the outbox bound removed for this destination and says so (rate-limited per
   * reason; `detail` adds fields of the row, e.g. the alert it belonged to).
   */
  shed(rows: ShedRow<T>[], detail?: (row: ShedRow<T>) => { fields: Record<string, unknown>; kind: string } | undefined): void {
    for (const row of rows) {
      if (row.destination !== this.sink.name) continue;
      this.dropped++;
      this.discarded[row.reason] = (this.discarded[row.reason] ?? 0) + 1;
      const d = detail?.(row);
      const level = this.options.shedLevel?.(row.reason) ?? "error";
      this.said[level](`shed:${row.reason}:${d?.kind ?? ""}`, { sink: this.sink.name, type: this.sink.type, reason: row.reason, at: new Date(row.at).toISOString(), dropped: this.discarded[row.reason], pending: this.outbox.pending(this.sink.name), ...d?.fields }, `outbox full: ${this.noun} dropped undelivered (${row.reason})`);
    }
  }

  /**
   * Counts an item never queued because an earlier drop made it pointless (the resolve of an
   * alert whose trigger the bound dropped): one more consequence of the bound.
   */
  skipped(reason: string): void {
    this.dropped++;
    this.discarded[reason] = (this.discarded[reason] ?? 0) + 1;
  }

  /**
   * Rows the destination accepted whose removal from the outbox then failed (the state file could
   * not be written): retried as removals, not as deliveries (PagerDuty must not get a resolve five
   * times because the disk is full). In memory only: after a restart such a row is sent once more.
   */
  private readonly deliveredNotDone = new Set<number>();

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
        const row = this.sink.latestOnly ? this.outbox.newest(name) : this.outbox.oldest(name);
        if (!row) return;
        if (this.deliveredNotDone.has(row.seq)) {
          // Delivered already; only its removal from the outbox failed (a full disk): never sent again.
          this.outbox.done(name, row.seq);
          this.deliveredNotDone.delete(row.seq);
          continue;
        }
        if (row.error !== undefined) {
          this.dead(row, "undecodable", 0, row.error);
          continue;
        }
        if (this.sink.latestOnly) this.superseded += this.outbox.supersede(name, row.seq);
        let req: HttpRequest;
        try {
          req = await this.sink.request(row.item);
        } catch (e) {
          this.dead(row, "unbuildable", 0, `request could not be built: ${(e as Error).message}`);
          continue;
        }
        let res: HttpResponse;
        this.inFlight = row.seq;
        try {
          res = await this.transport.send(req, (s) => s >= 400 && s < 500);
        } catch (e) {
          this.fail(e);
          return;
        } finally {
          this.inFlight = null;
          this.sink.release?.(req);
        }
        if (res.truncated) {
          this.tooLarge++;
          this.said.warn("too-large", { sink: name, type: this.sink.type, status: res.status, maxBodyBytes: this.transport.maxBodyBytes, tooLarge: this.tooLarge }, "export sink answered a body over the bound; the rest was not read");
        }
        if (res.status >= 200 && res.status < 300) {
          this.sent++;
          this.deliveredNotDone.add(row.seq);
          this.outbox.done(name, row.seq);
          this.deliveredNotDone.delete(row.seq);
          this.backoff.reset();
          this.retryAt = 0;
        } else {
          this.dead(row, "refused", res.status, res.text, this.sink.describeRefusal?.(res));
        }
      }
    } catch (e) {
      // The outbox itself failed (disk, closed at shutdown): try again later.
      this.fail(e);
    }
  }

  private dead(row: OutboxRow<T>, reason: (typeof DEAD_LETTER_REASONS)[number], status: number, message: string, extra: Record<string, unknown> = {}): void {
    this.outbox.deadLetter(this.sink.name, row, status, reason === "refused" ? message : `${reason}: ${message}`);
    this.deadLetters++;
    this.discarded[reason]++;
    const what = reason === "refused" ? ` refused a ${this.noun}` : reason === "unbuildable" ? `: the request of a ${this.noun} cannot be built` : `: a stored ${this.noun} cannot be read`;
    this.said.error(`dead:${reason}`, { sink: this.sink.name, type: this.sink.type, reason, status: status || undefined, message: message.slice(0, 500), at: new Date(row.at).toISOString(), deadLetters: this.discarded[reason], ...extra }, `${this.sink.type}${what}; dead-lettered, not retried`);
  }

  private fail(e: unknown): void {
    this.failures++;
    const asked = e instanceof HttpError ? e.retryAfterMs : null;
    const wait = this.backoff.next(asked);
    this.retryAt = Date.now() + wait;
    const status = e instanceof HttpError ? e.status : undefined;
    this.log.warn({ sink: this.sink.name, type: this.sink.type, status, err: (e as Error).message, pending: this.outbox.pending(this.sink.name), retryMs: wait, attempt: this.backoff.attempts }, `${this.sink.type} unreachable; ${this.noun}s kept in the outbox`);
  }
}
