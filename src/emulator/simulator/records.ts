/**
 * Conversation records: participants and sessions as they are created and ended, a frozen version
 * of the conversation at every change (what the analytics store ingests, each with its own lag),
 * the ground-truth QueueEvents, and the listeners told of each.
 */
import type { QueueEvent, QueueEventKind } from "../../domain/queue-event.js";
import { uuid, type Rng } from "../../util/random.js";
import type { Scheduler } from "./scheduler.js";
import type { Purpose, SimConversation, SimParticipant, SimSession, SimulatorListener, SimulatorOptions } from "./types.js";

export class Records {
  readonly conversations = new Map<string, SimConversation>();
  readonly events: QueueEvent[] = [];
  readonly listeners: SimulatorListener[] = [];

  constructor(
    private readonly ids: Rng,
    private readonly clock: Scheduler,
    private readonly options: SimulatorOptions,
  ) {}

  participant(conv: SimConversation, purpose: Purpose, name: string): SimParticipant {
    const p: SimParticipant = { id: uuid(this.ids), purpose, name, sessions: [] };
    conv.participants.push(p);
    return p;
  }

  session(p: SimParticipant, t: number): SimSession {
    const s: SimSession = { id: uuid(this.ids), startTime: t, state: "alerting", segments: [] };
    if (p.purpose === "customer") s.segments.push({ type: "interact", start: t });
    p.sessions.push(s);
    return s;
  }

  endSession(s: SimSession, disconnectType: string): void {
    s.state = "disconnected";
    s.endTime = this.clock.now;
    s.disconnectType = disconnectType;
    const open = s.segments[s.segments.length - 1];
    if (open && open.end === undefined) {
      open.end = this.clock.now;
      open.disconnectType = disconnectType;
    }
  }

  endCustomer(conv: SimConversation, disconnectType: string): void {
    const customer = conv.participants[0].sessions[0];
    if (customer.state !== "disconnected") this.endSession(customer, disconnectType);
    conv.end = this.clock.now;
  }

  /** A finished conversation: dropped at once on long theory runs that keep none. */
  forget(conv: SimConversation): void {
    if (this.options.keepConversations === false) this.conversations.delete(conv.id);
  }

  /** Forgets conversations that ended before `before` (the analytics store's retention). */
  prune(before: number): number {
    let n = 0;
    for (const [id, conv] of this.conversations) {
      if (conv.end !== undefined && conv.end < before) {
        this.conversations.delete(id);
        n++;
      }
    }
    return n;
  }

  record(kind: QueueEventKind, conv: SimConversation, acd: SimParticipant, time: number, waitMs?: number): void {
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

  /** Records a version; `publish` false = analytics sees it but no notification goes out. */
  changed(conv: SimConversation, publish = true): void {
    if (this.options.keepConversations !== false || this.listeners.length > 0) conv.versions.push({ time: this.clock.now, participants: conv.participants.map(copyParticipant) });
    if (publish) for (const l of this.listeners) l.conversationChanged?.(conv, this.clock.now);
  }

  agentsChanged(queueIds: string[]): void {
    for (const l of this.listeners) l.agentsChanged?.(queueIds);
  }
}

function copyParticipant(p: SimParticipant): SimParticipant {
  return { ...p, sessions: p.sessions.map((s) => ({ ...s, segments: s.segments.map((g) => ({ ...g })) })) };
}
