/**
 * Analytics conversation details (details query pages, single-conversation details) -> the same
 * QueueEvents, with the same identities, as the live snapshots give. Pure.
 *
 * Each acd participant session is a leg: it starts at its first segment's start and ends at its
 * last segment's end (interact and in-queue `delay` segments alike: tAcd spans them all). Agent
 * sessions give agent connections: the emit time of their tAnswered, else the start of their
 * first interact segment (an agent session with neither never connected: a no-answer). The
 * decision is the shared outcome rules' (outcome.ts); analytics' own tAbandon / tFlowOut /
 * tAnswered on the acd session, when present, state the outcome outright. Input is untrusted:
 * malformed parts are skipped, nothing throws.
 */
import { ms } from "./time.js";
import type { QueueEvent, QueueEventKind } from "../domain/queue-event.js";
import { visitEvents, type AcdLeg, type AgentAlert, type AgentConnect } from "./outcome.js";

export interface DetailsConversation {
  conversationId?: unknown;
  participants?: unknown;
}

interface Segment {
  segmentStart?: unknown;
  segmentEnd?: unknown;
  segmentType?: unknown;
  queueId?: unknown;
  disconnectType?: unknown;
}
interface Metric {
  name?: unknown;
  value?: unknown;
  emitDate?: unknown;
}
interface Session {
  mediaType?: unknown;
  segments?: unknown;
  metrics?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v.filter(isObject) as T[]) : []);

const type = (s: Segment): string | undefined => str(s.segmentType)?.toLowerCase();

const STATED: [string, Exclude<QueueEventKind, "offered">][] = [
  ["tAbandon", "abandoned"],
  ["tFlowOut", "flowout"],
  ["tAnswered", "answered"],
];

export function eventsFromDetails(conv: DetailsConversation, accept: (queueId: string) => boolean = () => true): QueueEvent[] {
  if (!isObject(conv)) return [];
  const id = str(conv.conversationId);
  if (id === undefined) return [];
  const participants = list<{ participantId?: unknown; purpose?: unknown; sessions?: unknown }>(conv.participants);
  // The caller: `customer`/`external`, else an internal caller (a `user` with no queue on its segments).
  const queueless = (p: (typeof participants)[number]) => !list<Session>(p.sessions).some((s) => list<Segment>(s.segments).some((g) => str(g.queueId) !== undefined));
  const caller = participants.find((p) => p.purpose === "customer" || p.purpose === "external") ?? participants.find((p) => p.purpose === "user" && queueless(p));
  const legs: AcdLeg[] = [];
  const agents: AgentConnect[] = [];
  const alerting: AgentAlert[] = [];
  let customerEnd: number | undefined;
  let customerOpen = false;
  for (const p of participants) {
    for (const session of list<Session>(p.sessions)) {
      const segments = list<Segment>(session.segments);
      const metrics = list<Metric>(session.metrics);
      const metric = (name: string) => metrics.find((m) => m.name === name && ms(m.emitDate) !== undefined);
      const queueId = segments.map((s) => str(s.queueId)).find((q) => q !== undefined);
      if (p.purpose === "acd") {
        const pid = str(p.participantId);
        // The wait starts with the first interact segment: a `delay` before it (tens of ms on voice)
        // and a callback's `scheduled` time are not in tAcd, and nOffered is emitted at its start.
        const starts = segments.map((s) => ms(s.segmentStart)).filter((t): t is number => t !== undefined);
        const interactStart = ms(segments.find((s) => type(s) === "interact" && ms(s.segmentStart) !== undefined)?.segmentStart);
        if (pid === undefined || queueId === undefined || starts.length === 0) continue;
        const start = interactStart ?? Math.min(...starts);
        const ends = segments.map((s) => ms(s.segmentEnd));
        const end = ends.every((t) => t !== undefined) ? Math.max(...(ends as number[])) : undefined;
        const last = [...segments].sort((a, b) => (ms(a.segmentStart) ?? 0) - (ms(b.segmentStart) ?? 0)).at(-1);
        const stated = end === undefined ? undefined : STATED.find(([name]) => metric(name) !== undefined)?.[1];
        const mediaType = (str(session.mediaType) ?? "voice").toLowerCase();
        legs.push({ participantId: pid, queueId, mediaType, start, end, disconnectType: str(last?.disconnectType)?.toLowerCase(), stated });
      } else if (p.purpose === "agent" || (p.purpose === "user" && queueId !== undefined)) {
        // (A `user` without a queue is an internal caller, not an agent.)
        const interact = segments.find((s) => type(s) === "interact" && ms(s.segmentStart) !== undefined);
        const at = ms(metric("tAnswered")?.emitDate) ?? ms(interact?.segmentStart);
        if (at !== undefined) agents.push({ queueId, at });
        else {
          // An alert segment still open: the agent may yet answer.
          const open = segments.find((s) => type(s) === "alert" && ms(s.segmentStart) !== undefined && s.segmentEnd === undefined);
          if (open) alerting.push({ queueId, since: ms(open.segmentStart)! });
        }
      } else if (p === caller) {
        for (const s of segments) {
          // A scheduled callback is a request, not a presence.
          if (type(s) === "scheduled") continue;
          const e = ms(s.segmentEnd);
          if (e === undefined) customerOpen = true;
          else customerEnd = Math.max(customerEnd ?? e, e);
        }
      }
    }
  }
  return visitEvents(id, legs, agents, { endedAt: customerOpen ? undefined : customerEnd }, accept, alerting);
}
