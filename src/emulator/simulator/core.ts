/**
 * What the parts of the simulator share: the seeded random streams, the event queue, the records
 * and the queues, and the call-flow steps one part hands a call to another with.
 */
import type { Rng } from "../../util/random.js";
import type { QueueRegistry } from "./queues.js";
import type { Records } from "./records.js";
import type { Scenario } from "./scenario.js";
import type { Scheduler } from "./scheduler.js";
import type { Agent, QueueRuntime, SimConversation, SimulatorOptions } from "./types.js";

export interface SimCore {
  readonly scenario: Scenario;
  readonly options: SimulatorOptions;
  /** Arrivals, patience, handling, ring times, transfers: the queueing itself. */
  readonly traffic: Rng;
  /** Identifiers (conversations, participants, sessions, queues, users). */
  readonly ids: Rng;
  /** Presentation details (skews, disconnect sides, segments): a stream of its own. */
  readonly detail: Rng;
  /** Staffing (not-responding spells, direct calls): its own stream, untouched by scenarios without it. */
  readonly staffRng: Rng;
  readonly clock: Scheduler;
  readonly records: Records;
  readonly queues: QueueRegistry;
  /** Virtual ms after which no caller arrives. */
  readonly arrivalsEnd: number;
}

/** The steps of a call that one part of the simulator hands to another (wired by the Simulator). */
export interface CallFlow {
  /** A new conversation at the door of its first queue: through the inbound flow, or straight in. */
  begin(conv: SimConversation, rt: QueueRuntime): void;
  enterQueue(conv: SimConversation, rt: QueueRuntime, flowInType: string, leadDelayMs?: number): void;
  /** Offers waiting calls of the queue to its free agents. */
  dispatch(rt: QueueRuntime): void;
  /** An agent who freed up looks at every queue it serves, own queue first. */
  dispatchFor(agent: Agent): void;
  /** An agent is done with a call or an alert (`timedOut`: the alert timed out on them); see Staffing. */
  release(agent: Agent, timedOut?: boolean): void;
}
