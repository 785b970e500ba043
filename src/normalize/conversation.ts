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

const NO_COMMS: Communication[] = [];

/** The list's objects; the list itself (no copy) when they all are, as on every sane payload. */
function objectsOf(list: unknown[]): Communication[] {
  for (let i = 0; i < list.length; i++) if (!isObject(list[i])) return list.filter(isObject) as Communication[];
  return list as Communication[];
}

/** The participant's communication list for MEDIA_KEYS[k] (named reads: cheaper than p[key]). */
function listAt(p: SnapshotParticipant, k: number): unknown {
  switch (k) {
    case 0:
      return p.calls;
    case 1:
      return p.callbacks;
    case 2:
      return p.chats;
    case 3:
      return p.emails;
    default:
      return p.messages;
  }
}

/** The participant's media type: the index in MEDIA_KEYS of its first non-empty communication list. */
function mediaKeyOf(p: SnapshotParticipant): number {
  for (let k = 0; k < MEDIA_KEYS.length; k++) {
    const list = listAt(p, k);
    if (Array.isArray(list) && list.length > 0) return k;
  }
  return -1;
}

/**
 * The participant's communications (the first non-empty list). Media REST bodies (GET
 * /conversations/calls) keep the communication's fields on the participant itself.
 * Read-only: it may be the payload's own array.
 */
function commsAt(p: SnapshotParticipant, k: number): Communication[] {
  if (k >= 0) return objectsOf(listAt(p, k) as unknown[]);
  return p.state !== undefined || p.disconnectType !== undefined ? [p as Communication] : NO_COMMS;
}

const queueOf = (p: SnapshotParticipant): string | undefined => str(p.queueId) ?? (isObject(p.queue) ? str(p.queue.id) : undefined);

export function mediaOf(p: SnapshotParticipant): MediaType | undefined {
  const k = mediaKeyOf(p);
  return k < 0 ? undefined : MEDIA_KEYS[k][1];
}

/** Thrown for payloads that are not conversation snapshots at all; callers log and skip them. */
export class SnapshotError extends Error {}

/**
 * Every QueueEvent visible in one snapshot. `accept` limits events to monitored queues.
 * Malformed participants are skipped; a body that is not a conversation throws SnapshotError.
 * This runs for every frame of the live stream: plain loops, no copies of the payload.
 */
export function eventsFromSnapshot(body: unknown, accept: (queueId: string) => boolean = () => true): QueueEvent[] {
  if (!isObject(body)) throw new SnapshotError("conversation event body is not an object");
  const conv = body as ConversationSnapshot;
  const id = str(conv.id);
  if (id === undefined || !Array.isArray(conv.participants)) throw new SnapshotError("conversation event body has no id or participants");
  const participants = objectsOf(conv.participants) as SnapshotParticipant[];

  // The customer is looked for only when a leg needs it (its end decides abandons; its media
  // stands in for an acd leg without communications): most snapshots show no ended leg.
  let customer: SnapshotParticipant | undefined | null = null;
  const legs: AcdLeg[] = [];
  const agents: AgentConnect[] = [];
  const alerting: AgentAlert[] = [];
  let anyEnded = false;
  for (let i = 0; i < participants.length; i++) {
    const p = participants[i];
    const purpose = p.purpose;
    if (purpose === "acd") {
      const k = mediaKeyOf(p);
      const comms = commsAt(p, k);
      const pid = str(p.id);
      const queueId = queueOf(p);
      // The leg's times: the participant's own, else its communication's (first start, last end).
      const start = ms(p.connectedTime) ?? (comms.length > 0 ? ms(comms[0].connectedTime) : undefined);
      if (pid === undefined || queueId === undefined || start === undefined) continue;
      const last = comms.length > 0 ? comms[comms.length - 1] : undefined;
      const end = ms(p.endTime) ?? (last !== undefined && allDisconnected(comms) ? ms(last.disconnectedTime) : undefined);
      if (end !== undefined) anyEnded = true;
      let mediaType: MediaType;
      if (k >= 0) mediaType = MEDIA_KEYS[k][1];
      else {
        if (customer === null) customer = customerOf(participants);
        mediaType = (customer && mediaOf(customer)) ?? "voice";
      }
      legs.push({ participantId: pid, queueId, mediaType, start, end, disconnectType: (str(last?.disconnectType) ?? str(p.disconnectType))?.toLowerCase() });
    } else if (purpose === "agent" || (purpose === "user" && queueOf(p) !== undefined)) {
      // Agent legs: `agent`, or a `user` routed from a queue (an internal caller is a `user` without one).
      const comms = commsAt(p, mediaKeyOf(p));
      // Every connection of the agent participant: one participant can carry several
      // communications, each routed from a queue (a transfer back to the same agent).
      const queueId = comms.length > 1 ? undefined : queueOf(p);
      const before = agents.length;
      for (let j = 0; j < comms.length; j++) {
        const at = ms(comms[j].connectedTime);
        if (at === undefined) continue;
        let repeated = false; // one connection per distinct time
        for (let x = before; x < agents.length; x++) if (agents[x].at === at) repeated = true;
        if (!repeated) agents.push({ queueId, at });
      }
      const own = ms(p.connectedTime);
      if (own !== undefined && agents.length === before) agents.push({ queueId, at: own });
      // A communication neither connected nor ended is still alerting.
      for (let j = 0; j < comms.length; j++) {
        const c = comms[j];
        if (ms(c.connectedTime) !== undefined || ms(c.disconnectedTime) !== undefined || c.state === "disconnected" || c.state === "terminated") continue;
        if (comms.length === 1 && (own !== undefined || ms(p.endTime) !== undefined)) continue;
        alerting.push({ queueId, since: ms(p.startTime) });
      }
    }
  }
  // The customer's end only matters to a leg that ended.
  return visitEvents(id, legs, agents, { endedAt: anyEnded ? customerEnd(customer ?? customerOf(participants)) : undefined }, accept, alerting);
}

/** The caller: the customer (or external) participant, else an internal caller (a `user` not routed from a queue). */
function customerOf(participants: SnapshotParticipant[]): SnapshotParticipant | undefined {
  let internalCaller: SnapshotParticipant | undefined;
  for (let i = 0; i < participants.length; i++) {
    const p = participants[i];
    if (p.purpose === "customer" || p.purpose === "external") return p;
    if (internalCaller === undefined && p.purpose === "user" && queueOf(p) === undefined) internalCaller = p;
  }
  return internalCaller;
}

function allDisconnected(comms: Communication[]): boolean {
  for (let i = 0; i < comms.length; i++) if (ms(comms[i].disconnectedTime) === undefined) return false;
  return true;
}

/** When the customer's leg ended: its end time, or its last communication's disconnect. */
function customerEnd(customer: SnapshotParticipant | undefined): number | undefined {
  if (!customer) return undefined;
  // A scheduled callback is a request, not a presence: its end says nothing about leaving.
  const all = commsAt(customer, mediaKeyOf(customer));
  let latest = -Infinity;
  let present = 0;
  let open = false;
  for (let i = 0; i < all.length; i++) {
    const c = all[i];
    if (c.initialState === "scheduled") continue;
    present++;
    const t = ms(c.disconnectedTime);
    if (t === undefined) open = true;
    else if (t > latest) latest = t;
  }
  if (all.length > 0 && present === 0) return undefined;
  const own = ms(customer.endTime);
  if (own !== undefined) return own;
  if (present === 0 || open) return undefined;
  return latest;
}
