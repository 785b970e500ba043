/**
 * s, the agents who can take a queue x media's next caller, from the queue's staffing
 * (normalize/staffing.ts): on queue and idle, interacting or communicating. NOT_RESPONDING and
 * OFF_QUEUE members cannot answer.
 *
 * Shared agents: a member of several queues shows INTERACTING in every one of them while on one
 * call, so a queue's statuses overcount its agents. What can be told is the share of its busy
 * members' time that goes to this queue x media: (average oInteracting of this queue x media) /
 * (average members INTERACTING + COMMUNICATING) over the same window. Dedicated single-media
 * agents give 1; agents shared evenly by two queues give 0.5; chat agents who take three chats at
 * a time give up to 3 (the servers of the model are then agent slots, matching a handle time per
 * chat). Without busy time in the window the share cannot be told and is 1.
 */
import type { Staffing } from "../normalize/staffing.js";

/** A share above this is not a utilization but a reading error (interactions of another series). */
export const MAX_SHARE = 10;

const n = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/**
 * The share of the members' busy time this series takes (see the file comment); null when it
 * cannot be told (no busy members in the window, or unknown).
 */
export function agentShare(seriesInteractingAvg: number | null, busyMembersAvg: number | null): number | null {
  if (!n(seriesInteractingAvg) || !n(busyMembersAvg) || busyMembersAvg <= 0) return null;
  return Math.min(MAX_SHARE, seriesInteractingAvg / busyMembersAvg);
}

/** Members busy now (INTERACTING + COMMUNICATING); null when either is unknown. */
export function busyMembers(st: Staffing | null): number | null {
  if (!st || !n(st.interacting) || !n(st.communicating)) return null;
  return st.interacting + st.communicating;
}

export interface ServingAgents {
  /** s for the model (fractional with a share). */
  agents: number;
  /** Idle members x share: free to answer now. */
  idle: number | null;
  /** Where s came from: the routing statuses, or the on-queue total when they are unknown. */
  source: "statuses" | "onQueue";
}

/** s for one queue x media; null when the staffing does not say. */
export function servingAgents(st: Staffing | null, share: number | null = null): ServingAgents | null {
  if (!st) return null;
  const f = n(share) ? share : 1;
  if (n(st.idle) && n(st.interacting) && n(st.communicating)) {
    let agents = st.idle + st.interacting + st.communicating;
    // The statuses cannot list more on-queue agents than there are.
    if (n(st.onQueue) && st.onQueue < agents) agents = st.onQueue;
    return { agents: agents * f, idle: Math.min(st.idle, agents) * f, source: "statuses" };
  }
  if (n(st.onQueue)) {
    const free = n(st.idle) ? Math.min(st.idle, st.onQueue) : null;
    // On-queue agents who are not responding cannot answer either, when that is known.
    const agents = n(st.notResponding) ? Math.max(0, st.onQueue - st.notResponding) : st.onQueue;
    return { agents: agents * f, idle: free === null ? null : free * f, source: "onQueue" };
  }
  return null;
}
