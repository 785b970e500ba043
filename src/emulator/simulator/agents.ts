/**
 * The agents: each queue's own, some also serving other queues (`alsoServes`), and the queue
 * members by routing status that the queue-level observations report.
 */
import { uuid, type Rng } from "../../util/random.js";
import type { QueueRegistry } from "./queues.js";
import type { Records } from "./records.js";
import type { Agent, QueueRuntime } from "./types.js";

export function createAgents(rt: QueueRuntime, ids: Rng): Agent[] {
  const spec = rt.q.spec;
  return Array.from({ length: spec.agents }, (_, i) => ({ userId: uuid(ids), name: `${spec.name} Agent ${i + 1}`, busy: false, serves: [rt] }));
}

/** `alsoServes`: this queue's own agents also take calls from the named queues (after their own). */
export function linkSharedAgents(rt: QueueRuntime, queues: QueueRegistry): void {
  for (const name of rt.q.spec.alsoServes ?? []) {
    const other = queues.named(name);
    if (!other || other === rt) continue;
    const own = rt.agents.filter((a) => a.serves[0] === rt);
    for (const a of own) {
      a.serves.push(other);
      other.agents.push(a);
    }
  }
}

/** Queue members by routing status (queue-level observations: oMemberUsers, oUserRoutingStatuses). */
export function members(rt: QueueRuntime | undefined): { members: number; idle: number; interacting: number } {
  if (!rt) return { members: 0, idle: 0, interacting: 0 };
  const busy = rt.agents.filter((a) => a.busy).length;
  return { members: rt.agents.length, idle: rt.agents.length - busy, interacting: busy };
}

/** Tells the listeners that `agent` changed state, on every queue it serves. */
export function announceAgent(records: Records, agent: Agent): void {
  if (records.listeners.length === 0) return;
  records.agentsChanged(agent.serves.map((rt) => rt.q.id));
}
