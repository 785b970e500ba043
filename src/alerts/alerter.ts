/**
 * Alerting wiring: every `tickSeconds` of monitor clock, each rule is evaluated on every series it
 * selects (pure: ./evaluate.ts); transitions are saved together with the PagerDuty events they
 * cause (one transaction: ./store.ts and the alert outbox, tables "alert_"), and the outbox is
 * drained in order through the shared HTTP transport (429 / 5xx retried, other 4xx dead-lettered).
 *
 * While PagerDuty is unreachable the outbox may fill: ./shed.ts picks what is safe to drop, every
 * drop is counted and logged, and a firing alert whose trigger had to go is said loudly and paged
 * again as soon as there is room (its resolve is not sent if its trigger never was).
 *
 * Evaluation waits while the monitor is catching up (after a start or a stream gap): the figures
 * are incomplete until backfill is done, and a firing alert must not resolve on a partial count.
 */
import type Database from "better-sqlite3";
import type { SeriesSnapshot } from "../aggregate/series.js";
import { Outbox, type ShedRow } from "../delivery/outbox.js";
import { deliveryPolicy, type PolicyOverride } from "../delivery/policy.js";
import { DeliveryRunner } from "../delivery/runner.js";
import type { SinkStatus } from "../sinks/samples.js";
import { HttpTransport } from "../delivery/transport.js";
import type { Clock } from "../util/clock.js";
import type { QueueRef } from "../select/queue-selector.js";
import type { Logger } from "../util/log.js";
import { effectiveRules, type AlertsConfig, type Rule } from "./config.js";
import { initialState, step, type AlertState } from "./evaluate.js";
import { dedupKey, readFigure, selects, type Reading } from "./figures.js";
import { eventCodec } from "./event-codec.js";
import { encodeResolve, encodeTrigger, pagerDutySink, PAGERDUTY_SINK, type PagerDutyEvent, type StoredEvent } from "./pagerduty.js";
import { ALERT_SHED_REASONS, shedAlertEvents } from "./shed.js";
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
  /** The configuration's changes to the PagerDuty delivery preset (delivery/policy.ts, `delivery.pagerduty`). */
  delivery?: PolicyOverride;
  /** The events' transport (default: one with the PagerDuty policy); tests shorten its retries. */
  transport?: HttpTransport;
}

/** Skipped resolves are counted under this reason (export_discarded_total). */
const NEVER_PAGED = "trigger-never-delivered";

const NO_DATA: Reading = { value: null, samples: 0 };

