/**
 * GET /emulator/ground-truth: what really happened, from the simulator's QueueEvents: counts per
 * queue x media (offered, answered, abandoned, flowout) and every answered and abandoned wait.
 */
import type { Simulator } from "./simulator/simulator.js";

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
