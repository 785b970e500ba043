/**
 * The agents: each queue's own (on all the time, or working a shift), some also serving other
 * queues (`alsoServes`), their routing status, and the queue members by status that the
 * queue-level observations report. A shared agent has one status: busy on one queue's call, it
 * is INTERACTING on every queue it serves.
 */
import { uuid, type Rng } from "../../util/random.js";
import type { Records } from "./records.js";
import type { Agent, QueueRuntime, RoutingStatus } from "./types.js";

/** A queue's agents by presence and routing status (shared agents count on every queue they serve). */
export interface AgentFigures {
  /** Every member of the queue, logged on or not (oMemberUsers). */
  members: number;
  /** Logged on (oActiveUsers). */
  active: number;
  /** Logged on and on queue (oOnQueueUsers): idle + interacting + communicating + notResponding. */
  onQueue: number;
  /** Logged on but not on queue, e.g. on a break (oOffQueueUsers). */
  offQueue: number;
  idle: number;
  interacting: number;
  communicating: number;
  notResponding: number;
}

/** The always-on agents first, then each shift's, in order (their ids come from the ids stream in that order). */
export function createAgents(rt: QueueRuntime, ids: Rng): Agent[] {
  const spec = rt.q.spec;
  const agent = (name: string): Agent => ({ userId: uuid(ids), name, busy: false, serves: [rt], presence: "ON_QUEUE", notResponding: false, communicating: false, spell: 0 });
  const agents = Array.from({ length: spec.agents }, (_, i) => agent(`${spec.name} Agent ${i + 1}`));
  spec.shifts.forEach((shift, k) => {
    for (let i = 0; i < shift.agents; i++) {
      const a = agent(`${spec.name} ${shift.name ?? `Shift ${k + 1}`} ${i + 1}`);
      a.shift = { spec: shift, index: i };
      agents.push(a);
    }
  });
  return agents;
}

/** `alsoServes`: this queue's own agents also take calls from the named queues (after their own). */
export function linkSharedAgents(rt: QueueRuntime, queues: { named(name: string): QueueRuntime | undefined }): void {
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

/** On queue and doing nothing else: the only agents a call is offered to. */
export function isAvailable(a: Agent): boolean {
  return !a.busy && a.presence === "ON_QUEUE" && !a.communicating && !a.notResponding;
}

export function routingStatus(a: Agent): RoutingStatus {
  if (a.presence !== "ON_QUEUE") return "OFF_QUEUE";
  if (a.busy) return "INTERACTING";
  if (a.communicating) return "COMMUNICATING";
  if (a.notResponding) return "NOT_RESPONDING";
  return "IDLE";
}

export function agentFigures(rt: QueueRuntime | undefined): AgentFigures {
  const f: AgentFigures = { members: 0, active: 0, onQueue: 0, offQueue: 0, idle: 0, interacting: 0, communicating: 0, notResponding: 0 };
  for (const a of rt?.agents ?? []) {
    f.members++;
    if (a.presence === "OFFLINE") continue;
    f.active++;
    switch (routingStatus(a)) {
      case "OFF_QUEUE":
        f.offQueue++;
        continue;
      case "IDLE":
        f.idle++;
        break;
      case "INTERACTING":
        f.interacting++;
        break;
      case "COMMUNICATING":
        f.communicating++;
        break;
      case "NOT_RESPONDING":
        f.notResponding++;
        break;
    }
    f.onQueue++;
  }
  return f;
}

/** Tells the listeners that `agent` changed state, on every queue it serves. */
export function announceAgent(records: Records, agent: Agent): void {
  if (records.listeners.length === 0) return;
  records.agentsChanged(agent.serves.map((rt) => rt.q.id));
}
