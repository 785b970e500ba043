/**
 * Conversation snapshots (`v2.routing.queues.{id}.conversations`) -> QueueEvents. Pure.
 *
 * A snapshot is the whole conversation as it stands: every participant with its communications
 * (calls, callbacks, chats, emails, messages). This reader only extracts the legs (acd legs,
 * agent connections, the customer's end) and leaves the decision to the shared outcome rules
 * (outcome.ts), so live and analytics readings follow one set of rules. Each snapshot yields
 * every fact visible in it; dedup makes repeated, late and out-of-order snapshots harmless.
 * Input is untrusted: anything malformed in a participant is skipped, never thrown on; a body
 * that is not a conversation at all throws SnapshotError for the caller to count.
 */
import { ms } from "./time.js";
import type { MediaType, QueueEvent } from "../domain/queue-event.js";
import { visitEvents, type AcdLeg, type AgentAlert, type AgentConnect } from "./outcome.js";

interface Communication {
  state?: unknown;
  initialState?: unknown;
  disconnectType?: unknown;
  connectedTime?: unknown;
  disconnectedTime?: unknown;
}

export interface SnapshotParticipant {
  id?: unknown;
  purpose?: unknown;
  queueId?: unknown;
  /** REST bodies (GET /conversations/calls) carry `queue: {id}` instead of `queueId`. */
  queue?: unknown;
  userId?: unknown;
  startTime?: unknown;
  state?: unknown;
  disconnectType?: unknown;
  initialState?: unknown;
  connectedTime?: unknown;
  endTime?: unknown;
  calls?: unknown;
  callbacks?: unknown;
  chats?: unknown;
  emails?: unknown;
  messages?: unknown;
}

export interface ConversationSnapshot {
  id?: unknown;
  participants?: unknown;
}

const MEDIA_KEYS = [
  ["calls", "voice"],
  ["callbacks", "callback"],
  ["chats", "chat"],
  ["emails", "email"],
  ["messages", "message"],
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

/**
 * The participant's communications and their media type (the first non-empty list). Media REST
 * bodies (GET /conversations/calls) keep the communication's fields on the participant itself.
 */
function commsOf(p: SnapshotParticipant): { media?: MediaType; comms: Communication[] } {
  for (const [key, media] of MEDIA_KEYS) {
    const list = p[key];
    if (Array.isArray(list) && list.length > 0) return { media, comms: list.filter(isObject) as Communication[] };
  }
  return { comms: p.state !== undefined || p.disconnectType !== undefined ? [p as Communication] : [] };
}

const queueOf = (p: SnapshotParticipant): string | undefined => str(p.queueId) ?? (isObject(p.queue) ? str(p.queue.id) : undefined);

/** Agent legs: `agent`, or a `user` routed from a queue (an internal caller is a `user` without one). */
const isAgent = (p: SnapshotParticipant): boolean => p.purpose === "agent" || (p.purpose === "user" && queueOf(p) !== undefined);

export function mediaOf(p: SnapshotParticipant): MediaType | undefined {
  return commsOf(p).media;
}

/** Thrown for payloads that are not conversation snapshots at all; callers log and skip them. */
export class SnapshotError extends Error {}

/**
 * Every QueueEvent visible in one snapshot. `accept` limits events to monitored queues.
 * Malformed participants are skipped; a body that is not a conversation throws SnapshotError.
 */
export function eventsFromSnapshot(body: unknown, accept: (queueId: string) => boolean = () => true): QueueEvent[] {
  if (!isObject(body)) throw new SnapshotError("conversation event body is not an object");
  const conv = body as ConversationSnapshot;
  const id = str(conv.id);
  if (id === undefined || !Array.isArray(conv.participants)) throw new SnapshotError("conversation event body has no id or participants");
  const participants = conv.participants.filter(isObject) as SnapshotParticipant[];

  const customer = participants.find((p) => p.purpose === "customer" || p.purpose === "external") ?? participants.find((p) => p.purpose === "user" && queueOf(p) === undefined);
  const legs: AcdLeg[] = [];
  const agents: AgentConnect[] = [];
  const alerting: AgentAlert[] = [];
  for (const p of participants) {
    const { media, comms } = commsOf(p);
    if (p.purpose === "acd") {
      const pid = str(p.id);
      const queueId = queueOf(p);
      // The leg's times: the participant's own, else its communication's (first start, last end).
      const start = ms(p.connectedTime) ?? ms(comms[0]?.connectedTime);
      if (pid === undefined || queueId === undefined || start === undefined) continue;
      const last = comms[comms.length - 1];
      const end = ms(p.endTime) ?? (comms.length > 0 && comms.every((c) => ms(c.disconnectedTime) !== undefined) ? ms(last?.disconnectedTime) : undefined);
      const mediaType = media ?? (customer && mediaOf(customer)) ?? "voice";
      legs.push({ participantId: pid, queueId, mediaType, start, end, disconnectType: (str(last?.disconnectType) ?? str(p.disconnectType))?.toLowerCase() });
    } else if (isAgent(p)) {
      // Every connection of the agent participant: one participant can carry several
      // communications, each routed from a queue (a transfer back to the same agent).
      const queueId = queueOf(p);
      const times = new Set<number>();
      for (const c of comms) {
        const at = ms(c.connectedTime);
        if (at !== undefined) times.add(at);
      }
      const own = ms(p.connectedTime);
      if (own !== undefined && times.size === 0) times.add(own);
      for (const at of times) agents.push({ queueId: comms.length > 1 ? undefined : queueId, at });
      // A communication neither connected nor ended is still alerting.
      for (const c of comms) {
        if (ms(c.connectedTime) !== undefined || ms(c.disconnectedTime) !== undefined || c.state === "disconnected" || c.state === "terminated") continue;
        if (comms.length === 1 && (own !== undefined || ms(p.endTime) !== undefined)) continue;
        alerting.push({ queueId: comms.length > 1 ? undefined : queueId, since: ms(p.startTime) });
      }
    }
  }
  return visitEvents(id, legs, agents, { endedAt: customerEnd(customer) }, accept, alerting);
}

/** When the customer's leg ended: its end time, or its last communication's disconnect. */
function customerEnd(customer: SnapshotParticipant | undefined): number | undefined {
  if (!customer) return undefined;
  // A scheduled callback is a request, not a presence: its end says nothing about leaving.
  const all = commsOf(customer).comms;
  const comms = all.filter((c) => c.initialState !== "scheduled");
  if (all.length > 0 && comms.length === 0) return undefined;
  const own = ms(customer.endTime);
  if (own !== undefined) return own;
  if (comms.length === 0 || !comms.every((c) => ms(c.disconnectedTime) !== undefined)) return undefined;
  return Math.max(...comms.map((c) => ms(c.disconnectedTime)!));
}
