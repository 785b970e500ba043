/**
 * The simulator's records: conversations as the analytics store and the notifications render them
 * (participants, sessions, segments, every version), and the run-time state of queues and agents.
 */
import type { QueueEvent } from "../../domain/queue-event.js";
import type { QueueSpec, Scenario, ShiftSpec, SimMediaType } from "./scenario.js";

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

/** Presence as far as routing cares: on queue, away (break), or logged off. */
export type Presence = "ON_QUEUE" | "BREAK" | "OFFLINE";

export const ROUTING_STATUSES = ["IDLE", "INTERACTING", "COMMUNICATING", "NOT_RESPONDING", "OFF_QUEUE"] as const;
export type RoutingStatus = (typeof ROUTING_STATUSES)[number];

export interface Agent {
  userId: string;
  name: string;
  /** Alerted or connected on an ACD call. */
  busy: boolean;
  /** Queues this agent takes calls from, own queue first. */
  serves: QueueRuntime[];
  presence: Presence;
  /** Let an alert time out: no calls until it passes. */
  notResponding: boolean;
  /** On a non-ACD (direct) call. */
  communicating: boolean;
  /** What the agent does once the call in hand ends: log off, or take a break of this many ms. */
  after?: "offline" | { breakMs: number };
  /** The shift this agent works (and its place in it), if not on all the time. */
  shift?: { spec: ShiftSpec; index: number };
  /** Counts not-responding spells and breaks, so a stale end event cannot end a newer one. */
  spell: number;
}

/** An answered call being handled: for oInteracting detail observations. */
export interface HandlingCall {
  conv: SimConversation;
  session: SimSession;
  agent: Agent;
}

export interface WaitingCall {
  conv: SimConversation;
  acd: SimParticipant;
  queue: QueueRuntime;
  alerting?: { agent: Agent; session: SimSession };
  done: boolean;
}

export interface QueueRuntime {
  q: SimQueue;
  /** Own agents first, then agents of other queues that also serve this one. */
  agents: Agent[];
  waiting: WaitingCall[];
  /** Connected agent legs per media. */
  interacting: Map<string, number>;
  handling: Set<HandlingCall>;
  maxRate: number;
  /** The scenario's surges of this queue (looked up per arrival: a scenario can hold thousands). */
  surges: Scenario["surges"];
  removed: boolean;
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
