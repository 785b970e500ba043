/**
 * Which queues to watch: by id, exact name, name pattern (* and ?) or division (id or name);
 * nothing selected means every queue. Listed page by page from the routing API and re-read
 * periodically so new queues are picked up.
 */
import type { QueueInfo } from "../../aggregate/engine.js";
import type { GenesysClient } from "./client.js";

export interface QueueSelection {
  ids: string[];
  names: string[];
  patterns: string[];
  divisions: string[];
}

export interface MonitoredQueue extends QueueInfo {
  id: string;
  divisionId?: string;
  divisionName?: string;
}

const MEDIA_OF_SETTING: Record<string, string> = { call: "voice", callback: "callback", chat: "chat", email: "email", message: "message" };

function glob(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i");
}

export function selects(sel: QueueSelection, q: { id: string; name: string; divisionId?: string; divisionName?: string }): boolean {
  const any = sel.ids.length + sel.names.length + sel.patterns.length + sel.divisions.length > 0;
  if (!any) return true;
  if (sel.ids.includes(q.id)) return true;
  if (sel.names.some((n) => n.toLowerCase() === q.name.toLowerCase())) return true;
  if (sel.patterns.some((p) => glob(p).test(q.name))) return true;
  return sel.divisions.some((d) => d === q.divisionId || d.toLowerCase() === q.divisionName?.toLowerCase());
}

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

export async function discoverQueues(client: GenesysClient, sel: QueueSelection): Promise<MonitoredQueue[]> {
  const out = new Map<string, MonitoredQueue>();
  for (let page = 1; page <= 1000; page++) {
    const res = await client.call<unknown>("GET", `/api/v2/routing/queues?pageSize=100&pageNumber=${page}`);
    const body = obj(res.body);
    const entities = Array.isArray(body?.entities) ? (body.entities as unknown[]) : [];
    for (const e of entities) {
      const q = toMonitored(e);
      // A queue can show on two pages when the list shifts while we page: keep one.
      if (q && selects(sel, q)) out.set(q.id, q);
    }
    const pageCount = body?.pageCount;
    if (typeof pageCount !== "number" || !Number.isFinite(pageCount) || page >= pageCount) break;
  }
  return [...out.values()];
}
