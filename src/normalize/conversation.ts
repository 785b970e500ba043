/**
 * Conversation snapshots (`v2.routing.queues.{id}.conversations`) -> QueueEvents. Pure.
 *
 * Each acd participant is one visit of the conversation to a queue: a leg. A leg moves through
 *   (absent) -> waiting -> answered | abandoned | flowout
 * and every transition is one event with the identity (conversation, acd participant, kind):
 *   offered   when the acd participant appears          time = acd.connectedTime
 *   answered  when an agent of that queue connects      time = agent connect, wait = agent connect - acd connect
 *   abandoned when the acd leg ends, customer gone      time = acd.endTime,   wait = end - acd connect
 *   flowout   when the acd leg ends without an agent    time = acd.endTime,   wait = end - acd connect
 * Snapshots are full conversation states, so each one yields every transition visible in it;
 * the dedup store remembers which identities were counted, which makes repeated, late and
 * out-of-order snapshots harmless (a leg can never move backwards: its terminal event, once
 * counted, stays). Agent no-answers (an agent leg that ends without connecting) and re-queues
 * leave the leg waiting; transfers to another queue add a new acd leg there and end this one
 * as a flow-out; callbacks, chats, emails and messages are legs of their own media type.
 */
import { ms } from "./time.js";
import type { MediaType, QueueEvent } from "../domain/queue-event.js";

interface Communication {
  state?: string;
  disconnectType?: string;
  connectedTime?: string;
  disconnectedTime?: string;
}

export interface SnapshotParticipant {
  id?: string;
  purpose?: string;
  queueId?: string;
  userId?: string;
  connectedTime?: string;
  endTime?: string;
  calls?: Communication[];
  callbacks?: Communication[];
  chats?: Communication[];
  emails?: Communication[];
  messages?: Communication[];
}

export interface ConversationSnapshot {
  id?: string;
  participants?: SnapshotParticipant[];
}

const MEDIA_KEYS: [keyof SnapshotParticipant, MediaType][] = [
  ["calls", "voice"],
  ["callbacks", "callback"],
  ["chats", "chat"],
  ["emails", "email"],
  ["messages", "message"],
];

export function mediaOf(p: SnapshotParticipant): MediaType | undefined {
  for (const [key, media] of MEDIA_KEYS) {
    const list = p[key];
    if (Array.isArray(list) && list.length > 0) return media;
  }
  return undefined;
}

function comms(p: SnapshotParticipant): Communication[] {
  for (const [key] of MEDIA_KEYS) {
    const list = p[key];
    if (Array.isArray(list) && list.length > 0) return list as Communication[];
  }
  return [];
}

/** Thrown for payloads that are not conversation snapshots at all; callers log and skip them. */
export class SnapshotError extends Error {}

/**
 * Every QueueEvent visible in one snapshot. `accept` limits events to monitored queues.
 * Malformed participants are skipped; a body that is not a conversation throws SnapshotError.
 */
export function eventsFromSnapshot(body: unknown, accept: (queueId: string) => boolean = () => true): QueueEvent[] {
  if (!body || typeof body !== "object") throw new SnapshotError("conversation event body is not an object");
  const conv = body as ConversationSnapshot;
  if (typeof conv.id !== "string" || !Array.isArray(conv.participants)) {
    throw new SnapshotError("conversation event body has no id or participants");
  }
  const participants = conv.participants.filter((p): p is SnapshotParticipant => !!p && typeof p === "object");
  const customer = participants.find((p) => p.purpose === "customer" || p.purpose === "external");
  const customerEnd = customer ? (ms(customer.endTime) ?? ms(comms(customer)[0]?.disconnectedTime)) : undefined;
  const agents = participants.filter((p) => p.purpose === "agent" || p.purpose === "user");
  const out: QueueEvent[] = [];
  for (const acd of participants) {
    if (acd.purpose !== "acd" || typeof acd.id !== "string" || typeof acd.queueId !== "string" || !accept(acd.queueId)) continue;
    const start = ms(acd.connectedTime) ?? ms(comms(acd)[0]?.connectedTime);
    if (start === undefined) continue;
    const mediaType = mediaOf(acd) ?? (customer && mediaOf(customer)) ?? "voice";
    const base = { queueId: acd.queueId, mediaType, conversationId: conv.id, participantId: acd.id };
    out.push({ ...base, kind: "offered", time: start });
    const end = ms(acd.endTime) ?? ms(comms(acd)[0]?.disconnectedTime);
    // The agent who answered this leg: same queue, connected while the leg was waiting.
    let answeredAt: number | undefined;
    for (const a of agents) {
      if (a.queueId !== undefined && a.queueId !== acd.queueId) continue;
      const c = ms(a.connectedTime) ?? ms(comms(a).find((x) => x.connectedTime)?.connectedTime);
      if (c === undefined || c < start || (end !== undefined && c > end)) continue;
      if (answeredAt === undefined || c < answeredAt) answeredAt = c;
    }
    if (answeredAt !== undefined) {
      out.push({ ...base, kind: "answered", time: answeredAt, waitMs: answeredAt - start });
      continue;
    }
    if (end === undefined) continue; // still waiting
    const disconnectType = comms(acd)[0]?.disconnectType ?? "";
    const customerLeft = customerEnd !== undefined && customerEnd <= end;
    // The caller hanging up ends the wait as an abandon; anything else that ends it unanswered
    // (transfer to another queue, voicemail, callback, in-queue flow) is a flow-out.
    const kind = customerLeft || disconnectType === "peer" ? "abandoned" : "flowout";
    out.push({ ...base, kind, time: end, waitMs: end - start });
  }
  return out;
}
