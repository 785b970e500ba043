/**
 * The call simulator: a discrete-event simulation of queues, agents and callers on a virtual
 * clock. It is the ground truth every claim of the monitor is measured against, so it records
 * every QueueEvent it causes with exact (integer millisecond) times and waits.
 *
 * Deterministic for a given seed: events are processed in (time, sequence) order, and all
 * randomness comes from seeded streams (traffic, identifiers, presentation details), never from
 * wall-clock timing. `advanceTo(t)` runs everything due up to t; the emulator calls it from a
 * real-time ticker, the theory test calls it directly to run hours of traffic in milliseconds.
 *
 * What it models beyond the queueing itself, because the real service shows it
 * (docs/genesys-api.md, and the published samples under test/fixtures/):
 * - the agent's connect and the acd leg's end are up to ±100 ms apart, either way round, and
 *   sometimes a snapshot shows one without the other;
 * - the documented disconnect types per side (endpoint / peer / client / system / transfer);
 * - an `ivr` (voice) or `workflow` (digital) participant before the first queue, and `delay`
 *   segments (in-queue flow audio) among an acd leg's `interact` segments;
 * - one agent participant per user per conversation: a user alerted again (after a no-answer,
 *   or on another queue after a transfer) gets another session on the same participant.
 * Ground truth stays exact whatever the presentation: offered = acd leg start, answered /
 * abandoned / flowout = acd leg end, wait = acd end - acd start.
 */
import type { QueueEvent, QueueEventKind } from "../../domain/queue-event.js";
import { exponential, lognormal, mulberry32, uuid, type Rng } from "../../util/random.js";
import type { QueueSpec, Scenario, SimMediaType } from "./scenario.js";

export type Purpose = "customer" | "ivr" | "workflow" | "acd" | "agent" | "voicemail";

export interface SimSegment {
  type: "system" | "ivr" | "interact" | "delay" | "alert";
  start: number;
  end?: number;
  queueId?: string;
  disconnectType?: string;
}

/** Flow facts of an ivr / workflow session (details `flow`). */
export interface SimFlow {
  flowId: string;
  flowName: string;
  flowType: string;
  transferTargetAddress?: string;
  transferTargetName?: string;
}

/** One communication (snapshot) / session (details) of a participant. */
export interface SimSession {
  id: string;
  queueId?: string;
  /** Joined (alerting start for agents). */
  startTime: number;
  connectedTime?: number;
  endTime?: number;
  state: "alerting" | "connected" | "disconnected";
  disconnectType?: string;
  segments: SimSegment[];
  /** acd legs: how the leg ended and how long it waited (ground truth). */
  outcome?: "answered" | "abandoned" | "flowout";
  waitMs?: number;
  /** acd legs: how the conversation came to this queue (details `flowInType`). */
  flowInType?: string;
  /** agent sessions: alerted but never answered (tNotResponding). */
  noAnswer?: boolean;
  /** agent sessions: tAnswered (value = the acd leg's wait), its emit time, and the acd participant answered (not rendered). */
  answered?: { value: number; emitAt: number; acdParticipantId: string };
  flow?: SimFlow;
}

/** A participant as the simulator keeps it; snapshots and details are rendered from copies. */
export interface SimParticipant {
  id: string;
  purpose: Purpose;
  name: string;
  /** The queue of the newest session (customers: the queue they are in or were last in). */
  queueId?: string;
  userId?: string;
  sessions: SimSession[];
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
  /** Queues this agent takes calls from, own queue first. */
  serves: QueueRuntime[];
}

interface WaitingCall {
  conv: SimConversation;
  acd: SimParticipant;
  queue: QueueRuntime;
  alerting?: { agent: Agent; session: SimSession };
  done: boolean;
}

interface QueueRuntime {
  q: SimQueue;
  /** Own agents first, then agents of other queues that also serve this one. */
  agents: Agent[];
  waiting: WaitingCall[];
  /** Connected agent legs per media. */
  interacting: Map<string, number>;
  maxRate: number;
  /** The scenario's surges of this queue (looked up per arrival: a scenario can hold thousands). */
  surges: Scenario["surges"];
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
  /** Agents changed state on these queues (routing-status observations). */
  agentsChanged?(queueIds: string[]): void;
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

/** Largest gap between an agent's connect and the acd leg's end (either way round). */
export const MAX_ANSWER_SKEW_MS = 100;
/** tAnswered is emitted within this of the acd leg's end. */
export const MAX_ANSWERED_EMIT_SKEW_MS = 20;
const BUCKET_MS = 1_800_000;

export class Simulator {
  private readonly divisions = new Map<string, string>();
  readonly conversations = new Map<string, SimConversation>();
  readonly events: QueueEvent[] = [];
  now: number;

