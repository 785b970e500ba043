/**
 * One SQS message body read as a Genesys Cloud event delivered by Amazon EventBridge
 * (genesys-api.md §7): the EventBridge envelope
 *
 *   {"version":"0","id","detail-type": <topic template>, "source":"aws.partner/genesys.com/cloud/<org>/<suffix>",
 *    "account","time","region","resources":[], "detail": <the WebSocket notification>}
 *
 * whose `detail` is the same `{topicName, version, eventBody, metadata:{CorrelationId}}` the
 * WebSocket carries. The reader is pure and total: any input gives a frame (the shape the
 * WebSocket channel hands on) or a refusal naming what is wrong, never a throw, so the consumer
 * can count each kind of bad message and leave it to the queue's dead-letter policy.
 */
import type { Frame } from "../genesys/stream/topics.js";
import { ms } from "../../normalize/time.js";
import { excerpt } from "../../util/redact.js";

/** Every Genesys partner event source starts so (`aws.partner/genesys.com/cloud/<orgId>/<suffix>`). */
export const GENESYS_SOURCE_PREFIX = "aws.partner/genesys.com/";

/** A notification as the monitor ingests it, with what the envelope adds. */
export interface EventBridgeFrame extends Frame {
  /** `detail.metadata.CorrelationId` (or `correlationId`), when present. */
  correlationId?: string;
  /** The envelope's `time` (when EventBridge took the event; whole seconds) as epoch ms. */
  eventTime?: number;
}

export const refusalKinds = ["not-json", "not-an-envelope", "bare-notification", "not-genesys", "other-org", "no-detail", "no-topic"] as const;
export type RefusalKind = (typeof refusalKinds)[number];

export interface Refusal {
  kind: RefusalKind;
  /** What was found, for the log: field names and a short redacted excerpt. */
  reason: string;
}

export type EnvelopeReading = { ok: true; frame: EventBridgeFrame } | { ok: false; refusal: Refusal };

export interface EnvelopeOptions {
  /** When set, events of any other Genesys organization are refused (`other-org`). */
  orgId?: string;
}

const refuse = (kind: RefusalKind, reason: string): EnvelopeReading => ({ ok: false, refusal: { kind, reason } });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The organization id in a Genesys event source, or undefined when the source has another form. */
export function orgIdOf(source: string): string | undefined {
  if (!source.startsWith(`${GENESYS_SOURCE_PREFIX}cloud/`)) return undefined;
  const org = source.slice(GENESYS_SOURCE_PREFIX.length + "cloud/".length).split("/")[0];
  return org === "" ? undefined : org;
}

/** Reads one SQS message body; see the module comment. */
export function readEnvelope(body: string, options: EnvelopeOptions = {}): EnvelopeReading {
  let msg: unknown;
  try {
    msg = JSON.parse(body);
  } catch {
    return refuse("not-json", `body is not JSON: ${excerpt(body, 120)}`);
  }
  if (!isObject(msg)) return refuse("not-an-envelope", `body is JSON but not an object: ${excerpt(body, 120)}`);
  const source = msg.source;
  if (typeof source !== "string" || typeof msg["detail-type"] !== "string") {
    // A rule with an input transformer (InputPath "$.detail") sends the notification alone:
    // readable, but without `source` nothing says it comes from Genesys.
    if (typeof msg.topicName === "string") return refuse("bare-notification", `a notification without its EventBridge envelope (topicName ${excerpt(msg.topicName, 120)}): send the whole event to the queue, not $.detail`);
    return refuse("not-an-envelope", `no string "source" and "detail-type": ${excerpt(body, 120)}`);
  }
  if (!source.startsWith(GENESYS_SOURCE_PREFIX)) return refuse("not-genesys", `source ${excerpt(source, 120)} does not start with ${GENESYS_SOURCE_PREFIX}`);
  if (options.orgId !== undefined) {
    const org = orgIdOf(source);
    if (org !== options.orgId) return refuse("other-org", `source ${excerpt(source, 120)} is not organization ${options.orgId}`);
  }
  const detail = msg.detail;
  if (!isObject(detail)) return refuse("no-detail", `"detail" is ${detail === undefined ? "missing" : `not an object: ${excerpt(detail, 120)}`}`);
  const topicName = detail.topicName;
  if (typeof topicName !== "string" || topicName === "") return refuse("no-topic", `detail.topicName is ${topicName === undefined ? "missing" : excerpt(topicName, 60)} (detail-type ${excerpt(msg["detail-type"], 120)})`);
  const frame: EventBridgeFrame = { topicName, eventBody: detail.eventBody };
  const meta = detail.metadata;
  if (isObject(meta)) {
    const id = meta.CorrelationId ?? meta.correlationId;
    if (typeof id === "string" && id !== "") frame.correlationId = id;
  }
  const time = ms(msg.time);
  if (time !== undefined) frame.eventTime = time;
  return { ok: true, frame };
}
