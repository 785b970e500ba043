/**
 * Queue discovery: which queues are monitored. The first discovery is retried (with backoff)
 * until it succeeds or the monitor stops; then the list is re-read every `refreshSeconds`, so new,
 * renamed, moved and deleted queues are picked up. One discovery runs at a time, whoever asks
 * (the timer, a retry), and nothing is applied after stop. Each change goes to the listeners in
 * order: the engine (names), coverage and pickups, the channels, the alert rules.
 */
import { Backoff, sleep, type BackoffOptions } from "../../delivery/retry.js";
import { HttpError } from "../../delivery/transport.js";
import type { QueueSelector } from "../../select/queue-selector.js";
import type { Logger } from "../../util/log.js";
import { areaOf, type Problems } from "../../app/problems.js";
import type { GenesysClient } from "./client.js";
import { discoverQueues, type MonitoredQueue } from "./queues.js";

export interface QueueChange {
  /** Every monitored queue now. */
  found: MonitoredQueue[];
  added: MonitoredQueue[];
  removed: string[];
  /** The first discovery of this process. */
  first: boolean;
}

export type QueueListener = (c: QueueChange) => void | Promise<void>;

export interface DiscoverySettings {
  selector: QueueSelector;
  refreshSeconds: number;
  /** Waits between failed first discoveries (the Genesys delivery preset's outage backoff). */
  retry: BackoffOptions;
}

export class QueueDiscovery {
  readonly queues = new Map<string, MonitoredQueue>();
  private readonly listeners: QueueListener[] = [];
  private readonly backoff: Backoff;
  private lastRetryAfter: number | null = null;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private discovered = false;
  private stopped = false;
  private probing = false;

  constructor(
    private readonly client: GenesysClient,
    private readonly settings: DiscoverySettings,
    private readonly problems: Problems,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(settings.retry);
  }

  /** Adds a listener; listeners run in the order they were added. */
  onChange(l: QueueListener): void {
    this.listeners.push(l);
  }

  has(queueId: string): boolean {
    return this.queues.has(queueId);
  }

  /** Resolves after the first successful discovery (retried with backoff), or once stopped. */
  async start(): Promise<void> {
    this.timer = setInterval(() => void this.refresh(), this.settings.refreshSeconds * 1000);
    this.timer.unref();
    while (!this.stopped && !this.discovered) {
      await this.refresh();
      if (!this.discovered && !this.stopped) await sleep(this.backoff.next(this.lastRetryAfter));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** One discovery; while one runs, callers share it. */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.discover().finally(() => (this.running = null));
    return this.running;
  }

  /**
   * While the stream is down, one cheap authenticated call tells a refused client (revoked,
   * invalid_client, 403) from a network problem, so /readyz can say which.
   */
  async probe(): Promise<void> {
    if (this.stopped || this.probing) return;
    this.probing = true;
    try {
      await this.client.call("GET", "/api/v2/routing/queues?pageSize=1&pageNumber=1");
      this.problems.clear("token");
      this.problems.clear("queues");
    } catch (e) {
      this.problems.report(areaOf(e, "queues"), e);
    } finally {
      this.probing = false;
    }
  }

  private async discover(): Promise<void> {
    let found: MonitoredQueue[];
    try {
      found = await discoverQueues(this.client, this.settings.selector);
      this.problems.clear("queues");
      this.problems.clear("token");
    } catch (e) {
      this.lastRetryAfter = e instanceof HttpError ? e.retryAfterMs : null;
      if (!this.problems.report(areaOf(e, "queues"), e)) this.log.error({ err: (e as Error).message, attempt: this.backoff.attempts }, this.discovered ? "queue discovery failed; keeping the queues we have" : "queue discovery failed; retrying");
      return;
    }
    if (this.stopped) return;
    const first = !this.discovered;
    this.discovered = true;
    this.backoff.reset();
    const ids = new Set(found.map((q) => q.id));
    const added = found.filter((q) => !this.queues.has(q.id));
    const removed = [...this.queues.keys()].filter((id) => !ids.has(id));
    for (const id of removed) this.queues.delete(id);
    for (const q of found) this.queues.set(q.id, q);
    if (found.length === 0) this.log.warn({ selection: this.settings.selector.spec }, "no queue matches the selection");
    if (added.length > 0 || removed.length > 0) this.log.info({ added: added.map((q) => q.name), removed }, "monitored queues changed");
    for (const l of this.listeners) {
      if (this.stopped) return;
      try {
        await l({ found, added, removed, first });
      } catch (e) {
        this.log.error({ err: (e as Error).message }, "applying a queue change failed");
      }
    }
  }
}