  private readonly traffic: Rng;
  private readonly ids: Rng;
  /** Presentation details (skews, disconnect sides, segments): a stream of its own. */
  private readonly detail: Rng;
  private readonly heap: Scheduled[] = [];
  private seq = 0;
  private readonly runtimes = new Map<string, QueueRuntime>();
  private readonly byName = new Map<string, QueueRuntime>();
  private readonly arrivalsEnd: number;
  private readonly listeners: SimulatorListener[] = [];
  /** Calls in an inbound flow (IVR / workflow), not yet in their first queue. */
  private inFlow = 0;

  constructor(
    readonly scenario: Scenario,
    readonly options: SimulatorOptions,
  ) {
    this.traffic = mulberry32(options.seed);
    this.ids = mulberry32(options.seed ^ 0x5eed1d5);
    this.detail = mulberry32(options.seed ^ 0x0de7a11);
    this.now = options.start;
    this.arrivalsEnd = options.durationMinutes === undefined ? Infinity : options.start + options.durationMinutes * 60_000;
    for (const spec of scenario.queues) this.createQueue(spec);
    for (const rt of this.runtimes.values()) this.linkSharedAgents(rt);
    for (const rt of this.runtimes.values()) this.scheduleArrival(rt, this.now);
  }

  /** The queues that exist now (a removed queue's calls in progress still finish). */
  get queues(): SimQueue[] {
    return [...this.runtimes.values()].filter((rt) => !rt.removed).map((rt) => rt.q);
  }

  /** Adds a queue at run time; its callers start arriving now. Names must be unique. */
  addQueue(spec: QueueSpec): SimQueue {
    if (this.liveByName(spec.name)) throw new RangeError(`a queue named ${spec.name} exists`);
    for (const target of [spec.transferTo, spec.flowOutTo, ...(spec.alsoServes ?? [])]) {
      if (target && !this.byName.has(target)) throw new RangeError(`queue ${spec.name} names unknown queue ${target}`);
    }
    const rt = this.createQueue(spec);
    this.linkSharedAgents(rt);
    this.scheduleArrival(rt, this.now);
    return rt.q;
  }

  /**
   * Renames a queue and/or moves it to another division (by id, or by name: a new name makes a
   * new division). Its id, calls, history and ground truth stay as they are.
   */
  updateQueue(id: string, change: { name?: string; division?: string }): SimQueue | undefined {
    const rt = this.runtimes.get(id);
    if (!rt || rt.removed) return undefined;
    if (change.name !== undefined && change.name !== rt.q.name) {
      if (this.liveByName(change.name)) throw new RangeError(`a queue named ${change.name} exists`);
      if (this.byName.get(rt.q.name) === rt) this.byName.delete(rt.q.name);
      rt.q.name = change.name;
      this.byName.set(change.name, rt);
    }
    if (change.division !== undefined) {
      const byId = [...this.divisions].find(([, did]) => did === change.division);
      const name = byId ? byId[0] : change.division;
      if (!this.divisions.has(name)) this.divisions.set(name, uuid(this.ids));
      rt.q.divisionName = name;
      rt.q.divisionId = this.divisions.get(name)!;
    }
    return rt.q;
  }

  private liveByName(name: string): QueueRuntime | undefined {
    const rt = this.byName.get(name);
    return rt && !rt.removed ? rt : undefined;
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
    const surges = this.scenario.surges.filter((x) => x.queue === spec.name);
    const surgeMax = Math.max(1, ...surges.map((x) => x.factor));
    const profileMax = spec.hourlyProfile ? Math.max(...spec.hourlyProfile) : 1;
    const rt: QueueRuntime = {
      q,
      agents: [],
      waiting: [],
      interacting: new Map(),
      maxRate: (spec.arrivalsPerHour / 3_600_000) * surgeMax * profileMax,
      surges,
      removed: false,
    };
    rt.agents = Array.from({ length: spec.agents }, (_, i) => ({ userId: uuid(this.ids), name: `${spec.name} Agent ${i + 1}`, busy: false, serves: [rt] }));
    this.runtimes.set(q.id, rt);
    this.byName.set(q.name, rt);
    return rt;
  }

