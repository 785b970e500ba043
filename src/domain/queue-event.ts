/**
 * The one fact the whole pipeline speaks: something happened to a conversation in a queue.
 * Sources (live stream, backfill) produce it, the engine counts it, sinks never see it directly.
 */
export type QueueEventKind = "offered" | "answered" | "abandoned" | "flowout";

/** Media types as Genesys analytics spells them (lower case). */
export type MediaType = "voice" | "callback" | "chat" | "email" | "message" | string;

export interface QueueEvent {
  kind: QueueEventKind;
  queueId: string;
  mediaType: MediaType;
  conversationId: string;
  /** The acd participant: one conversation can pass through a queue more than once. */
  participantId: string;
  /** Event time, epoch milliseconds, on the source's clock. */
  time: number;
  /** Time spent in queue, on answered / abandoned / flowout. */
  waitMs?: number;
}

/**
 * A queue visit (conversation, acd participant, queue) is offered once and ends once. The
 * identity names the fact, not its reading: "offered" or "end", so a visit that one source reads
 * as answered and another as a flow-out collides instead of counting twice.
 */
export function visitIdentity(e: Pick<QueueEvent, "conversationId" | "participantId" | "queueId" | "kind">): string {
  return `${e.conversationId}/${e.participantId}/${e.queueId}/${e.kind === "offered" ? "offered" : "end"}`;
}

/** The statistics key: figures are kept per queue and media type. */
export function seriesKey(queueId: string, mediaType: MediaType): string {
  return `${queueId}\u0000${mediaType}`;
}
