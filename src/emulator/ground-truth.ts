/**
 * GET /emulator/ground-truth: what really happened, from the simulator's QueueEvents: counts per
 * queue x media (offered, answered, abandoned, flowout) and every answered and abandoned wait.
 * With `?visits=1` also every queue visit of the window (visits.ts) and each live queue's agents
 * now, for scoring wait predictions.
 */
import { HttpError } from "./http.js";
import type { Simulator } from "./simulator/simulator.js";
import type { VisitLog } from "./visits.js";

export interface TruthGroup {
  queueId: string;
  mediaType: string;
  counts: Record<string, number>;
  waitsMs: { answered: number[]; abandoned: number[] };
}

export function groundTruth(sim: Simulator, now: number): Record<string, unknown> {
  const groups = new Map<string, TruthGroup>();
  for (const e of sim.events) {
    const key = `${e.queueId}/${e.mediaType}`;
    let g = groups.get(key);
    if (!g) {
      g = { queueId: e.queueId, mediaType: e.mediaType, counts: { offered: 0, answered: 0, abandoned: 0, flowout: 0 }, waitsMs: { answered: [], abandoned: [] } };
      groups.set(key, g);
    }
    g.counts[e.kind]++;
    if (e.kind === "answered" || e.kind === "abandoned") g.waitsMs[e.kind].push(e.waitMs!);
  }
  return { now: new Date(now).toISOString(), settled: sim.settled, open: sim.open, queues: [...groups.values()] };
}

/** `?visits=`: 1 / true adds visits and agents, 0 / false (or none) does not; anything else is refused. */
export function wantsVisits(value: string | null): boolean {
  if (value === null || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw new HttpError(400, "bad.request", `visits must be 1, true, 0 or false, got ${JSON.stringify(value)}`);
}

/** The ground truth's visit fields: the window's visits, how many were dropped for age, and the agents now. */
export function visitTruth(sim: Simulator, visits: VisitLog): Record<string, unknown> {
  return {
    visitWindowHours: visits.windowMs / 3_600_000,
    visitsDropped: visits.dropped,
    visits: visits.render(),
    agents: sim.queues.map((q) => {
      const f = sim.agentFigures(q.id);
      return { queueId: q.id, members: f.members, active: f.active, onQueue: f.onQueue, idle: f.idle, interacting: f.interacting, communicating: f.communicating, notResponding: f.notResponding, offQueue: f.offQueue };
    }),
  };
}
