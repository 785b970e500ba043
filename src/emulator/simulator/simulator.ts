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
 * - one agent participant per user per conversation.
 * The parts: traffic (arrivals), inbound-flow (IVR), queue-leg (queueing, abandons, flow-outs),
 * offer (routing to agents, answers, transfers), agents (routing status), staffing (shifts,
 * breaks, not responding, direct calls), queues, records (versions, events), scheduler (the event
 * queue). This class wires them and is the simulator's public face.
 */
import type { QueueEvent } from "../../domain/queue-event.js";
import { mulberry32 } from "../../util/random.js";
import { agentFigures, linkSharedAgents, type AgentFigures } from "./agents.js";
import type { CallFlow, SimCore } from "./core.js";
import { InboundFlow } from "./inbound-flow.js";
import { Offers } from "./offer.js";
import { QueueLeg } from "./queue-leg.js";
import { QueueRegistry, type MediaObservation } from "./queues.js";
import { Records } from "./records.js";
import type { QueueSpec, Scenario } from "./scenario.js";
import { Scheduler } from "./scheduler.js";
import { Staffing } from "./staffing.js";
import { Traffic } from "./traffic.js";
import type { SimConversation, SimQueue, SimulatorListener, SimulatorOptions } from "./types.js";

export type { AgentFigures } from "./agents.js";
export type { Agent, HandlingCall, Purpose, QueueRuntime, SimConversation, SimFlow, SimParticipant, SimQueue, SimSegment, SimSession, SimulatorListener, SimulatorOptions, WaitingCall } from "./types.js";
export type { MediaObservation } from "./queues.js";
export { MAX_ANSWER_SKEW_MS, MAX_ANSWERED_EMIT_SKEW_MS } from "./offer.js";

export class Simulator {
  readonly conversations: Map<string, SimConversation>;
  readonly events: QueueEvent[];

  private readonly core: SimCore;
  private readonly registry: QueueRegistry;
  private readonly records: Records;
  private readonly clock: Scheduler;
  private readonly traffic: Traffic;
  private readonly inbound: InboundFlow;
  private readonly staffing: Staffing;

  constructor(
    readonly scenario: Scenario,
    readonly options: SimulatorOptions,
  ) {
    const ids = mulberry32(options.seed ^ 0x5eed1d5);
    this.clock = new Scheduler(options.start);
    this.records = new Records(ids, this.clock, options);
    this.registry = new QueueRegistry(ids, scenario);
    this.conversations = this.records.conversations;
    this.events = this.records.events;
    this.core = {
      scenario,
      options,
      traffic: mulberry32(options.seed),
      ids,
      detail: mulberry32(options.seed ^ 0x0de7a11),
      staffRng: mulberry32(options.seed ^ 0x57aff1d),
      clock: this.clock,
      records: this.records,
      queues: this.registry,
      arrivalsEnd: options.durationMinutes === undefined ? Infinity : options.start + options.durationMinutes * 60_000,
    };
    // The parts hand calls to each other through this (they are created after it).
    const flow: CallFlow = {
      begin: (conv, rt) => this.inbound.begin(conv, rt),
      enterQueue: (conv, rt, flowInType, lead) => leg.enterQueue(conv, rt, flowInType, lead),
      dispatch: (rt) => offers.dispatch(rt),
      dispatchFor: (agent) => offers.dispatchFor(agent),
      release: (agent, timedOut) => this.staffing.release(agent, timedOut),
    };
    const leg = new QueueLeg(this.core, flow);
    const offers = new Offers(this.core, leg, flow);
    this.inbound = new InboundFlow(this.core, flow);
    this.traffic = new Traffic(this.core, flow);
    this.staffing = new Staffing(this.core, flow);
    for (const spec of scenario.queues) this.registry.create(spec);
    for (const rt of this.registry.runtimes.values()) linkSharedAgents(rt, this.registry);
    for (const rt of this.registry.runtimes.values()) this.staffing.setup(rt);
    for (const rt of this.registry.runtimes.values()) this.traffic.scheduleArrival(rt, this.now);
  }

  /** The virtual time the simulation has reached. */
  get now(): number {
    return this.clock.now;
  }

  /** The queues that exist now (a removed queue's calls in progress still finish). */
  get queues(): SimQueue[] {
    return this.registry.live;
  }

  /** Adds a queue at run time; its callers start arriving now. Names must be unique. */
  addQueue(spec: QueueSpec): SimQueue {
    this.registry.checkNew(spec);
    const rt = this.registry.create(spec);
    linkSharedAgents(rt, this.registry);
    // The queues it shares agents with have new members.
    const shared = (spec.alsoServes ?? []).flatMap((name) => this.registry.named(name)?.q.id ?? []);
    if (shared.length > 0) this.records.agentsChanged(shared);
    this.staffing.setup(rt);
    this.traffic.scheduleArrival(rt, this.now);
    return rt.q;
  }

  /**
   * Renames a queue and/or moves it to another division (by id, or by name: a new name makes a
   * new division). Its id, calls, history and ground truth stay as they are.
   */
  updateQueue(id: string, change: { name?: string; division?: string }): SimQueue | undefined {
    return this.registry.update(id, change);
  }

  /** Forgets conversations that ended before `before` (the analytics store's retention). */
  pruneConversations(before: number): number {
    return this.records.prune(before);
  }

  /** Deletes a queue: no new callers, it leaves the routing API; calls in progress finish. */
  removeQueue(id: string): boolean {
    return this.registry.remove(id);
  }

  listen(l: SimulatorListener): void {
    this.records.listeners.push(l);
  }

  /** Runs every scheduled event with time <= t, in order; then the clock reads t. */
  advanceTo(t: number): void {
    this.clock.advanceTo(t);
  }

  /**
   * Calls whose next queue event is still to come: in an inbound flow before their first queue,
   * or waiting in a queue. With no arrivals left and no transfers configured, zero means the
   * ground truth's queue events are final (handling may go on: it makes no queue event).
   */
  get open(): { beforeQueue: number; waiting: number } {
    return { beforeQueue: this.inbound.inFlow, waiting: this.registry.waiting };
  }

  /** True once arrivals have stopped and every call has finished (staffing may go on changing). */
  get settled(): boolean {
    return this.now >= this.core.arrivalsEnd && this.clock.pendingCalls === 0 && this.registry.waiting === 0;
  }

  /** A queue by id, removed ones included (their calls in progress still need it). */
  queueById(id: string, includeRemoved = true): SimQueue | undefined {
    return this.registry.byId(id, includeRemoved);
  }

  /** Live figures for observations: waiting / interacting / alerting per media, and the waiting legs. */
  observe(queueId: string): Map<string, MediaObservation> {
    return this.registry.observe(queueId);
  }

  /** The queue's members by presence and routing status now (queue-level observations). */
  agentFigures(queueId: string): AgentFigures {
    return agentFigures(this.registry.runtimes.get(queueId));
  }
}
