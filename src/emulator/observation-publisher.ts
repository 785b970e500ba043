/**
 * `v2.analytics.queues.{id}.observations` (genesys-api.md §3b): one message per group (queue x
 * media, or the queue itself for member figures) at most once a second, each carrying only some
 * metrics, as captured frames do: oAlerting + oWaiting (sometimes with oInteracting), oInteracting
 * alone, one 30-minute bucket's aggregates, or the queue's agent metrics that changed since its
 * last message (all of them, or only the first, the rest a second later). Instant messages carry
 * the simulated instant whose state they show.
 */
import type { QueueEvent } from "../domain/queue-event.js";
import { mulberry32, type Rng } from "../util/random.js";
import { agentMetricRows, type AgentMetric, type AgentReading } from "./agent-metrics.js";
import { queuesOf } from "./conversation-topics.js";
import { aggregateData, IntervalAggregates } from "./interval-aggregates.js";
import type { Notifications } from "./notifications.js";
import type { SimConversation, Simulator } from "./simulator/simulator.js";

type ObsKind = "waiting" | "interacting" | "members";

/** One observation group (queue x media, or the queue itself) and what it still has to send. */
interface ObsGroup {
  queueId: string;
  mediaType?: string;
  /** Real ms of the last message: at most one per second per group. */
  last: number;
  pending: Set<ObsKind>;
  /** 30-minute buckets whose aggregates changed since they were last sent. */
  buckets: Set<number>;
  /** The last message was an instant one: the next goes to a pending aggregate (no starving). */
  lastInstant?: boolean;
  /** Queue-level groups: each agent metric's rows as last sent (JSON), to send only what changed. */
  lastSent?: Map<AgentMetric, string>;
}

/** The agent metrics the topic carries, in the order a message that carries only one picks. */
const TOPIC_AGENT_METRICS: AgentMetric[] = ["oUserRoutingStatuses", "oOnQueueUsers", "oOffQueueUsers", "oActiveUsers", "oMemberUsers"];

export class ObservationPublisher {
  private readonly groups = new Map<string, ObsGroup>();
  /** Groups with something to send (thousands of queues: the ticker visits only these). */
  private readonly dirtyGroups = new Set<ObsGroup>();
  /** The 30-minute aggregates it publishes (the aggregates query answers from the same). */
  readonly aggs = new IntervalAggregates();
  private readonly rng: Rng;

  constructor(
    private readonly sim: Simulator,
    private readonly notifications: Notifications,
    seed: number,
    /** How each queue renders its agent figures (see agent-metrics). */
    private readonly readingOf: (queueId: string) => AgentReading,
  ) {
    this.rng = mulberry32(seed ^ 0x0b5e7);
  }

  conversationChanged(conv: SimConversation): void {
    for (const q of queuesOf(conv)) {
      const g = this.dirty(this.group(q, conv.mediaType));
      g.pending.add("waiting");
      g.pending.add("interacting");
    }
  }

  queueEvent(ev: QueueEvent): void {
    const start = this.aggs.add(ev, this.sim.queueById(ev.queueId)!);
    this.dirty(this.group(ev.queueId, ev.mediaType)).buckets.add(start);
  }

  agentsChanged(queueIds: string[]): void {
    for (const id of queueIds) this.dirty(this.group(id, undefined)).pending.add("members");
  }

  /** Aggregates of buckets that ended before `before` are forgotten. */
  prune(before: number): void {
    this.aggs.prune(before);
  }

  /** Sends what is due: each dirty group at most once per real second. */
  tick(realNow: number): void {
    for (const g of this.dirtyGroups) {
      if (g.pending.size === 0 && g.buckets.size === 0) {
        this.dirtyGroups.delete(g);
        continue;
      }
      // "at most at a rate of one notification per second" (per group)
      if (g.last > realNow - 1000) continue;
      if (this.publish(g)) g.last = realNow;
      if (g.pending.size === 0 && g.buckets.size === 0) this.dirtyGroups.delete(g);
    }
  }

  private dirty(g: ObsGroup): ObsGroup {
    this.dirtyGroups.add(g);
    return g;
  }

  private group(queueId: string, mediaType: string | undefined): ObsGroup {
    const key = `${queueId}|${mediaType ?? ""}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { queueId, mediaType, last: 0, pending: new Set(), buckets: new Set() }));
    return g;
  }

  /**
   * Sends one message for the group, carrying only the metrics it has: queue-level agent
   * metrics; or oAlerting + oWaiting (with oInteracting half of the time, else on its own later);
   * or oInteracting; or one bucket's aggregates. False if nobody listens (nothing is queued up).
   */
  private publish(g: ObsGroup): boolean {
    const topic = `v2.analytics.queues.${g.queueId}.observations`;
    if (!this.notifications.hasListener(topic)) {
      g.pending.clear();
      g.buckets.clear();
      return false;
    }
    // Stamped with the simulated instant whose state it carries.
    const now = new Date(this.sim.now).toISOString();
    const instant = `${now}/${now}`;
    if (g.mediaType === undefined) return this.publishAgents(g, topic, instant);
    const group = { queueId: g.queueId, mediaType: g.mediaType };
    const o = this.sim.observe(g.queueId).get(g.mediaType) ?? { waiting: [], interacting: 0, alerting: 0 };
    if ((g.pending.has("waiting") || g.pending.has("interacting")) && !(g.lastInstant && g.buckets.size > 0)) {
      g.lastInstant = true;
      const metrics: unknown[] = [];
      if (g.pending.delete("waiting")) {
        metrics.push({ metric: "oAlerting", stats: { count: o.alerting } }, { metric: "oWaiting", stats: { count: o.waiting.length } });
        if (g.pending.has("interacting") && this.rng() < 0.5) {
          g.pending.delete("interacting");
          metrics.push({ metric: "oInteracting", stats: { count: o.interacting } });
        }
      } else {
        g.pending.delete("interacting");
        metrics.push({ metric: "oInteracting", stats: { count: o.interacting } });
      }
      this.notifications.publish(topic, { group, data: [{ interval: instant, metrics }] });
      return true;
    }
    g.lastInstant = false;
    const bucket = Math.min(...g.buckets);
    g.buckets.delete(bucket);
    const agg = this.aggs.get(g.queueId, g.mediaType, bucket);
    if (!agg) return false;
    this.notifications.publish(topic, { group, data: [aggregateData(agg, this.sim.queueById(g.queueId)!)] });
    return true;
  }

  /** The queue's agent metrics that changed since they were last sent: all of them half of the time, else the first. */
  private publishAgents(g: ObsGroup, topic: string, instant: string): boolean {
    const f = this.sim.agentFigures(g.queueId);
    const reading = this.readingOf(g.queueId);
    const sent = (g.lastSent ??= new Map());
    const changed = TOPIC_AGENT_METRICS.map((m) => ({ m, rows: agentMetricRows(m, f, reading) })).filter((c) => JSON.stringify(c.rows) !== sent.get(c.m));
    const send = changed.length > 1 && this.rng() < 0.5 ? changed.slice(0, 1) : changed;
    if (send.length === changed.length) g.pending.delete("members");
    for (const c of send) sent.set(c.m, JSON.stringify(c.rows));
    const metrics = send.flatMap((c) => c.rows);
    // Rows can be none (every qualifier zero, and zeros left out): then there is nothing to say.
    if (metrics.length === 0) return false;
    this.notifications.publish(topic, { group: { queueId: g.queueId }, data: [{ interval: instant, metrics }] });
    return true;
  }
}
