/** `GET /api/v2/routing/queues` and `/{id}` with Genesys' paging and name wildcards (§5). */
import type { SimQueue } from "./simulator/simulator.js";
import { HttpError, json, type Reply, type Request } from "./http.js";

const mediaSettingsKey: Record<string, string> = { voice: "call", callback: "callback", chat: "chat", email: "email", message: "message" };

/** `members`: the queue's member users (all joined; logged on or not). */
export function queueEntity(q: SimQueue, base: string, members: number): Record<string, unknown> {
  const mediaSettings: Record<string, unknown> = {};
  for (const media of ["voice", "callback", "chat", "email", "message"]) {
    mediaSettings[mediaSettingsKey[media]] = {
      alertingTimeoutSeconds: 8,
      enableAutoAnswer: false,
      serviceLevel: { percentage: q.spec.serviceLevel.percentage, durationMs: q.spec.serviceLevel.durationMs },
    };
  }
  return {
    id: q.id,
    name: q.name,
    division: { id: q.divisionId, name: q.divisionName, selfUri: `/api/v2/authorization/divisions/${q.divisionId}` },
    description: `${q.name} (emulated)`,
    dateCreated: "2024-01-01T00:00:00.000Z",
    memberCount: members,
    userMemberCount: members,
    joinedMemberCount: members,
    mediaSettings,
    acwSettings: { wrapupPrompt: "OPTIONAL" },
    skillEvaluationMethod: "BEST",
    selfUri: `${base}/${q.id}`,
  };
}

/** Genesys allows leading and trailing asterisks in `name`; matching is case-insensitive. */
function nameMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  const lead = p.startsWith("*");
  const trail = p.endsWith("*") && p.length > 1;
  const core = p.replace(/^\*/, "").replace(/\*$/, "");
  if (lead && trail) return n.includes(core);
  if (lead) return n.endsWith(core);
  if (trail) return n.startsWith(core);
  return n === core;
}

function positiveInt(v: string | null, name: string, dflt: number, max: number): number {
  if (v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, "bad.request", `${name} must be an integer 1..${max}, got ${v}`);
  return n;
}

export function listQueues(queues: SimQueue[], req: Request, members: (queueId: string) => number): Reply {
  const pageSize = positiveInt(req.query.get("pageSize"), "pageSize", 25, 500);
  const pageNumber = positiveInt(req.query.get("pageNumber"), "pageNumber", 1, 1_000_000);
  const name = req.query.get("name");
  const ids = req.query.getAll("id");
  const divisions = req.query.getAll("divisionId");
  let matched = queues.filter(
    (q) => (!name || nameMatches(name, q.name)) && (ids.length === 0 || ids.includes(q.id)) && (divisions.length === 0 || divisions.includes(q.divisionId)),
  );
  matched = [...matched].sort((a, b) => a.name.localeCompare(b.name));
  if (req.query.get("sortOrder") === "desc") matched.reverse();
  const total = matched.length;
  const pageCount = Math.ceil(total / pageSize);
  const base = "/api/v2/routing/queues";
  const page = matched.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  const uri = (n: number) => `${base}?pageNumber=${n}&pageSize=${pageSize}`;
  return json(200, {
    entities: page.map((q) => queueEntity(q, base, members(q.id))),
    pageSize,
    pageNumber,
    total,
    pageCount,
    firstUri: uri(1),
    selfUri: uri(pageNumber),
    lastUri: uri(Math.max(pageCount, 1)),
    ...(pageNumber < pageCount ? { nextUri: uri(pageNumber + 1) } : {}),
    ...(pageNumber > 1 ? { previousUri: uri(pageNumber - 1) } : {}),
  });
}

export function getQueue(queues: SimQueue[], id: string, members: (queueId: string) => number): Reply {
  const q = queues.find((x) => x.id === id);
  if (!q) throw new HttpError(404, "not.found", `queue ${id} not found`);
  return json(200, queueEntity(q, "/api/v2/routing/queues", members(q.id)));
}
