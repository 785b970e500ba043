/** A finished day of simple inbound voice conversations for first-start benches (see analytics.ts). */
import { mulberry32 } from "../util/random.js";
import type { SimConversation, SimParticipant } from "./simulator/simulator.js";

export interface BulkDaySpec {
  queueIds: string[];
  /** Conversations start evenly in [from, to) (epoch ms); all have ended before `to` + 10 min. */
  from: number;
  to: number;
  count: number;
  seed?: number;
}

const OUTCOMES = ["answered", "abandoned", "flowout"] as const;

/** A finished day of simple inbound voice conversations in typed arrays (see the header). */
export class BulkDay {
  readonly start: Float64Array;
  readonly acdEnd: Float64Array;
  readonly end: Float64Array;
  readonly queue: Uint16Array;
  readonly outcome: Uint8Array;
  /** Longest conversation (ms): how far before an interval a match can start. */
  readonly maxDurationMs: number;
  private readonly cache = new Map<string, Int32Array>();

  constructor(readonly spec: BulkDaySpec) {
    const n = spec.count;
    if (!(n >= 0) || spec.queueIds.length === 0 || spec.queueIds.length > 65_535 || !(spec.to > spec.from)) throw new Error("bulk day: bad spec");
    const rng = mulberry32((spec.seed ?? 1) ^ 0x5eed);
    this.start = new Float64Array(n);
    this.acdEnd = new Float64Array(n);
    this.end = new Float64Array(n);
    this.queue = new Uint16Array(n);
    this.outcome = new Uint8Array(n);
    let longest = 0;
    const span = spec.to - spec.from;
    for (let i = 0; i < n; i++) {
      const start = spec.from + Math.floor((i * span) / n);
      const wait = 2_000 + Math.floor(rng() * 240_000);
      const u = rng();
      const outcome = u < 0.8 ? 0 : u < 0.95 ? 1 : 2;
      const after = outcome === 0 ? 30_000 + Math.floor(rng() * 300_000) : outcome === 2 ? 20_000 : 0;
      this.start[i] = start;
      this.acdEnd[i] = start + wait;
      this.end[i] = start + wait + after;
      this.queue[i] = Math.floor(rng() * spec.queueIds.length);
      this.outcome[i] = outcome;
      longest = Math.max(longest, wait + after);
    }
    this.maxDurationMs = longest;
  }

  id(i: number): string {
    return `b0000000-${((this.spec.seed ?? 1) & 0xffff).toString(16).padStart(4, "0")}-4000-8000-${i.toString(16).padStart(12, "0")}`;
  }

  /** Indices matching the documented reading for [from, to) and the queue set (null: any), by start. */
  matches(from: number, to: number, firstDay: number, afterLastDay: number, queues: Set<string> | null): Int32Array {
    const key = `${from}/${to}/${firstDay}/${afterLastDay}/${queues === null ? "*" : [...queues].sort().join(",")}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const lo = this.lowerBound(Math.max(firstDay, from - this.maxDurationMs));
    const hi = this.lowerBound(Math.min(to, afterLastDay));
    const allowed = this.spec.queueIds.map((q) => queues === null || queues.has(q));
    const out = new Int32Array(Math.max(0, hi - lo));
    let k = 0;
    for (let i = lo; i < hi; i++) if (this.end[i] >= from && allowed[this.queue[i]]) out[k++] = i;
    const m = out.subarray(0, k);
    if (this.cache.size >= 16) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, m);
    return m;
  }

  private lowerBound(t: number): number {
    let a = 0;
    let b = this.start.length;
    while (a < b) {
      const m = (a + b) >> 1;
      if (this.start[m] < t) a = m + 1;
      else b = m;
    }
    return a;
  }

  /** The conversation as a (transient) simulator conversation, for the shared renderer. */
  conversation(i: number): SimConversation {
    const id = this.id(i);
    const queueId = this.spec.queueIds[this.queue[i]];
    const start = this.start[i];
    const acdEnd = this.acdEnd[i];
    const end = this.end[i];
    const outcome = OUTCOMES[this.outcome[i]];
    const customer: SimParticipant = {
      id: `${id}-c`,
      purpose: "customer",
      name: "Caller",
      queueId,
      sessions: [
        {
          id: `${id}-cs`,
          startTime: start,
          connectedTime: start,
          endTime: end,
          state: "disconnected",
          disconnectType: outcome === "abandoned" ? "peer" : "endpoint",
          segments: [{ type: "interact", start, end, disconnectType: outcome === "abandoned" ? "peer" : "endpoint" }],
        },
      ],
    };
    const acd: SimParticipant = {
      id: `${id}-a`,
      purpose: "acd",
      name: "Queue",
      queueId,
      sessions: [
        {
          id: `${id}-as`,
          queueId,
          startTime: start,
          connectedTime: start,
          endTime: acdEnd,
          state: "disconnected",
          disconnectType: outcome === "abandoned" ? "peer" : "transfer",
          outcome,
          waitMs: acdEnd - start,
          flowInType: "ivr",
          segments: [{ type: "interact", start, end: acdEnd, queueId, disconnectType: outcome === "abandoned" ? "peer" : "transfer" }],
        },
      ],
    };
    const participants = [customer, acd];
    if (outcome === "answered") {
      participants.push({
        id: `${id}-g`,
        purpose: "agent",
        name: "Agent",
        queueId,
        userId: `u0000000-0000-4000-8000-${(this.queue[i] + 1).toString(16).padStart(12, "0")}`,
        sessions: [
          {
            id: `${id}-gs`,
            queueId,
            startTime: acdEnd,
            connectedTime: acdEnd,
            endTime: end,
            state: "disconnected",
            disconnectType: "client",
            answered: { value: acdEnd - start, emitAt: acdEnd, acdParticipantId: acd.id },
            segments: [{ type: "interact", start: acdEnd, end, queueId, disconnectType: "client" }],
          },
        ],
      });
    } else if (outcome === "flowout") {
      customer.sessions[0].disconnectType = "endpoint";
    }
    return { id, mediaType: "voice", start, end, ani: "tel:+15550100", participants, versions: [{ time: end, participants }] };
  }

  /** Counts per queue (voice), as the ground truth reports them. */
  truth(): { queueId: string; mediaType: string; counts: Record<string, number>; answeredWaitMsSum: number }[] {
    const out = this.spec.queueIds.map((queueId) => ({ queueId, mediaType: "voice", counts: { offered: 0, answered: 0, abandoned: 0, flowout: 0 } as Record<string, number>, answeredWaitMsSum: 0 }));
    for (let i = 0; i < this.start.length; i++) {
      const g = out[this.queue[i]];
      g.counts.offered++;
      g.counts[OUTCOMES[this.outcome[i]]]++;
      if (this.outcome[i] === 0) g.answeredWaitMsSum += this.acdEnd[i] - this.start[i];
    }
    return out.filter((g) => g.counts.offered > 0);
  }
}

