/**
 * A PagerDuty Events API v2 receiver (export-and-paging.md, PagerDuty section): validates events as
 * the real endpoint does, answers 202 / 400 / 429, and records what it accepted.
 * It also models PagerDuty's dedup into incidents (a trigger for a key
 * with an open incident joins it; a resolve closes it; a resolve for no open incident changes
 * nothing) and can be told to refuse the next events (503 / 429) to test delivery.
 */
import { randomUUID } from "node:crypto";
import { json, type Reply } from "./http.js";

const SEVERITIES = new Set(["critical", "error", "warning", "info"]);
const ACTIONS = new Set(["trigger", "acknowledge", "resolve"]);

export interface AcceptedEvent {
  receivedAt: string;
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload?: Record<string, unknown>;
}

export interface Incident {
  id: string;
  dedup_key: string;
  status: "triggered" | "resolved";
  createdAt: string;
  resolvedAt: string | null;
  /** Trigger events that joined this incident (the first one included). */
  triggers: number;
}

export class PagerDutyReceiver {
  readonly accepted: AcceptedEvent[] = [];
  readonly incidents: Incident[] = [];
  /** Injected refusals, consumed one per enqueue call in order. */
  private faults: { status: number; retryAfter?: string }[] = [];
  /** Refusals answered so far, by status. */
  readonly refused: Record<string, number> = {};
  private readonly recent = new Map<string, number[]>();

  /** @param perMinute events per routing key per 60 s before 429 (PagerDuty: about 120). */
  constructor(private readonly perMinute = 120) {}

  /** POST /emulator/pagerduty/faults {status: 429|500|502|503|504, count, retryAfterSeconds?}: the next `count` events are refused. */
  fault(body: unknown): Reply {
    const f = (body ?? {}) as { status?: unknown; count?: unknown; retryAfterSeconds?: unknown };
    const status = Number(f.status);
    const count = Number(f.count ?? 1);
    if (!(status === 429 || (status >= 500 && status <= 599)) || !Number.isInteger(count) || count < 1 || count > 1000) {
      return json(400, { error: "expected {status: 429 or 5xx, count: 1..1000, retryAfterSeconds?}" });
    }
    const retryAfter = f.retryAfterSeconds === undefined ? undefined : String(Number(f.retryAfterSeconds));
    for (let i = 0; i < count; i++) this.faults.push({ status, ...(retryAfter === undefined ? {} : { retryAfter }) });
    return json(200, { queued: this.faults.length });
  }

  enqueue(body: unknown): Reply {
    const fault = this.faults.shift();
    if (fault) {
      this.refused[fault.status] = (this.refused[fault.status] ?? 0) + 1;
      return json(fault.status, { status: "unavailable", message: "injected fault", errors: [] }, fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter });
    }
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      return json(400, { status: "Unrecognized object", message: "Event object format is unrecognized", errors: ["JSON parse error"] });
    }
    const e = body as Record<string, unknown>;
    const errors: string[] = [];
    if (typeof e.routing_key !== "string" || e.routing_key.length !== 32) errors.push("'routing_key' must be a 32-character string");
    if (typeof e.event_action !== "string" || !ACTIONS.has(e.event_action)) errors.push("'event_action' must be one of trigger, acknowledge, resolve");
    if (e.dedup_key !== undefined && (typeof e.dedup_key !== "string" || e.dedup_key.length > 255)) errors.push("'dedup_key' must be a string of at most 255 characters");
    if (e.event_action !== "trigger" && e.event_action !== undefined && typeof e.dedup_key !== "string") errors.push("'dedup_key' is required for acknowledge and resolve");
    const payload = e.payload as Record<string, unknown> | undefined;
    if (e.event_action === "trigger") {
      if (!payload || typeof payload !== "object") errors.push("'payload' is missing or not an object");
      else {
        if (typeof payload.summary !== "string" || payload.summary.length === 0 || payload.summary.length > 1024) errors.push("'payload.summary' is required (at most 1024 characters)");
        if (typeof payload.source !== "string" || payload.source.length === 0) errors.push("'payload.source' is required");
        if (typeof payload.severity !== "string" || !SEVERITIES.has(payload.severity)) errors.push("'payload.severity' must be critical, error, warning or info");
      }
    }
    if (errors.length > 0) return json(400, { status: "invalid event", message: "Event object is invalid", errors });
    const key = e.routing_key as string;
    const now = Date.now();
    const window = (this.recent.get(key) ?? []).filter((t) => t > now - 60_000);
    if (window.length >= this.perMinute) {
      this.recent.set(key, window);
      return json(429, { status: "throttle event", message: "Requests for this service are arriving too quickly. Please retry later." });
    }
    window.push(now);
    this.recent.set(key, window);
    const dedup = (e.dedup_key as string | undefined) ?? randomUUID().replaceAll("-", "");
    this.accepted.push({ receivedAt: new Date(now).toISOString(), routing_key: key, event_action: e.event_action as string, dedup_key: dedup, ...(payload ? { payload } : {}) });
    const open = this.incidents.find((i) => i.dedup_key === dedup && i.status === "triggered");
    if (e.event_action === "trigger") {
      if (open) open.triggers++;
      else this.incidents.push({ id: randomUUID(), dedup_key: dedup, status: "triggered", createdAt: new Date(now).toISOString(), resolvedAt: null, triggers: 1 });
    } else if (e.event_action === "resolve" && open) {
      open.status = "resolved";
      open.resolvedAt = new Date(now).toISOString();
    }
    return json(202, { status: "success", message: "Event processed", dedup_key: dedup });
  }
}
