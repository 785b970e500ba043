/**
 * The call simulator: a discrete-event simulation of queues, agents and callers on a virtual
 * clock. It is the ground truth every claim of the monitor is measured against, so it records
 * every QueueEvent it causes with exact (integer millisecond) times and waits.
 *
 * Deterministic for a given seed: events are processed in (time, sequence) order, and all
 * randomness comes from two seeded streams (traffic, identifiers), never from wall-clock timing.
 * `advanceTo(t)` runs everything due up to t; the emulator calls it from a real-time ticker, the
 * theory test calls it directly to run hours of traffic in milliseconds.
 */
import type { QueueEvent, QueueEventKind } from "../../domain/queue-event.js";
import { exponential, lognormal, mulberry32, uuid, type Rng } from "../../util/random.js";
import type { QueueSpec, Scenario, SimMediaType } from "./scenario.js";

export type Purpose = "customer" | "acd" | "agent" | "voicemail";

/** A participant as the simulator keeps it; snapshots and details are rendered from copies. */
export interface SimParticipant {
  id: string;
  purpose: Purpose;
  name: string;
  queueId?: string;
  userId?: string;
  /** Session (communication) id. */
  sessionId: string;
  /** When the participant joined (alerting start for agents). */
  startTime: number;
  connectedTime?: number;
  endTime?: number;
  state: "alerting" | "connected" | "disconnected";
  disconnectType?: string;
  /** acd legs: how the leg ended and how long it waited. */
  outcome?: "answered" | "abandoned" | "flowout";
  waitMs?: number;
}

export interface SimConversation {
  id: string;
  mediaType: SimMediaType;
  start: number;
  end?: number;
  ani: string;
  participants: SimParticipant[];
  /** Every state the conversation went through: (time, frozen copy of the participants). */
  versions: { time: number; participants: SimParticipant[] }[];
}

export interface SimQueue {
  id: string;
  name: string;
  divisionId: string;
  divisionName: string;
  spec: QueueSpec;
}

interface Agent {
  userId: string;
  name: string;
  busy: boolean;
}

interface WaitingCall {
  conv: SimConversation;
  acd: SimParticipant;
  queue: QueueRuntime;
  alerting?: { agent: Agent; leg: SimParticipant };
  done: boolean;
}

interface QueueRuntime {
  q: SimQueue;
  agents: Agent[];
  waiting: WaitingCall[];
  /** Connected agent legs per media. */
  interacting: Map<string, number>;
  maxRate: number;
  removed: boolean;
}

interface Scheduled {
  time: number;
  seq: number;
  run: () => void;
}

export interface SimulatorListener {
  /** A conversation changed at `time` (its newest version is the state to publish). */
  conversationChanged?(conv: SimConversation, time: number): void;
  /** A ground-truth event happened. */
  queueEvent?(ev: QueueEvent): void;
}

export interface SimulatorOptions {
  seed: number;
  /** Virtual epoch ms at which the simulation starts. */
  start: number;
  /** Simulated minutes after which no new callers arrive (calls in progress still finish). */
  durationMinutes?: number;
  /** Keep finished conversations (the emulator serves them to analytics); off for long theory runs. */
  keepConversations?: boolean;
}

export class Simulator {
  private readonly divisions = new Map<string, string>();
  readonly conversations = new Map<string, SimConversation>();
  readonly events: QueueEvent[] = [];
  now: number;

  private readonly traffic: Rng;
  private readonly ids: Rng;
  private readonly heap: Scheduled[] = [];
  private seq = 0;
  private readonly runtimes = new Map<string, QueueRuntime>();
  private readonly byName = new Map<string, QueueRuntime>();
  private readonly arrivalsEnd: number;
  private readonly listeners: SimulatorListener[] = [];

  constructor(
    readonly scenario: Scenario,
    readonly options: SimulatorOptions,
  ) {
    this.traffic = mulberry32(options.seed);
    this.ids = mulberry32(options.seed ^ 0x5eed1d5);
    this.now = options.start;
    this.arrivalsEnd = options.durationMinutes === undefined ? Infinity : options.start + options.durationMinutes * 60_000;
    for (const spec of scenario.queues) this.createQueue(spec);
    for (const rt of this.runtimes.values()) this.scheduleArrival(rt, this.now);
  }

  /** The queues that exist now (a removed queue's calls in progress still finish). */
  get queues(): SimQueue[] {
    return [...this.runtimes.values()].filter((rt) => !rt.removed).map((rt) => rt.q);
  }

