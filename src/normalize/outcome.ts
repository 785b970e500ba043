/**
 * The outcome rules: one place that decides what happened to each queue visit, fed by both
 * readers (live conversation snapshots and analytics details), so the two can only disagree where
 * their inputs do. Pure. The rules and the evidence for each are in docs/outcome-rules.md.
 *
 * A visit is one acd leg: (conversation, acd participant, queue), from the leg's start S to its
 * end E. Its wait is the leg's own duration E - S (Genesys' tAcd; tAnswered equals it), never an
 * agent's connect time minus S: real legs are stamped by different services, and an agent's
 * connect lands up to ~100 ms either side of E.
 *   offered    at S, once the leg exists
 *   answered   at E, when an agent leg on the same queue connects within SKEW_MS of E
 *              (each agent connection answers at most one visit: the nearest by time)
 *   abandoned  at E, when the leg ended because the customer left: its disconnect type is "peer",
 *              or (no transfer) the customer's own leg ended by E + SKEW_MS
 *   flowout    at E, otherwise (transfer to another queue, voicemail, in-queue flow, callback),
 *              once no agent on the queue is still being alerted: the acd leg can end a few ms
 *              before the agent's connect shows, and a snapshot can fall in between
 *   nothing    while E is unknown: the visit is still waiting, even if an agent already shows
 *              connected (the acd leg's end arrives in a later snapshot or from analytics)
 */
import type { MediaType, QueueEvent, QueueEventKind } from "../domain/queue-event.js";

/** Tolerance for clock skew between legs stamped by different services. */
export const SKEW_MS = 5_000;

/** One acd leg as read from either source. */
export interface AcdLeg {
  participantId: string;
  queueId: string;
  mediaType: MediaType;
  start: number;
  end?: number;
  /** The acd leg's own disconnect type (lower case, "transfer.*" kept as is). */
  disconnectType?: string;
  /** An outcome the source states outright (analytics' tAbandon / tFlowOut / tAnswered on the acd session). */
  stated?: Exclude<QueueEventKind, "offered">;
}

/** An agent connection that may have taken over a leg. */
export interface AgentConnect {
  /** Queue the agent leg was routed from; undefined when the source does not say. */
  queueId?: string;
  at: number;
}

/** An agent leg still alerting (neither connected nor ended) as the source last saw it. */
export interface AgentAlert {
  queueId?: string;
  /** When the alert began; undefined when the source does not say (notification snapshots). */
  since?: number;
}

export interface CustomerState {
  /** When the customer's own leg ended; undefined while connected (or unknown). */
  endedAt?: number;
}

/** Every QueueEvent the legs show, in leg order (offered before its end). */
export function visitEvents(conversationId: string, legs: AcdLeg[], agents: AgentConnect[], customer: CustomerState, accept: (queueId: string) => boolean, alerting: AgentAlert[] = []): QueueEvent[] {
  const answeredBy = matchAnswers(legs, agents);
  const out: QueueEvent[] = [];
  // Plain loops and literal objects of one shape: this runs for every frame of the live stream.
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i];
    if (!accept(leg.queueId)) continue;
    out.push({ queueId: leg.queueId, mediaType: leg.mediaType, conversationId, participantId: leg.participantId, kind: "offered", time: leg.start });
    const end = leg.end;
    if (end === undefined) continue;
    const kind = leg.stated ?? (answeredBy[i] ? "answered" : customerLeft(leg, customer) ? "abandoned" : handingOver(leg, alerting) ? undefined : "flowout");
    if (kind === undefined) continue; // decided by the next reading
    out.push({ queueId: leg.queueId, mediaType: leg.mediaType, conversationId, participantId: leg.participantId, kind, time: end, waitMs: Math.max(0, end - leg.start) });
  }
  return out;
}

function customerLeft(leg: AcdLeg, customer: CustomerState): boolean {
  const d = leg.disconnectType ?? "";
  if (d === "peer") return true;
  // A transfer hands the caller on (voicemail, another queue, a flow): never an abandon.
  if (d.startsWith("transfer")) return false;
  // The customer must have left while this leg was waiting: one who was gone before it started
  // (a callback requested by a caller who then hung up) did not abandon it.
  const left = customer.endedAt;
  return left !== undefined && left >= leg.start - SKEW_MS && left <= leg.end! + SKEW_MS;
}

/** An agent on the leg's queue was alerted before the leg ended and has not answered or ended yet. */
function handingOver(leg: AcdLeg, alerting: AgentAlert[]): boolean {
  return alerting.some((a) => (a.queueId === undefined || a.queueId === leg.queueId) && (a.since === undefined || (a.since <= leg.end! + SKEW_MS && a.since >= leg.start - SKEW_MS)));
}

/**
 * Pairs ended legs with agent connections on the same queue within SKEW_MS of the leg's end,
 * nearest first, each connection used once: a leg answered, transferred back to its queue and
 * ended a moment later cannot take the first agent's connection as its own.
 */
function matchAnswers(legs: AcdLeg[], agents: AgentConnect[]): boolean[] {
  const answered: boolean[] = [];
  let pairs: { leg: number; agent: number; distance: number }[] | undefined;
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i];
    answered.push(false);
    if (leg.end === undefined || leg.stated !== undefined) continue;
    for (let j = 0; j < agents.length; j++) {
      const a = agents[j];
      if (a.queueId !== undefined && a.queueId !== leg.queueId) continue;
      const distance = Math.abs(a.at - leg.end);
      if (distance <= SKEW_MS && a.at >= leg.start - SKEW_MS) (pairs ??= []).push({ leg: i, agent: j, distance });
    }
  }
  if (pairs === undefined) return answered;
  if (pairs.length === 1) {
    answered[pairs[0].leg] = true;
    return answered;
  }
  pairs.sort((x, y) => x.distance - y.distance);
  const agentsUsed = new Set<number>();
  for (const p of pairs) {
    if (answered[p.leg] || agentsUsed.has(p.agent)) continue;
    answered[p.leg] = true;
    agentsUsed.add(p.agent);
  }
  return answered;
}
