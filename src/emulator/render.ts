/**
 * Renders simulator state in Genesys Cloud's wire shapes (genesys-api.md §3a, §4a, §10):
 * conversation snapshots for `v2.routing.queues.{id}.conversations`, and analytics conversation
 * details for the details query. Both are rendered from the same participant records, so the
 * two paths never disagree about a time; where the real service shows two readings of one fact
 * (which side disconnected, the agent connect vs the acd end), the simulator already chose one.
 */
import type { SimConversation, SimParticipant, SimSession } from "./simulator/simulator.js";

const mediaKey: Record<string, string> = {
  voice: "calls",
  callback: "callbacks",
  chat: "chats",
  email: "emails",
  message: "messages",
};

/**
 * Provider per media type. "Edge" is voice only. Seen in captured payloads: "PureCloud Messaging"
 * (details of a web messaging conversation, 2024), "PureCloud Webchat v2" (chat snapshots and
 * details, 2021) and "Webchat Provider" (chat details in Genesys' conversation-model-to-sql
 * blueprint), so chats vary between the two. "PureCloud Email" and "PureCloud Callback" are values
 * of the SDK's provider enum (Email also in API calls creating emails); not seen in a captured
 * analytics payload.
 */
function provider(conv: SimConversation): string {
  switch (conv.mediaType) {
    case "voice":
      return "Edge";
    case "message":
      return "PureCloud Messaging";
    case "email":
      return "PureCloud Email";
    case "callback":
      return "PureCloud Callback";
    default:
      return conv.id.charCodeAt(0) % 2 === 0 ? "PureCloud Webchat v2" : "Webchat Provider";
  }
}

const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

/** Drops undefined fields, as the real API omits unset ones. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** Participant-level times: first connect, and the end once every session has ended. */
function participantTimes(p: SimParticipant): { connectedTime?: number; endTime?: number } {
  const connected = p.sessions.map((s) => s.connectedTime).filter((t): t is number => t !== undefined);
  const ended = p.sessions.length > 0 && p.sessions.every((s) => s.endTime !== undefined);
  return {
    connectedTime: connected.length > 0 ? Math.min(...connected) : undefined,
    endTime: ended ? Math.max(...p.sessions.map((s) => s.endTime!)) : undefined,
  };
}

/** Callback facts carried by callback communications / sessions. */
function callbackFields(conv: SimConversation, p: SimParticipant): Record<string, unknown> {
  return {
    callbackNumbers: [conv.ani.replace(/^tel:/, "")],
    callbackUserName: conv.participants[0]?.name ?? p.name,
    callbackScheduledTime: iso(conv.start),
    skipEnabled: false,
    timeoutSeconds: 0,
  };
}

/** The notification `eventBody` for a conversation in the given state. */
export function conversationSnapshot(conv: SimConversation, participants: SimParticipant[]): Record<string, unknown> {
  const key = mediaKey[conv.mediaType] ?? "calls";
  const callback = conv.mediaType === "callback";
  const prov = provider(conv);
  const customerSession = participants[0]?.sessions[0]?.id;
  return {
    id: conv.id,
    maxParticipants: participants.length,
    participants: participants.map((p) => {
      const times = participantTimes(p);
      return clean({
        id: p.id,
        connectedTime: iso(times.connectedTime),
        endTime: iso(times.endTime),
        userId: p.userId,
        name: p.name,
        queueId: p.queueId,
        purpose: p.purpose,
        address: p.purpose === "customer" ? conv.ani : undefined,
        wrapupRequired: false,
        wrapupExpected: false,
        attributes: {},
        // One communication per session: an agent alerted twice shows two.
        [key]: p.sessions.map((s) =>
          clean({
            id: s.id,
            state: s.state,
            initialState: p.purpose === "agent" ? "alerting" : callback && p.purpose === "customer" ? "scheduled" : "connected",
            direction: "inbound",
            disconnectType: s.disconnectType,
            connectedTime: iso(s.connectedTime),
            disconnectedTime: iso(s.endTime),
            provider: prov,
            peerId: p.purpose === "customer" ? undefined : customerSession,
            held: false,
            ...(callback && (p.purpose === "customer" || p.purpose === "agent") ? callbackFields(conv, p) : {}),
          }),
        ),
      });
    }),
    recordingState: "none",
    divisions: [],
  };
}

