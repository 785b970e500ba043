/**
 * Renders simulator state in Genesys Cloud's wire shapes (genesys-api.md §3a, §4a):
 * conversation snapshots for `v2.routing.queues.{id}.conversations`, and analytics conversation
 * details for the details query. Both are rendered from the same participant records, so the
 * two paths can never disagree about a time.
 */
import type { SimConversation, SimParticipant } from "./simulator/simulator.js";

const mediaKey: Record<string, string> = {
  voice: "calls",
  callback: "callbacks",
  chat: "chats",
  email: "emails",
  message: "messages",
};

const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

/** Drops undefined fields, as the real API omits unset ones. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The notification `eventBody` for a conversation in the given state. */
export function conversationSnapshot(conv: SimConversation, participants: SimParticipant[]): Record<string, unknown> {
  const key = mediaKey[conv.mediaType] ?? "calls";
  return {
    id: conv.id,
    maxParticipants: participants.length,
    participants: participants.map((p) =>
      clean({
        id: p.id,
        connectedTime: iso(p.connectedTime),
        endTime: iso(p.endTime),
        userId: p.userId,
        name: p.name,
        queueId: p.queueId,
        purpose: p.purpose,
        address: p.purpose === "customer" ? conv.ani : undefined,
        wrapupRequired: false,
        wrapupExpected: false,
        attributes: {},
        [key]: [
          clean({
            id: p.sessionId,
            state: p.state,
            initialState: p.purpose === "agent" ? "alerting" : "connected",
            direction: "inbound",
            disconnectType: p.disconnectType,
            connectedTime: iso(p.connectedTime),
            disconnectedTime: iso(p.endTime),
            provider: "Edge",
            held: false,
          }),
        ],
      }),
    ),
    recordingState: "none",
    divisions: [],
  };
}

interface Metric {
  name: string;
  value: number;
  emitDate: string;
}

/** Analytics details (`AnalyticsConversation`) for a conversation as it stood in `participants`. */
export function conversationDetails(conv: SimConversation, participants: SimParticipant[], end?: number): Record<string, unknown> {
  return clean({
    conversationId: conv.id,
    conversationStart: iso(conv.start),
    conversationEnd: iso(end),
    originatingDirection: "inbound",
    participants: participants.map((p) => {
      const segments: Record<string, unknown>[] = [];
      const metrics: Metric[] = [];
      const metric = (name: string, value: number, at: number) => metrics.push({ name, value, emitDate: iso(at)! });
      if (p.purpose === "agent") {
        const alertEnd = p.connectedTime ?? p.endTime;
        segments.push(
          clean({ segmentStart: iso(p.startTime), segmentEnd: iso(alertEnd), segmentType: "alert", queueId: p.queueId }),
        );
        if (alertEnd !== undefined) metric("tAlert", alertEnd - p.startTime, alertEnd);
        if (p.connectedTime !== undefined) {
          segments.push(
            clean({
              segmentStart: iso(p.connectedTime),
              segmentEnd: iso(p.endTime),
              segmentType: "interact",
              queueId: p.queueId,
              disconnectType: p.disconnectType,
            }),
          );
          // tAnswered sits on the agent's session, as in captured payloads; its value is the queue wait.
          const acd = participants.find((a) => a.purpose === "acd" && a.queueId === p.queueId && a.endTime === p.connectedTime);
          if (acd) metric("tAnswered", p.connectedTime - acd.connectedTime!, p.connectedTime);
        } else if (p.endTime !== undefined && p.disconnectType === "transfer.noanswer") {
          metric("tNotResponding", p.endTime - p.startTime, p.endTime);
        }
      } else {
        segments.push(
          clean({
            segmentStart: iso(p.startTime),
            segmentEnd: iso(p.endTime),
            segmentType: "interact",
            queueId: p.queueId,
            disconnectType: p.disconnectType,
          }),
        );
      }
      if (p.purpose === "acd") {
        metric("nOffered", 1, p.startTime);
        if (p.endTime !== undefined && p.waitMs !== undefined) {
          metric("tAcd", p.waitMs, p.endTime);
          if (p.outcome === "abandoned") metric("tAbandon", p.waitMs, p.endTime);
          if (p.outcome === "flowout") metric("tFlowOut", p.waitMs, p.endTime);
        }
      }
      return clean({
        participantId: p.id,
        participantName: p.name,
        purpose: p.purpose,
        userId: p.userId,
        sessions: [
          {
            sessionId: p.sessionId,
            mediaType: conv.mediaType,
            direction: "inbound",
            ani: conv.ani,
            provider: "Edge",
            segments,
            metrics,
          },
        ],
      });
    }),
  });
}