export class Alerter {
  readonly rules: Rule[];
  readonly outbox: Outbox<StoredEvent>;
  readonly runner: DeliveryRunner<StoredEvent> | null;
  /**
   * What the full outbox dropped undelivered, per alert: the trigger of a firing alert or the
   * resolve of a resolved one, queued again when there is room (in memory: after a restart a
   * resolve may go for an incident PagerDuty never opened, which it ignores).
   */
  private readonly owed = new Map<string, "trigger" | "trigger-open" | "resolve">();
  /** Alerts whose closing resolve the bound dropped because they fire again: their incident is still open. */
  private readonly incidentOpen = new Set<string>();
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
    this.outbox = new Outbox(d.db, {
      table: "alert",
      codec: eventCodec,
      destinations: pd.routingKey ? [PAGERDUTY_SINK] : [],
      maxPending: pd.maxPendingEvents,
      // The event being sent may arrive: never shed it (its pair would lose its other half).
      shed: (pending, excess) => shedAlertEvents(pending.filter((r) => r.seq !== this.runner?.inFlight), excess),
    });
    if (this.outbox.removedSinks.length > 0) d.log.warn("PagerDuty events waiting from an earlier run were discarded: no routing key is configured now");
    // alerts.pagerduty.retryMaxSeconds is the cap of the waits between drains (the outage backoff).
    const capMs = pd.retryMaxSeconds * 1000;
    const policy = deliveryPolicy("pagerduty", { outage: { capMs, baseMs: Math.min(1000, capMs), minMs: Math.min(250, capMs) } }, d.delivery);
    const transport = d.transport ?? new HttpTransport(policy);
    this.runner = pd.routingKey
      ? new DeliveryRunner(pagerDutySink(pd.routingKey, pd.eventsUrl), this.outbox, transport, d.log, {
          outage: policy.outage,
          noun: "event",
          shedReasons: [...ALERT_SHED_REASONS, NEVER_PAGED],
          shedLevel: (reason) => (reason === "firing-trigger" ? "error" : "warn"),
        })
      : null;
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
    const owed = this.owedEvents(changed, removed, events.length);
    if (changed.length === 0 && removed.length === 0 && events.length === 0 && owed.length === 0) return events;
    const shed: ShedRow<StoredEvent>[] = [];
    const skipped: string[] = [];
    this.store.transaction(() => {
      for (const s of changed) this.store.save(s);
      for (const k of removed) this.store.delete(k);
      if (!this.runner) return;
      for (const e of [...events, ...owed]) {
        // PagerDuty has no incident for an alert whose trigger never reached it: nothing to resolve.
        if (e.event_action === "resolve" && this.owed.get(e.dedup_key) === "trigger") skipped.push(e.dedup_key);
        else shed.push(...this.outbox.add({ at: now, event: e }, [PAGERDUTY_SINK]).shed);
      }
    });
    // Only after the commit: memory follows the file.
    for (const s of changed) this.states.set(s.dedupKey, s);
    for (const k of removed) this.states.delete(k);
    // Whatever was queued for a key settles what it was owed (a new trigger joins the open incident).
    for (const e of [...events, ...owed]) {
      this.owed.delete(e.dedup_key);
      if (e.event_action === "resolve") this.incidentOpen.delete(e.dedup_key);
    }
    for (const key of skipped) {
      this.runner?.skipped(NEVER_PAGED);
      this.d.log.warn({ alert: key, reason: NEVER_PAGED }, "alert resolved; its resolve is not sent: its trigger never reached PagerDuty");
    }
    this.shed(shed);
    if ((events.length > 0 || owed.length > 0) && this.runner) void this.runner.drain(true);
    return events;
  }

  /**
   * What PagerDuty is still owed because the full outbox dropped it, while the outbox has room:
   * the trigger of an alert still firing (a late page), the resolve of one no longer firing (so
   * its incident closes). Not returned by evaluate(): these are not transitions.
   */
  private owedEvents(changed: AlertState[], removed: string[], queued: number): PagerDutyEvent[] {
    if (this.owed.size === 0 || !this.runner) return [];
    const now = this.d.clock.now();
    const byName = new Map(this.rules.map((r) => [r.name, r]));
    const latest = new Map(changed.map((s) => [s.dedupKey, s]));
    let room = this.outbox.room(PAGERDUTY_SINK) - queued;
    const out: PagerDutyEvent[] = [];
    for (const [key, action] of this.owed) {
      if (room <= 0) break;
      const s = removed.includes(key) ? undefined : (latest.get(key) ?? this.states.get(key));
      const rule = s && byName.get(s.rule);
      if (action !== "resolve" && s?.state === "firing" && rule) {
        out.push(encodeTrigger(s, rule, now, this.d.config.pagerduty.source));
        this.d.log.warn({ alert: key, rule: s.rule, queue: s.queueName, mediaType: s.mediaType, firingSince: new Date(s.since).toISOString() }, "trigger of a firing alert queued again: the full outbox had dropped it");
      } else if (action === "resolve" && s?.state !== "firing" && s?.state !== "pending") {
        out.push({ event_action: "resolve", dedup_key: key });
        this.d.log.info({ alert: key }, "resolve queued again: the full outbox had dropped it");
      } else {
        continue;
      }
      room--;
    }
    return out;
  }

  /** Counts and says what the full outbox dropped, and remembers what PagerDuty is owed for it. */
  private shed(rows: ShedRow<StoredEvent>[]): void {
    if (!this.runner || rows.length === 0) return;
    for (const r of rows) {
      const e = r.item?.event;
      if (!e) continue;
      // In class order: a superseded resolve of the same key, if any, comes before its trigger.
      if (r.reason === "resolve-superseded") this.incidentOpen.add(e.dedup_key);
      if (r.reason === "firing-trigger") this.owed.set(e.dedup_key, this.incidentOpen.has(e.dedup_key) ? "trigger-open" : "trigger");
      if (r.reason === "resolve-dropped") this.owed.set(e.dedup_key, "resolve");
    }
    this.runner.shed(rows, (r) => {
      const e = r.item?.event;
      const fields = { alert: e?.dedup_key, event: e?.event_action, maxPendingEvents: this.d.config.pagerduty.maxPendingEvents };
      // A lost page is said per alert (at most once a minute each); the safe drops once a minute per reason.
      return { kind: r.reason === "firing-trigger" ? (e?.dedup_key ?? "") : "", fields };
    });
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
