/**
 * Which queues to watch: by id, exact name, name pattern (* and ?) or division (id or name);
 * nothing selected means every queue. Listed page by page from the routing API and re-read
 * periodically so new queues are picked up.
 */
import type { QueueInfo } from "../aggregate/engine.js";
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

interface QueueEntity {
  id?: string;
  name?: string;
  division?: { id?: string; name?: string };
  mediaSettings?: Record<string, { serviceLevel?: { percentage?: number; durationMs?: number } }>;
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

export function toMonitored(e: QueueEntity): MonitoredQueue | null {
  if (typeof e.id !== "string" || typeof e.name !== "string") return null;
  const serviceLevels: QueueInfo["serviceLevels"] = {};
  for (const [key, settings] of Object.entries(e.mediaSettings ?? {})) {
    const sl = settings?.serviceLevel;
    const media = MEDIA_OF_SETTING[key];
    if (media && typeof sl?.percentage === "number" && typeof sl.durationMs === "number") serviceLevels[media] = { percentage: sl.percentage, durationMs: sl.durationMs };
  }
  return { id: e.id, name: e.name, divisionId: e.division?.id, divisionName: e.division?.name, serviceLevels };
}

export async function discoverQueues(client: GenesysClient, sel: QueueSelection): Promise<MonitoredQueue[]> {
  const out: MonitoredQueue[] = [];
  for (let page = 1; page <= 1000; page++) {
    const res = await client.call<{ entities?: QueueEntity[]; pageCount?: number }>("GET", `/api/v2/routing/queues?pageSize=100&pageNumber=${page}`);
    for (const e of res.body?.entities ?? []) {
      const q = toMonitored(e);
      if (q && selects(sel, q)) out.push(q);
    }
    if (!res.body?.pageCount || page >= res.body.pageCount) break;
  }
  return out;
}
