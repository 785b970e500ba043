/**
 * Alerting wiring: every `tickSeconds` of monitor clock, each rule is evaluated on every series it
 * selects (pure: ./evaluate.ts); transitions are saved together with the PagerDuty events they
 * cause (one transaction: ./store.ts and the export outbox's "alert_" tables), and the outbox is
 * drained in order through the shared HTTP transport (429 / 5xx retried, other 4xx dead-lettered).
 *
 * Evaluation waits while the monitor is catching up (after a start or a stream gap): the figures
 * are incomplete until backfill is done, and a firing alert must not resolve on a partial count.
 */
import type Database from "better-sqlite3";
import type { SeriesSnapshot } from "../aggregate/series.js";
import { Outbox } from "../delivery/outbox.js";
import { SinkRunner } from "../delivery/runner.js";
import type { SinkStatus } from "../sinks/samples.js";
import { HttpTransport } from "../delivery/transport.js";
import type { Clock } from "../util/clock.js";
import type { QueueRef } from "../select/queue-selector.js";
import type { Logger } from "../util/log.js";
import { effectiveRules, type AlertsConfig, type Rule } from "./config.js";
import { initialState, step, type AlertState } from "./evaluate.js";
import { dedupKey, readFigure, selects, type Reading } from "./figures.js";
import { encodeResolve, encodeTrigger, pagerDutyErrors, pagerDutySink, PAGERDUTY_SINK, toFlush, type PagerDutyEvent } from "./pagerduty.js";
import { AlertStore } from "./store.js";
import { every as everyMs } from "../util/timers.js";

/** One alert as /api/alerts shows it (pinned for the wallboard). */
export interface AlertView {
  rule: string;
  queueId: string;
  queueName: string;
  mediaType: string;
  state: "pending" | "firing" | "resolved";
  since: string;
  value: number | null;
  threshold: number;
  severity: string;
  dedupKey: string;
}

export interface AlerterDeps {
  config: AlertsConfig;
  clock: Clock;
  log: Logger;
  db: Database.Database;
  snapshot: () => SeriesSnapshot[];
  /** False while the figures are known to be incomplete (catching up): evaluation waits. */
  gate: () => boolean;
  transport?: HttpTransport;
}

const NO_DATA: Reading = { value: null, samples: 0 };

export class Alerter {
  readonly rules: Rule[];
  readonly outbox: Outbox;
  readonly runner: SinkRunner | null;
  private readonly store: AlertStore;
  private readonly states = new Map<string, AlertState>();
  /** The monitored queues as discovery read them (names and divisions for the rules' selectors). */
  private readonly queueRefs = new Map<string, QueueRef>();
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  evaluations = 0;

  constructor(private readonly d: AlerterDeps) {
    this.rules = effectiveRules(d.config);
    this.store = new AlertStore(d.db);
    const pd = d.config.pagerduty;
    this.outbox = new Outbox(d.db, pd.routingKey ? [PAGERDUTY_SINK] : [], pd.maxPendingEvents, "alert");
    if (this.outbox.removedSinks.length > 0) d.log.warn("PagerDuty events waiting from an earlier run were discarded: no routing key is configured now");
    const transport = d.transport ?? new HttpTransport({ maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5000, maxRetryAfterMs: 300_000, timeoutMs: 15_000 });
    // The runner logs a refusal's body, which carries PagerDuty's `errors`; we log them parsed too.
    const log = wrapRefusals(d.log);
    this.runner = pd.routingKey ? new SinkRunner(pagerDutySink(pd.routingKey, pd.eventsUrl), this.outbox, transport, log, pd.retryMaxSeconds * 1000) : null;
    const { states, corrupt } = this.store.load();
    if (corrupt.length > 0) d.log.error({ keys: corrupt }, "unreadable alert states in the state file were ignored");
    for (const s of states) this.states.set(s.dedupKey, s);
    const open = states.filter((s) => s.state === "firing").length;
    if (states.length > 0) d.log.info({ alerts: states.length, firing: open }, "alert states restored");
  }

  /** The queues discovery found (rules select by name and division as they are now). */
  setQueues(queues: QueueRef[]): void {
    this.queueRefs.clear();
    for (const q of queues) this.queueRefs.set(q.id, q);
  }