  /** Adds a queue at run time; its callers start arriving now. Names must be unique. */
  addQueue(spec: QueueSpec): SimQueue {
    if (this.byName.has(spec.name) && !this.byName.get(spec.name)!.removed) throw new RangeError(`a queue named ${spec.name} exists`);
    if (spec.transferTo && !this.byName.has(spec.transferTo)) throw new RangeError(`transferTo names unknown queue ${spec.transferTo}`);
    const rt = this.createQueue(spec);
    this.scheduleArrival(rt, this.now);
    return rt.q;
  }

  /** Forgets conversations that ended before `before` (the analytics store's retention). */
  pruneConversations(before: number): number {
    let n = 0;
    for (const [id, conv] of this.conversations) {
      if (conv.end !== undefined && conv.end < before) {
        this.conversations.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Deletes a queue: no new callers, it leaves the routing API; calls in progress finish. */
  removeQueue(id: string): boolean {
    const rt = this.runtimes.get(id);
    if (!rt || rt.removed) return false;
    rt.removed = true;
    return true;
  }

  private createQueue(spec: QueueSpec): QueueRuntime {
    if (!this.divisions.has(spec.division)) this.divisions.set(spec.division, uuid(this.ids));
    const q: SimQueue = {
      id: uuid(this.ids),
      name: spec.name,
      divisionId: this.divisions.get(spec.division)!,
      divisionName: spec.division,
      spec,
    };
    const surgeMax = Math.max(1, ...this.scenario.surges.filter((x) => x.queue === spec.name).map((x) => x.factor));
    const profileMax = spec.hourlyProfile ? Math.max(...spec.hourlyProfile) : 1;
    const rt: QueueRuntime = {
      q,
      agents: Array.from({ length: spec.agents }, (_, i) => ({ userId: uuid(this.ids), name: `${spec.name} Agent ${i + 1}`, busy: false })),
      waiting: [],
      interacting: new Map(),
      maxRate: (spec.arrivalsPerHour / 3_600_000) * surgeMax * profileMax,
      removed: false,
    };
    this.runtimes.set(q.id, rt);
    this.byName.set(q.name, rt);
    return rt;
  }

  listen(l: SimulatorListener): void {
    this.listeners.push(l);
  }

  /** Runs every scheduled event with time <= t, in order; then the clock reads t. */
  advanceTo(t: number): void {
    while (this.heap.length > 0 && this.heap[0].time <= t) {
      const ev = this.pop();
      this.now = ev.time;
      ev.run();
    }
    if (t > this.now) this.now = t;
  }

  /** True once arrivals have stopped and every call has finished. */
  get settled(): boolean {
    return this.now >= this.arrivalsEnd && this.heap.length === 0;
  }

  /** A queue by id, removed ones included (their calls in progress still need it). */
  queueById(id: string, includeRemoved = true): SimQueue | undefined {
    const rt = this.runtimes.get(id);
    return rt && (includeRemoved || !rt.removed) ? rt.q : undefined;
  }

  /** Live figures for observations: waiting / interacting / alerting per media, and the waiting legs. */
  observe(queueId: string): Map<string, { waiting: WaitingCall[]; interacting: number; alerting: number }> {
    const rt = this.runtimes.get(queueId);
    const out = new Map<string, { waiting: WaitingCall[]; interacting: number; alerting: number }>();
    if (!rt) return out;
    // Transfers can bring media the queue's own callers never use, so entries are made on demand.
    const entry = (media: string) => {
      let o = out.get(media);
      if (!o) out.set(media, (o = { waiting: [], interacting: 0, alerting: 0 }));
      return o;
    };
    for (const media of Object.keys(rt.q.spec.media)) entry(media);
    for (const w of rt.waiting) {
      const o = entry(w.conv.mediaType);
      o.waiting.push(w);
      if (w.alerting) o.alerting++;
    }
    for (const [media, n] of rt.interacting) entry(media).interacting = n;
    return out;
  }

  // ---- arrivals -------------------------------------------------------------------------

  private rate(rt: QueueRuntime, t: number): number {
    const spec = rt.q.spec;
    let r = spec.arrivalsPerHour / 3_600_000;
    if (spec.hourlyProfile) r *= spec.hourlyProfile[new Date(t).getUTCHours()];
    const minute = (t - this.options.start) / 60_000;
    for (const s of this.scenario.surges) {
      if (s.queue === spec.name && minute >= s.startMinute && minute < s.startMinute + s.durationMinutes) r *= s.factor;
    }
    return r;
  }

  /** Non-homogeneous Poisson arrivals by thinning against the queue's maximum rate. */
  private scheduleArrival(rt: QueueRuntime, from: number): void {
    if (rt.maxRate <= 0 || rt.removed) return;
    let t = from;
    for (;;) {
      t += exponential(this.traffic, 1 / rt.maxRate);
      if (t >= this.arrivalsEnd) return;
      if (this.traffic() * rt.maxRate <= this.rate(rt, t)) break;
    }
    this.at(Math.round(t), () => {
      if (rt.removed) return;
      this.arrive(rt);
      this.scheduleArrival(rt, this.now);
    });
  }

  private pickMedia(spec: QueueSpec): SimMediaType {
    const entries = Object.entries(spec.media) as [SimMediaType, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let u = this.traffic() * total;
    for (const [m, w] of entries) {
      u -= w;
      if (u <= 0) return m;
    }
    return entries[entries.length - 1][0];
  }

  private arrive(rt: QueueRuntime): void {
    const t = this.now;
    const mediaType = this.pickMedia(rt.q.spec);
    const conv: SimConversation = {
      id: uuid(this.ids),
      mediaType,
      start: t,
      ani: `tel:+1555${String(Math.floor(this.ids() * 1e7)).padStart(7, "0")}`,
      participants: [],
      versions: [],
    };
    conv.participants.push({
      id: uuid(this.ids),
      purpose: "customer",
      name: `Caller ${conv.ani.slice(-4)}`,
      sessionId: uuid(this.ids),
      startTime: t,
      connectedTime: t,
      state: "connected",
    });
    this.conversations.set(conv.id, conv);
    this.enterQueue(conv, rt);
  }

  // ---- queueing -------------------------------------------------------------------------

  private enterQueue(conv: SimConversation, rt: QueueRuntime): void {
    const t = this.now;
    const acd: SimParticipant = {
      id: uuid(this.ids),
      purpose: "acd",
      name: rt.q.name,
      queueId: rt.q.id,
      sessionId: uuid(this.ids),
      startTime: t,
      connectedTime: t,
      state: "connected",
    };
    conv.participants.push(acd);
    const call: WaitingCall = { conv, acd, queue: rt, done: false };
    rt.waiting.push(call);
    this.record("offered", conv, acd, t);
    const spec = rt.q.spec;
    if (spec.patienceSeconds !== undefined) {
      this.at(Math.round(t + exponential(this.traffic, spec.patienceSeconds * 1000)), () => this.abandon(call));
    }
    if (spec.flowOutAfterSeconds !== undefined) {
      this.at(t + Math.round(spec.flowOutAfterSeconds * 1000), () => this.flowOut(call));
    }
    this.changed(conv);
    this.dispatch(rt);
  }

  /** Offers the oldest waiting call not already ringing to a free agent, while both exist. */
  private dispatch(rt: QueueRuntime): void {
    for (;;) {
      const agent = rt.agents.find((a) => !a.busy);
      if (!agent) return;
      const call = rt.waiting.find((w) => !w.alerting);
      if (!call) return;
      agent.busy = true;
      const spec = rt.q.spec;
      if (spec.alertSeconds === 0 && spec.noAnswerProbability === 0) {
        this.connect(call, agent, undefined);
        continue;
      }
      const t = this.now;
      const leg = this.ringAgent(call, agent);
      call.alerting = { agent, leg };
      const noAnswer = this.traffic() < spec.noAnswerProbability;
      const ring = Math.round(this.traffic() * 2 * spec.alertSeconds * 1000);
      this.changed(call.conv);
      this.at(t + (noAnswer ? Math.max(ring, 8000) : ring), () => {
        if (call.done || call.alerting?.leg !== leg) return;
        if (noAnswer) {
          this.endLeg(leg, "transfer.noanswer");
          agent.busy = false;
          call.alerting = undefined;
          this.changed(call.conv);
          this.dispatch(rt);
        } else {
          this.connect(call, agent, leg);
        }
      });
    }
  }

  /** Adds an alerting agent leg for `agent` to the call's conversation. */
  private ringAgent(call: WaitingCall, agent: Agent): SimParticipant {
    const leg: SimParticipant = {
      id: uuid(this.ids),
      purpose: "agent",
      name: agent.name,
      userId: agent.userId,
      queueId: call.queue.q.id,
      sessionId: uuid(this.ids),
      startTime: this.now,
      state: "alerting",
    };
    call.conv.participants.push(leg);
    return leg;
  }

  private connect(call: WaitingCall, agent: Agent, ringing: SimParticipant | undefined): void {
    const t = this.now;
    const rt = call.queue;
    const leg = ringing ?? this.ringAgent(call, agent);
    leg.state = "connected";
    leg.connectedTime = t;
    this.leaveQueue(call, "answered", "transfer");
    call.alerting = undefined;
    const media = call.conv.mediaType;
    rt.interacting.set(media, (rt.interacting.get(media) ?? 0) + 1);
    this.changed(call.conv);
    const spec = rt.q.spec;
    const mean = spec.handleSeconds * 1000;
    const handle = spec.handleCv > 0 ? lognormal(this.traffic, mean, spec.handleCv) : exponential(this.traffic, mean);
    this.at(t + Math.max(1, Math.round(handle)), () => {
      rt.interacting.set(media, rt.interacting.get(media)! - 1);
      agent.busy = false;
      const target = spec.transferTo ? this.byName.get(spec.transferTo) : undefined;
      if (target && this.traffic() < spec.transferProbability) {
        this.endLeg(leg, "transfer");
        this.enterQueue(call.conv, target);
      } else {
        this.endLeg(leg, "peer");
        this.endCustomer(call.conv, "client");
        this.changed(call.conv);
        this.forget(call.conv);
      }
      this.dispatch(rt);
    });
  }

  private abandon(call: WaitingCall): void {
    if (call.done) return;
    this.dropRinging(call);
    this.leaveQueue(call, "abandoned", "peer");
    this.endCustomer(call.conv, "endpoint");
    this.changed(call.conv);
    this.forget(call.conv);
    this.dispatch(call.queue);
  }

  private flowOut(call: WaitingCall): void {
    if (call.done) return;
    const t = this.now;
    this.dropRinging(call);
    this.leaveQueue(call, "flowout", "transfer");
    const vm: SimParticipant = {
      id: uuid(this.ids),
      purpose: "voicemail",
      name: "Voicemail",
      sessionId: uuid(this.ids),
      startTime: t,
      connectedTime: t,
      state: "connected",
    };
    call.conv.participants.push(vm);
    this.changed(call.conv);
    this.at(t + 30_000 + Math.round(this.traffic() * 60_000), () => {
      this.endLeg(vm, "peer");
      this.endCustomer(call.conv, "endpoint");
      this.changed(call.conv);
      this.forget(call.conv);
    });
    this.dispatch(call.queue);
  }

  /** A caller who leaves while an agent's phone rings: the ringing leg ends and the agent is free. */
  private dropRinging(call: WaitingCall): void {
    if (!call.alerting) return;
    this.endLeg(call.alerting.leg, "peer");
    call.alerting.agent.busy = false;
    call.alerting = undefined;
  }

  private leaveQueue(call: WaitingCall, outcome: "answered" | "abandoned" | "flowout", disconnectType: string): void {
    const t = this.now;
    call.done = true;
    const rt = call.queue;
    rt.waiting.splice(rt.waiting.indexOf(call), 1);
    call.acd.outcome = outcome;
    call.acd.waitMs = t - call.acd.connectedTime!;
    this.endLeg(call.acd, disconnectType);
    this.record(outcome, call.conv, call.acd, t, call.acd.waitMs);
  }

  private endLeg(p: SimParticipant, disconnectType: string): void {
    p.state = "disconnected";
    p.endTime = this.now;
    p.disconnectType = disconnectType;
  }

  private endCustomer(conv: SimConversation, disconnectType: string): void {
    const customer = conv.participants[0];
    if (customer.state !== "disconnected") this.endLeg(customer, disconnectType);
    conv.end = this.now;
  }

  // ---- bookkeeping ----------------------------------------------------------------------

  private forget(conv: SimConversation): void {
    if (this.options.keepConversations === false) this.conversations.delete(conv.id);
  }

  private record(kind: QueueEventKind, conv: SimConversation, acd: SimParticipant, time: number, waitMs?: number): void {
    const ev: QueueEvent = {
      kind,
      queueId: acd.queueId!,
      mediaType: conv.mediaType,
      conversationId: conv.id,
      participantId: acd.id,
      time,
      ...(waitMs === undefined ? {} : { waitMs }),
    };
    this.events.push(ev);
    for (const l of this.listeners) l.queueEvent?.(ev);
  }

  private changed(conv: SimConversation): void {
    if (this.options.keepConversations !== false || this.listeners.length > 0) conv.versions.push({ time: this.now, participants: conv.participants.map((p) => ({ ...p })) });
    for (const l of this.listeners) l.conversationChanged?.(conv, this.now);
  }

  private at(time: number, run: () => void): void {
    const item = { time, seq: this.seq++, run };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Scheduled {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
