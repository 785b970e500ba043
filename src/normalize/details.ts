/**
 * Analytics conversation details (details query pages) -> the same QueueEvents, with the same
 * identities, as the live snapshots give. Pure.
 *
 * Per acd participant session: offered at its interact segment's start (nOffered); the outcome
 * from metrics when present (tAbandon, tFlowOut on the acd session; tAnswered on the acd session
 * or on the agent session whose emitDate is the acd segment's end: the captured payloads put it
 * on the agent), otherwise from the segments (an agent interact segment starting when the acd
 * segment ended is an answer; a "peer" disconnect or the customer leaving is an abandon; else a
 * flow-out). Either placement of tAnswered works.
 */
import { ms } from "./time.js";
import type { QueueEvent } from "../domain/queue-event.js";

interface Metric {
  name?: string;
  value?: number;
  emitDate?: string;
}
interface Segment {
  segmentStart?: string;
  segmentEnd?: string;
  segmentType?: string;
  queueId?: string;
  disconnectType?: string;
}
interface Session {
  mediaType?: string;
  segments?: Segment[];
  metrics?: Metric[];
}
interface Participant {
  participantId?: string;
  purpose?: string;
  sessions?: Session[];
}
export interface DetailsConversation {
  conversationId?: string;
  participants?: Participant[];
}

export function eventsFromDetails(conv: DetailsConversation, accept: (queueId: string) => boolean = () => true): QueueEvent[] {
  if (!conv || typeof conv.conversationId !== "string" || !Array.isArray(conv.participants)) return [];
  const out: QueueEvent[] = [];
  const participants = conv.participants.filter((p) => p && Array.isArray(p.sessions));
  const customer = participants.find((p) => p.purpose === "customer" || p.purpose === "external");
  const customerEnd = customer?.sessions?.flatMap((s) => s.segments ?? []).reduce<number | undefined>((max, seg) => {
    const e = ms(seg.segmentEnd);
    return e === undefined ? max : Math.max(max ?? e, e);
  }, undefined);
  const customerOpen = customer?.sessions?.some((s) => (s.segments ?? []).some((seg) => seg.segmentEnd === undefined));
  const agentSessions = participants.filter((p) => p.purpose === "agent" || p.purpose === "user").flatMap((p) => p.sessions!);
  for (const p of participants) {
    if (p.purpose !== "acd" || typeof p.participantId !== "string") continue;
    for (const session of p.sessions!) {
      const seg = (session.segments ?? []).find((s) => typeof s.queueId === "string" && (s.segmentType ?? "interact") === "interact");
      if (!seg || !accept(seg.queueId!)) continue;
      const metrics = session.metrics ?? [];
      const start = ms(seg.segmentStart) ?? ms(metrics.find((m) => m.name === "nOffered")?.emitDate);
      if (start === undefined) continue;
      const base = { queueId: seg.queueId!, mediaType: (session.mediaType ?? "voice").toLowerCase(), conversationId: conv.conversationId, participantId: p.participantId };
      out.push({ ...base, kind: "offered", time: start });
      const end = ms(seg.segmentEnd);
      const metric = (name: string) => metrics.find((m) => m.name === name && typeof m.value === "number" && ms(m.emitDate) !== undefined);
      const abandon = metric("tAbandon");
      const flow = metric("tFlowOut");
      const answeredHere = metric("tAnswered");
      if (abandon) {
        out.push({ ...base, kind: "abandoned", time: ms(abandon.emitDate)!, waitMs: abandon.value! });
        continue;
      }
      if (flow) {
        out.push({ ...base, kind: "flowout", time: ms(flow.emitDate)!, waitMs: flow.value! });
        continue;
      }
      if (answeredHere) {
        out.push({ ...base, kind: "answered", time: ms(answeredHere.emitDate)!, waitMs: answeredHere.value! });
        continue;
      }
      // tAnswered on the agent session that picked this leg up.
      let answer: { time: number; wait: number } | undefined;
      for (const a of agentSessions) {
        const aSegs = a.segments ?? [];
        if (!aSegs.some((s) => s.queueId === undefined || s.queueId === seg.queueId)) continue;
        const m = (a.metrics ?? []).find((x) => x.name === "tAnswered" && typeof x.value === "number");
        const at = ms(m?.emitDate);
        if (m && at !== undefined && at >= start && (end === undefined || at === end)) {
          answer = { time: at, wait: m.value! };
          break;
        }
        const interact = aSegs.find((s) => s.segmentType === "interact" && ms(s.segmentStart) !== undefined);
        const iStart = ms(interact?.segmentStart);
        if (!m && iStart !== undefined && end !== undefined && iStart === end) answer = { time: iStart, wait: iStart - start };
      }
      if (answer) {
        out.push({ ...base, kind: "answered", time: answer.time, waitMs: answer.wait });
        continue;
      }
      if (end === undefined) continue;
      const customerLeft = !customerOpen && customerEnd !== undefined && customerEnd <= end;
      const kind = customerLeft || seg.disconnectType === "peer" ? "abandoned" : "flowout";
      out.push({ ...base, kind, time: end, waitMs: end - start });
    }
  }
  return out;
}