  /** One evaluation of every rule; returns the events it queued. */
  evaluate(): PagerDutyEvent[] {
    if (this.stopped) return [];
    const now = this.d.clock.now();
    const keepMs = this.d.config.keepResolvedSeconds * 1000;
    const byName = new Map(this.rules.map((r) => [r.name, r]));
    const changed: AlertState[] = [];
    const removed: string[] = [];
    const events: PagerDutyEvent[] = [];
    const seen = new Set<string>();
    const apply = (rule: Rule, prev: AlertState, r: Reading) => {
      const { next, event } = step(prev, rule, r, now, keepMs);
      if (next.state === "inactive" && prev.state === "inactive" && !this.states.has(prev.dedupKey)) return;
      if (event === "trigger") events.push(encodeTrigger(next, rule, now, this.d.config.pagerduty.source));
      if (event === "resolve") events.push(encodeResolve(next));
      if (next.state !== prev.state) this.d.log[event === "trigger" ? "warn" : "info"]({ alert: next.dedupKey, rule: rule.name, queue: next.queueName, mediaType: next.mediaType, from: prev.state, to: next.state, value: next.value, samples: next.samples, event }, "alert transition");
      if (next.state === "inactive") {
        if (this.states.has(next.dedupKey)) removed.push(next.dedupKey);
      } else if (JSON.stringify(next) !== JSON.stringify(prev)) changed.push(next);
    };
    for (const s of this.d.snapshot()) {
      const ref = this.queueRefs.get(s.queueId);
      for (const rule of this.rules) {
        if (!selects(rule, s, ref && { ...ref, name: s.queueName })) continue;
        const key = dedupKey(rule.name, s.queueId, s.mediaType);
        seen.add(key);
        const prev = this.states.get(key) ?? initialState(rule.name, s.queueId, s.queueName, s.mediaType, key, now);
        apply(rule, { ...prev, queueName: s.queueName }, readFigure(rule, s));
      }
    }
    for (const prev of this.states.values()) {
      if (seen.has(prev.dedupKey)) continue;
      const rule = byName.get(prev.rule);
      if (rule) {
        // The series is gone (queue left the selection): no data, so a firing alert clears.
        apply(rule, prev, NO_DATA);
      } else {
        // The rule was removed from the configuration: close its open incidents, forget the rest.
        if (prev.state === "firing") {
          events.push(encodeResolve(prev));
          this.d.log.info({ alert: prev.dedupKey, rule: prev.rule }, "rule no longer configured; its open alert is resolved");
        }
        removed.push(prev.dedupKey);
      }
    }
    if (changed.length === 0 && removed.length === 0 && events.length === 0) return events;
    this.store.transaction(() => {
      for (const s of changed) this.store.save(s);
      for (const k of removed) this.store.delete(k);
      if (this.runner) for (const e of events) this.outbox.add(toFlush(e, now), [PAGERDUTY_SINK]);
    });
    // Only after the commit: memory follows the file.
    for (const s of changed) this.states.set(s.dedupKey, s);
    for (const k of removed) this.states.delete(k);
    if (events.length > 0 && this.runner) void this.runner.drain(true);
    return events;
  }

  /** The `alerts` array of /api/alerts: every alert not inactive. */
  alertStates(): AlertView[] {
    const byName = new Map(this.rules.map((r) => [r.name, r]));
    return [...this.states.values()]
      // A state of a rule no longer configured is resolved and dropped at the next evaluation.
      .filter((s): s is AlertState & { state: AlertView["state"] } => s.state !== "inactive" && byName.has(s.rule))
      .sort((a, b) => a.rule.localeCompare(b.rule) || a.queueName.localeCompare(b.queueName) || a.mediaType.localeCompare(b.mediaType))
      .map((s) => ({
        rule: s.rule,
        queueId: s.queueId,
        queueName: s.queueName,
        mediaType: s.mediaType,
        state: s.state,
        since: new Date(s.since).toISOString(),
        value: s.value,
        threshold: byName.get(s.rule)!.threshold,
        severity: byName.get(s.rule)!.severity,
        dedupKey: s.dedupKey,
      }));
  }

  /** Firing alerts per rule and severity (every rule listed, 0 included), for /metrics. */
  firing(): { rule: string; severity: string; firing: number }[] {
    return this.rules.map((r) => ({ rule: r.name, severity: r.severity, firing: [...this.states.values()].filter((s) => s.rule === r.name && s.state === "firing").length }));
  }

  /** The PagerDuty delivery's outbox status (export_* metrics, sink "pagerduty"). */
  sinkStatus(): SinkStatus[] {
    return this.runner ? [this.runner.status()] : [];
  }

  start(): void {
    if (this.rules.length === 0) return;
    const every = (ms: number, f: () => void) => everyMs(this.timers, ms, this.d.log, "alert task failed", f);
    every(Math.max(50, (this.d.config.tickSeconds * 1000) / this.d.clock.speed), () => {
      if (!this.d.gate()) return;
      this.evaluations++;
      this.evaluate();
    });
    every(1000, () => void this.runner?.drain());
    void this.runner?.drain(true); // what waited from before a restart
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.runner?.stop();
  }
}

/** Adds PagerDuty's parsed `errors` to the runner's refusal log line. */
function wrapRefusals(log: Logger): Logger {
  return new Proxy(log, {
    get(target, prop, receiver) {
      if (prop !== "error") return Reflect.get(target, prop, receiver) as unknown;
      return (obj: unknown, msg?: string) => {
        if (obj && typeof obj === "object" && typeof (obj as { message?: unknown }).message === "string") {
          const errors = pagerDutyErrors((obj as { message: string }).message);
          return target.error({ ...(obj as object), errors }, msg === undefined ? "PagerDuty refused an event" : `PagerDuty: ${msg}`);
        }
        return msg === undefined ? target.error(obj as object) : target.error(obj as object, msg);
      };
    },
  });
}