interface Metric {
  name: string;
  value: number;
  emitDate: string;
}

function sessionMetrics(p: SimParticipant, s: SimSession): Metric[] {
  const metrics: Metric[] = [];
  const metric = (name: string, value: number, at: number) => metrics.push({ name, value, emitDate: iso(at)! });
  switch (p.purpose) {
    case "customer":
      metric("nConnected", 1, s.startTime);
      if (s.endTime !== undefined) metric("tConnected", s.endTime - s.startTime, s.endTime);
      break;
    case "ivr":
    case "workflow":
      metric("nFlow", 1, s.startTime);
      if (s.endTime !== undefined) {
        if (p.purpose === "ivr") metric("tIvr", s.endTime - s.startTime, s.endTime);
        metric("tFlow", s.endTime - s.startTime, s.endTime);
        metric("tFlowExit", s.endTime - s.startTime, s.endTime);
      }
      break;
    case "acd": {
      // nOffered at the interact start: a leading delay is not in the queue wait (published details).
      const first = s.segments.find((g) => g.type === "interact")?.start ?? s.startTime;
      metric("nOffered", 1, first);
      if (s.endTime !== undefined && s.waitMs !== undefined) {
        metric("tAcd", s.waitMs, s.endTime);
        if (s.outcome === "abandoned") metric("tAbandon", s.waitMs, s.endTime);
        if (s.outcome === "flowout") metric("tFlowOut", s.waitMs, s.endTime);
      }
      break;
    }
    case "agent": {
      const alert = s.segments.find((g) => g.type === "alert");
      if (alert?.end !== undefined) metric("tAlert", alert.end - alert.start, alert.end);
      // tAnswered sits on the agent's session (captured payloads); its value is the acd leg's wait.
      if (s.answered) metric("tAnswered", s.answered.value, s.answered.emitAt);
      if (s.noAnswer && s.endTime !== undefined) metric("tNotResponding", s.endTime - s.startTime, s.endTime);
      break;
    }
    default:
      break;
  }
  return metrics.sort((a, b) => a.emitDate.localeCompare(b.emitDate));
}

/** Analytics details (`AnalyticsConversation`) for a conversation as it stood in `participants`. */
export function conversationDetails(conv: SimConversation, participants: SimParticipant[], end?: number): Record<string, unknown> {
  const prov = provider(conv);
  const callback = conv.mediaType === "callback";
  const customerSession = participants[0]?.sessions[0]?.id;
  return clean({
    conversationId: conv.id,
    conversationStart: iso(conv.start),
    conversationEnd: iso(end),
    originatingDirection: "inbound",
    participants: participants.map((p) =>
      clean({
        participantId: p.id,
        participantName: p.name,
        purpose: p.purpose,
        userId: p.userId,
        sessions: p.sessions.map((s) =>
          clean({
            sessionId: s.id,
            mediaType: conv.mediaType,
            direction: "inbound",
            ani: conv.mediaType === "voice" || callback ? conv.ani : undefined,
            provider: prov,
            peerId: p.purpose === "customer" ? undefined : customerSession,
            flowInType: s.flowInType,
            requestedRoutings: p.purpose === "acd" || p.purpose === "agent" ? ["Standard"] : undefined,
            ...(callback && p.purpose === "customer" ? callbackFields(conv, p) : {}),
            flow: s.flow
              ? clean({
                  flowId: s.flow.flowId,
                  flowName: s.flow.flowName,
                  flowType: s.flow.flowType,
                  exitReason: s.endTime !== undefined ? "TRANSFER" : undefined,
                  transferType: s.endTime !== undefined ? "ACD" : undefined,
                  transferTargetAddress: s.endTime !== undefined ? s.flow.transferTargetAddress : undefined,
                  transferTargetName: s.endTime !== undefined ? s.flow.transferTargetName : undefined,
                })
              : undefined,
            segments: s.segments.map((g) =>
              clean({
                conference: false,
                segmentStart: iso(g.start),
                segmentEnd: iso(g.end),
                segmentType: g.type,
                queueId: g.queueId ?? (p.purpose === "customer" ? p.queueId : undefined),
                disconnectType: g.disconnectType,
              }),
            ),
            metrics: sessionMetrics(p, s),
          }),
        ),
      }),
    ),
  });
}
