/**
 * The queues Genesys has (GET /api/v2/routing/queues, page by page), read defensively, and the
 * ones the selection picks (src/select/queue-selector.ts).
 */
import type { QueueInfo } from "../../aggregate/engine.js";
import type { QueueSelector } from "../../select/queue-selector.js";
import type { GenesysClient } from "./client.js";

export interface MonitoredQueue extends QueueInfo {
  id: string;
  divisionId?: string;
  divisionName?: string;
}

const MEDIA_OF_SETTING: Record<string, string> = { call: "voice", callback: "callback", chat: "chat", email: "email", message: "message" };

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 && v.length <= 500 ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
/** Queue ids go into topic names: letters, digits and dashes only (a UUID on the real service). */
const QUEUE_ID = /^[A-Za-z0-9-]{1,64}$/;

/** A queue entity from the API (untrusted) -> a queue to monitor, or null when it is not readable. */
export function toMonitored(entity: unknown): MonitoredQueue | null {
  const e = obj(entity);
  const id = str(e?.id);
  const name = str(e?.name);
  if (!e || !id || !name || !QUEUE_ID.test(id)) return null;
  const serviceLevels: QueueInfo["serviceLevels"] = {};
  for (const [key, settings] of Object.entries(obj(e.mediaSettings) ?? {})) {
    const sl = obj(obj(settings)?.serviceLevel);
    const media = Object.prototype.hasOwnProperty.call(MEDIA_OF_SETTING, key) ? MEDIA_OF_SETTING[key] : undefined;
    const percentage = sl?.percentage;
    const durationMs = sl?.durationMs;
    if (media && typeof percentage === "number" && percentage >= 0 && percentage <= 1 && typeof durationMs === "number" && Number.isFinite(durationMs) && durationMs > 0) {
      serviceLevels[media] = { percentage, durationMs };
    }
  }
  const division = obj(e.division);
  return { id, name, divisionId: str(division?.id), divisionName: str(division?.name), serviceLevels };
}

export async function discoverQueues(client: GenesysClient, sel: QueueSelector): Promise<MonitoredQueue[]> {
  const out = new Map<string, MonitoredQueue>();
  for (let page = 1; page <= 1000; page++) {
    const res = await client.call<unknown>("GET", `/api/v2/routing/queues?pageSize=100&pageNumber=${page}`);
    const body = obj(res.body);
    const entities = Array.isArray(body?.entities) ? (body.entities as unknown[]) : [];
    for (const e of entities) {
      const q = toMonitored(e);
      // A queue can show on two pages when the list shifts while we page: keep one.
      if (q && sel.matches(q)) out.set(q.id, q);
    }
    const pageCount = body?.pageCount;
    if (typeof pageCount !== "number" || !Number.isFinite(pageCount) || page >= pageCount) break;
  }
  return [...out.values()];
}