  /** `alsoServes`: this queue's own agents also take calls from the named queues (after their own). */
  private linkSharedAgents(rt: QueueRuntime): void {
    for (const name of rt.q.spec.alsoServes ?? []) {
      const other = this.byName.get(name);
      if (!other || other === rt) continue;
      const own = rt.agents.filter((a) => a.serves[0] === rt);
      for (const a of own) {
        a.serves.push(other);
        other.agents.push(a);
      }
    }
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

  /**
   * Calls whose next queue event is still to come: in an inbound flow before their first queue,
   * or waiting in a queue. With no arrivals left and no transfers configured, zero means the
   * ground truth's queue events are final (handling may go on: it makes no queue event).
   */
  get open(): { beforeQueue: number; waiting: number } {
    let waiting = 0;
    for (const rt of this.runtimes.values()) waiting += rt.waiting.length;
    return { beforeQueue: this.inFlow, waiting };
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

  /** Queue members by routing status (queue-level observations: oMemberUsers, oUserRoutingStatuses). */
  members(queueId: string): { members: number; idle: number; interacting: number } {
    const rt = this.runtimes.get(queueId);
    if (!rt) return { members: 0, idle: 0, interacting: 0 };
    const busy = rt.agents.filter((a) => a.busy).length;
    return { members: rt.agents.length, idle: rt.agents.length - busy, interacting: busy };
  }

  // ---- arrivals -------------------------------------------------------------------------

  private rate(rt: QueueRuntime, t: number): number {
    const spec = rt.q.spec;
    let r = spec.arrivalsPerHour / 3_600_000;
    if (spec.hourlyProfile) r *= spec.hourlyProfile[new Date(t).getUTCHours()];
    const minute = (t - this.options.start) / 60_000;
    for (const s of rt.surges) {
      if (minute >= s.startMinute && minute < s.startMinute + s.durationMinutes) r *= s.factor;
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
    const customer = this.participant(conv, "customer", `Caller ${conv.ani.slice(-4)}`);
    const cs = this.session(customer, t);
    cs.connectedTime = t;
    cs.state = "connected";
    this.conversations.set(conv.id, conv);
    // Before the queue: the inbound flow. Voice runs an IVR (purpose ivr, segmentType ivr);
    // digital media sometimes pass a short workflow first (captured messaging sample). Callbacks
    // are created straight onto the queue.
    const spec = rt.q.spec;
    if (mediaType === "voice" && spec.ivrSeconds > 0) {
      this.runFlow(conv, rt, "ivr", Math.max(200, Math.round(exponential(this.traffic, spec.ivrSeconds * 1000))));
    } else if (mediaType !== "voice" && mediaType !== "callback" && this.detail() < 0.5) {
      this.runFlow(conv, rt, "workflow", 200 + Math.round(this.detail() * 1500));
    } else {
      this.enterQueue(conv, rt, "direct");
    }
  }

  private runFlow(conv: SimConversation, rt: QueueRuntime, purpose: "ivr" | "workflow", durationMs: number): void {
    const t = this.now;
    const flowTypes: Record<SimMediaType, string> = { voice: "INBOUNDCALL", chat: "INBOUNDCHAT", message: "INBOUNDSHORTMESSAGE", email: "INBOUNDEMAIL", callback: "INBOUNDCALL" };
    const name = `${rt.q.name} inbound flow`;
    const p = this.participant(conv, purpose, name);
    const s = this.session(p, t);
    s.connectedTime = t;
    s.state = "connected";
    s.flow = { flowId: uuid(this.ids), flowName: name, flowType: flowTypes[conv.mediaType], transferTargetAddress: rt.q.id, transferTargetName: rt.q.name };
    if (purpose === "ivr") {
      // Captured voice sample: a few ms of `system`, then `ivr` until the transfer to ACD.
      const sys = Math.min(50, Math.floor(durationMs / 4));
      s.segments.push({ type: "system", start: t, end: t + sys }, { type: "ivr", start: t + sys });
    } else {
      s.segments.push({ type: "interact", start: t });
    }
    this.changed(conv);
    // Published voice legs often open with a `delay` of a few to tens of ms between the IVR's
    // transfer and the acd interact segment (the wait starts after it).
    const lead = purpose === "ivr" && this.detail() < 0.3 ? 4 + Math.round(this.detail() * 46) : 0;
    this.at(t + durationMs - lead, () => this.endSession(s, "transfer"));
    this.inFlow++;
    this.at(t + durationMs, () => {
      this.inFlow--;
      this.enterQueue(conv, rt, purpose, lead);
    });
  }

  // ---- queueing -------------------------------------------------------------------------

  private enterQueue(conv: SimConversation, rt: QueueRuntime, flowInType: string, leadDelayMs = 0): void {
    const t = this.now;
    const acd = this.participant(conv, "acd", rt.q.name);
    acd.queueId = rt.q.id;
    const s = this.session(acd, t);
    s.queueId = rt.q.id;
    s.connectedTime = t;
    s.state = "connected";
    s.flowInType = flowInType;
    conv.participants[0].queueId = rt.q.id;
    const call: WaitingCall = { conv, acd, queue: rt, done: false };
    rt.waiting.push(call);
    this.record("offered", conv, acd, t);
    this.planQueueSegments(conv, s, rt.q.id, leadDelayMs);
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

  /**
   * The acd leg's segments: mostly one `interact`. A voice leg may open with a short `delay`
   * *before* the interact segment (`leadDelayMs`, after the IVR's transfer): as in published
   * details it is not in tAcd, nOffered is emitted at the interact start, and the acd
   * participant's connectedTime is that start. Sometimes in-queue flow audio shows as a `delay`
   * between two `interact` segments (unconfirmed): that one is inside the leg.
   */
  private planQueueSegments(conv: SimConversation, s: SimSession, queueId: string, leadDelayMs: number): void {
    const t = this.now;
    const u = this.detail();
    const delayMs = 2000 + Math.round(this.detail() * 20_000);
    if (leadDelayMs > 0) s.segments.push({ type: "delay", start: t - leadDelayMs, end: t, queueId });
    s.segments.push({ type: "interact", start: t, queueId });
    if (u < 0.15) {
      const after = 1000 + Math.round(this.detail() * 30_000);
      this.at(t + after, () => {
        if (this.switchSegment(conv, s, "delay", queueId)) this.at(this.now + delayMs, () => this.switchSegment(conv, s, "interact", queueId));
      });
    }
  }

  /** Ends the open segment of a live session and opens one of `type`; false if the session ended. */
  private switchSegment(conv: SimConversation, s: SimSession, type: SimSegment["type"], queueId: string): boolean {
    if (s.endTime !== undefined) return false;
    const open = s.segments[s.segments.length - 1];
    open.end = this.now;
    s.segments.push({ type, start: this.now, queueId });
    // Analytics sees the new segment; no notification (the snapshot shows no segments).
    this.changed(conv, false);
    return true;
  }

  /** Offers the oldest waiting call not already ringing to a free agent, while both exist. */
  private dispatch(rt: QueueRuntime): void {
    for (;;) {
      const agent = rt.agents.find((a) => !a.busy);
      if (!agent) return;
      const call = rt.waiting.find((w) => !w.alerting);
      if (!call) return;
      agent.busy = true;
      this.agentsChanged(agent);
      const spec = rt.q.spec;
      if (spec.alertSeconds === 0 && spec.noAnswerProbability === 0) {
        this.answer(call, agent, undefined);
        continue;
      }
      const t = this.now;
      const session = this.ringAgent(call, agent);
      call.alerting = { agent, session };
      const noAnswer = this.traffic() < spec.noAnswerProbability;
      const ring = Math.round(this.traffic() * 2 * spec.alertSeconds * 1000);
      this.changed(call.conv);
      this.at(t + (noAnswer ? Math.max(ring, 8000) : ring), () => {
        if (call.done || call.alerting?.session !== session) return;
        if (noAnswer) {
          // The alert times out (system) or the agent declines (client); which one a real
          // no-answer shows is not documented, so both occur.
          session.noAnswer = true;
          this.endSession(session, this.detail() < 0.5 ? "system" : "client");
          agent.busy = false;
          this.agentsChanged(agent);
          call.alerting = undefined;
          this.changed(call.conv);
          this.dispatchFor(agent);
        } else {
          this.answer(call, agent, session);
        }
      });
    }
  }

  /** After an agent frees up: every queue it serves, own queue first. */
  private dispatchFor(agent: Agent): void {
    for (const rt of agent.serves) this.dispatch(rt);
  }

  /** An alerting session for `agent` on the call's queue: on the user's participant if it has one. */
  private ringAgent(call: WaitingCall, agent: Agent): SimSession {
    const conv = call.conv;
    let p = conv.participants.find((x) => x.purpose === "agent" && x.userId === agent.userId);
    if (!p) {
      p = this.participant(conv, "agent", agent.name);
      p.userId = agent.userId;
    }
    p.queueId = call.queue.q.id;
    const s = this.session(p, this.now);
    s.queueId = call.queue.q.id;
    s.segments.push({ type: "alert", start: this.now, queueId: call.queue.q.id });
    return s;
  }

  /**
   * The agent answers at `now`. The acd leg's end and the agent's connect are up to 100 ms apart,
   * either way round; the earlier happens now, the later after the skew. Some calls publish the
   * in-between state (agent connected while the acd leg is still open, or the acd leg ended while
   * the agent still alerts), others only the final one.
   */
  private answer(call: WaitingCall, agent: Agent, ringing: SimSession | undefined): void {
    const rt = call.queue;
    const t = this.now;
    const session = ringing ?? this.ringAgent(call, agent);
    const skew = Math.round((this.detail() * 2 - 1) * MAX_ANSWER_SKEW_MS);
    const showBetween = skew !== 0 && this.detail() < 0.35;
    const acdEnd = skew >= 0 ? t : t - skew;
    const agentConnect = skew >= 0 ? t + skew : t;
    // The call is no longer abandonable or routable from here on.
    call.done = true;
    call.alerting = undefined;
    rt.waiting.splice(rt.waiting.indexOf(call), 1);
    const media = call.conv.mediaType;
    rt.interacting.set(media, (rt.interacting.get(media) ?? 0) + 1);
    const endAcd = () => this.leaveQueue(call, "answered", "transfer");
    const connect = () => {
      session.state = "connected";
      session.connectedTime = this.now;
      const alert = session.segments[session.segments.length - 1];
      alert.end = this.now;
      session.segments.push({ type: "interact", start: this.now, queueId: rt.q.id });
    };
    const first = skew >= 0 ? endAcd : connect;
    const second = skew >= 0 ? connect : endAcd;
    first();
    if (showBetween) this.changed(call.conv);
    const finish = () => {
      second();
      const waitMs = call.acd.sessions[0].waitMs!;
      session.answered = { value: waitMs, emitAt: answeredEmit(acdEnd, agentConnect), acdParticipantId: call.acd.id };
      this.changed(call.conv);
      this.scheduleHandling(call, agent, session, agentConnect);
    };
    if (skew === 0) finish();
    else this.at(t + Math.abs(skew), finish);
  }

  private scheduleHandling(call: WaitingCall, agent: Agent, session: SimSession, connectedAt: number): void {
    const rt = call.queue;
    const spec = rt.q.spec;
    const mean = spec.handleSeconds * 1000;
    const handle = spec.handleCv > 0 ? lognormal(this.traffic, mean, spec.handleCv) : exponential(this.traffic, mean);
    const media = call.conv.mediaType;
    this.at(Math.max(this.now + 1, connectedAt + Math.max(1, Math.round(handle))), () => {
      rt.interacting.set(media, rt.interacting.get(media)! - 1);
      agent.busy = false;
      this.agentsChanged(agent);
      const target = spec.transferTo ? this.byName.get(spec.transferTo) : undefined;
      if (target && !target.removed && this.traffic() < spec.transferProbability) {
        this.endSession(session, "transfer");
        this.enterQueue(call.conv, target, "agent");
      } else {
        // Either side may hang up: the one who does shows `client` (agent) or `endpoint`
        // (customer), the other side `peer`.
        const agentHangsUp = this.detail() < 0.5;
        this.endSession(session, agentHangsUp ? "client" : "peer");
        this.endCustomer(call.conv, agentHangsUp ? "peer" : "endpoint");
        this.changed(call.conv);
        this.forget(call.conv);
      }
      this.dispatchFor(agent);
    });
  }

  private abandon(call: WaitingCall): void {
    if (call.done) return;
    const freed = this.dropRinging(call);
    this.leaveQueue(call, "abandoned", "peer");
    this.endCustomer(call.conv, "endpoint");
    this.changed(call.conv);
    this.forget(call.conv);
    this.dispatch(call.queue);
    if (freed) this.dispatchFor(freed);
  }

  /** Flow-out: to the queue named by `flowOutTo` (share `flowOutToShare`), else to voicemail. */
  private flowOut(call: WaitingCall): void {
    if (call.done) return;
    const t = this.now;
    const freed = this.dropRinging(call);
    this.leaveQueue(call, "flowout", "transfer");
    const spec = call.queue.q.spec;
    const target = spec.flowOutTo ? this.byName.get(spec.flowOutTo) : undefined;
    if (target && !target.removed && this.traffic() < spec.flowOutToShare) {
      // In-queue flow transfer: a new acd participant on the other queue.
      this.enterQueue(call.conv, target, "acd");
    } else {
      const vm = this.participant(call.conv, "voicemail", "Voicemail");
      const s = this.session(vm, t);
      s.connectedTime = t;
      s.state = "connected";
      s.segments.push({ type: "interact", start: t });
      this.changed(call.conv);
      this.at(t + 30_000 + Math.round(this.traffic() * 60_000), () => {
        this.endSession(s, "peer");
        this.endCustomer(call.conv, "endpoint");
        this.changed(call.conv);
        this.forget(call.conv);
      });
    }
    this.dispatch(call.queue);
    if (freed) this.dispatchFor(freed);
  }

  /** A caller who leaves while an agent's phone rings: the alert ends (peer or system), the agent is free. */
  private dropRinging(call: WaitingCall): Agent | undefined {
    if (!call.alerting) return undefined;
    const { agent, session } = call.alerting;
    this.endSession(session, this.detail() < 0.5 ? "peer" : "system");
    agent.busy = false;
    this.agentsChanged(agent);
    call.alerting = undefined;
    return agent;
  }

  private leaveQueue(call: WaitingCall, outcome: "answered" | "abandoned" | "flowout", disconnectType: string): void {
    const t = this.now;
    call.done = true;
    const rt = call.queue;
    const i = rt.waiting.indexOf(call);
    if (i >= 0) rt.waiting.splice(i, 1);
    const s = call.acd.sessions[0];
    s.outcome = outcome;
    // From the first interact segment: a leading delay is not queue time (tAcd leaves it out).
    s.waitMs = t - (s.segments.find((g) => g.type === "interact") ?? s.segments[0]).start;
    this.endSession(s, disconnectType);
    this.record(outcome, call.conv, call.acd, t, s.waitMs);
  }

  private endSession(s: SimSession, disconnectType: string): void {
    s.state = "disconnected";
    s.endTime = this.now;
    s.disconnectType = disconnectType;
    const open = s.segments[s.segments.length - 1];
    if (open && open.end === undefined) {
      open.end = this.now;
      open.disconnectType = disconnectType;
    }
  }

  private endCustomer(conv: SimConversation, disconnectType: string): void {
    const customer = conv.participants[0].sessions[0];
    if (customer.state !== "disconnected") this.endSession(customer, disconnectType);
    conv.end = this.now;
  }

  // ---- bookkeeping ----------------------------------------------------------------------

  private participant(conv: SimConversation, purpose: Purpose, name: string): SimParticipant {
    const p: SimParticipant = { id: uuid(this.ids), purpose, name, sessions: [] };
    conv.participants.push(p);
    return p;
  }

  private session(p: SimParticipant, t: number): SimSession {
    const s: SimSession = { id: uuid(this.ids), startTime: t, state: "alerting", segments: [] };
    if (p.purpose === "customer") s.segments.push({ type: "interact", start: t });
    p.sessions.push(s);
    return s;
  }

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

  private agentsChanged(agent: Agent): void {
    if (this.listeners.length === 0) return;
    const ids = agent.serves.map((rt) => rt.q.id);
    for (const l of this.listeners) l.agentsChanged?.(ids);
  }

  /** Records a version; `publish` false = analytics sees it but no notification goes out. */
  private changed(conv: SimConversation, publish = true): void {
    if (this.options.keepConversations !== false || this.listeners.length > 0) conv.versions.push({ time: this.now, participants: conv.participants.map(copyParticipant) });
    if (publish) for (const l of this.listeners) l.conversationChanged?.(conv, this.now);
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

/**
 * tAnswered's emit time: the agent's connect when within 20 ms of the acd end (as captured),
 * else 20 ms from it; never across a 30-minute boundary from the acd end, so the metric falls in
 * the same aggregate interval as the ground-truth answered event.
 */
function answeredEmit(acdEnd: number, agentConnect: number): number {
  const d = Math.max(-MAX_ANSWERED_EMIT_SKEW_MS, Math.min(MAX_ANSWERED_EMIT_SKEW_MS, agentConnect - acdEnd));
  const bucket = Math.floor(acdEnd / BUCKET_MS) * BUCKET_MS;
  return Math.max(bucket, Math.min(bucket + BUCKET_MS - 1, acdEnd + d));
}

function copyParticipant(p: SimParticipant): SimParticipant {
  return { ...p, sessions: p.sessions.map((s) => ({ ...s, segments: s.segments.map((g) => ({ ...g })) })) };
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
