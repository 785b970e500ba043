/**
 * Who is there to answer: the queue-level groups of queue observations (a `group` with `queueId`
 * and no `mediaType`) read as staffing counts. Pure and total like parseObservation: any input
 * gives a well-formed (possibly empty) result and a count of what could not be read.
 *
 * Metrics (genesys-api.md "Added (2026-12)", §4b): oMemberUsers -> members, oActiveUsers ->
 * active, oOnQueueUsers -> onQueue, oOffQueueUsers -> offQueue, and oUserRoutingStatuses by
 * qualifier IDLE, INTERACTING, COMMUNICATING, NOT_RESPONDING, OFF_QUEUE. oUserPresences is not
 * read: its qualifiers are the organization's own presence ids.
 *
 * Missing is unknown: a message carries only some metrics, so a metric it does not carry is left
 * unset (null once merged), never zero. Within a breakdown metric that the message does carry,
 * Genesys leaves out the zero rows (both published query responses: members 23 = IDLE 4 +
 * OFF_QUEUE 19 with no INTERACTING row; INTERACTING/IDLE/OFF_QUEUE with no COMMUNICATING), so by
 * default ("complete") an unlisted status of a carried breakdown is 0. Whether the observations
 * topic sends whole breakdowns too is UNCONFIRMED: `breakdown: "partial"` reads only the rows
 * present and lets the merger keep the other statuses' last values.
 */
import { count, interval, isObject, own, plainString, type ParseOptions } from "./observation.js";

export interface StaffingCounts {
  /** oMemberUsers: members of the queue. */
  members: number;
  /** oActiveUsers: members who are active (logged in, joined). */
  active: number;
  /** oOnQueueUsers: members on queue. */
  onQueue: number;
  /** oOffQueueUsers: members off queue. */
  offQueue: number;
  /** oUserRoutingStatuses by qualifier. */
  idle: number;
  interacting: number;
  communicating: number;
  notResponding: number;
  /** Routing status OFF_QUEUE (not the oOffQueueUsers total). */
  offQueueStatus: number;
}

export type StaffingField = keyof StaffingCounts;

/** What one message said about one queue; only the figures it carried are set. */
export interface StaffingUpdate extends Partial<StaffingCounts> {
  queueId: string;
  /** Epoch ms of the observation (the request time for a REST snapshot). */
  at: number;
}

/** The merged staffing of a queue: every figure, null while unknown. */
export type Staffing = { queueId: string; at: number } & { [K in StaffingField]: number | null };

export interface StaffingParseOptions extends ParseOptions {
  /** How to read a breakdown's missing rows (see the file comment); default "complete". */
  breakdown?: "complete" | "partial";
}

export interface ParsedStaffing {
  updates: StaffingUpdate[];
  /** Rows, groups and data entries that were present but unreadable, and unknown qualifiers. */
  dropped: number;
}

const TOTALS: Record<string, StaffingField> = { oMemberUsers: "members", oActiveUsers: "active", oOnQueueUsers: "onQueue", oOffQueueUsers: "offQueue" };
const STATUSES: Record<string, StaffingField> = { IDLE: "idle", INTERACTING: "interacting", COMMUNICATING: "communicating", NOT_RESPONDING: "notResponding", OFF_QUEUE: "offQueueStatus" };
const STATUS_FIELDS: StaffingField[] = Object.values(STATUSES);
export const STAFFING_FIELDS: readonly StaffingField[] = [...Object.values(TOTALS), ...STATUS_FIELDS];
const hasKey = (o: Record<string, unknown>, k: unknown): k is string => typeof k === "string" && Object.prototype.hasOwnProperty.call(o, k);

/**
 * Reads the metric rows of one queue-level group (`[{metric, qualifier?, stats:{count}}]`).
 * Returns the figures found (null when none) and how many rows were dropped. Shared by the
 * topic parser and the REST snapshot parser.
 */
export function staffingFromRows(rows: unknown, breakdown: "complete" | "partial"): { counts: Partial<StaffingCounts> | null; dropped: number } {
  if (!Array.isArray(rows)) return { counts: null, dropped: rows === undefined ? 0 : 1 };
  const totals: Partial<StaffingCounts> = {};
  const qualifiedSums: Partial<Record<StaffingField, number>> = {};
  const statuses: Partial<StaffingCounts> = {};
  const onQueueStatuses: Partial<StaffingCounts> = {};
  let sawStatuses = false;
  let dropped = 0;
  for (const row of rows) {
    if (!isObject(row)) {
      dropped++;
      continue;
    }
    const metric = own(row, "metric");
    const qualifier = own(row, "qualifier");
    const stats = own(row, "stats");
    const n = isObject(stats) ? count(own(stats, "count")) : undefined;
    const known = hasKey(TOTALS, metric) || metric === "oUserRoutingStatuses";
    if (!known) continue; // another metric (per-media, presences): not staffing
    if (n === undefined || (qualifier !== undefined && typeof qualifier !== "string")) {
      dropped++;
      continue;
    }
    if (metric === "oUserRoutingStatuses") {
      if (!hasKey(STATUSES, qualifier)) {
        dropped++;
        continue;
      }
      sawStatuses = true;
      statuses[STATUSES[qualifier]] = n;
    } else if (hasKey(TOTALS, metric)) {
      const field = TOTALS[metric];
      if (qualifier === undefined) totals[field] = n;
      else {
        qualifiedSums[field] = (qualifiedSums[field] ?? 0) + n;
        // On-queue users broken down by routing status (the Splunk sample: oOnQueueUsers IDLE).
        if (metric === "oOnQueueUsers" && hasKey(STATUSES, qualifier)) onQueueStatuses[STATUSES[qualifier]] = n;
      }
    }
  }
  const out: Partial<StaffingCounts> = { ...totals };
  if (breakdown === "complete") {
    // A total given only as its breakdown is the breakdown's sum.
    for (const f of Object.keys(qualifiedSums) as StaffingField[]) if (out[f] === undefined) out[f] = qualifiedSums[f];
  }
  if (sawStatuses) {
    for (const f of STATUS_FIELDS) {
      if (statuses[f] !== undefined) out[f] = statuses[f];
      else if (breakdown === "complete") out[f] = 0;
    }
  } else {
    // No routing-status rows: the on-queue breakdown still says how many on-queue members are
    // idle / interacting (statuses other than OFF_QUEUE, which on-queue users cannot have).
    for (const f of STATUS_FIELDS) if (onQueueStatuses[f] !== undefined) out[f] = onQueueStatuses[f];
  }
  return { counts: Object.keys(out).length > 0 ? out : null, dropped };
}

/**
 * Reads one `v2.analytics.queues.{id}.observations` message: staffing of its queue-level group,
 * one update per instant (zero-length interval) data entry. Per-media groups give nothing here
 * (parseObservation reads them). `topicQueueId` is the topic's queue; the group's own wins.
 */
export function parseStaffing(topicQueueId: unknown, body: unknown, opts: StaffingParseOptions = {}): ParsedStaffing {
  const out: ParsedStaffing = { updates: [], dropped: 0 };
  try {
    if (!isObject(body)) return out;
    const group = isObject(own(body, "group")) ? (own(body, "group") as Record<string, unknown>) : {};
    if (own(group, "mediaType") !== undefined) return out;
    const queueId = plainString(own(group, "queueId")) ?? plainString(topicQueueId);
    const data = own(body, "data");
    if (!queueId || !Array.isArray(data)) return out;
    for (const d of data) {
      const span = isObject(d) ? interval(own(d, "interval"), opts) : undefined;
      if (!span || span[0] !== span[1]) {
        // Aggregate buckets of a queue-level group are not staffing; unreadable entries are drops.
        if (!span) out.dropped++;
        continue;
      }
      const { counts, dropped } = staffingFromRows(own(d as Record<string, unknown>, "metrics"), opts.breakdown ?? "complete");
      out.dropped += dropped;
      if (counts) out.updates.push({ queueId, at: span[0], ...counts });
    }
    return out;
  } catch {
    return { updates: [], dropped: 1 };
  }
}

/** A queue's staffing with every figure unknown. */
export function unknownStaffing(queueId: string, at: number): Staffing {
  const s = { queueId, at } as Staffing;
  for (const f of STAFFING_FIELDS) s[f] = null;
  return s;
}

/**
 * Merges staffing updates per queue: each figure keeps its last reading (a message without it
 * says nothing about it). An update older than the newest merged one for the queue is refused
 * (null) and counted in `stale`.
 */
export class StaffingMerger {
  private readonly last = new Map<string, Staffing>();
  stale = 0;

  merge(u: StaffingUpdate): Staffing | null {
    const cur = this.last.get(u.queueId);
    if (cur && u.at < cur.at) {
      this.stale++;
      return null;
    }
    const next: Staffing = { ...(cur ?? unknownStaffing(u.queueId, u.at)), at: u.at };
    for (const f of STAFFING_FIELDS) {
      const v = u[f];
      if (v !== undefined) next[f] = v;
    }
    this.last.set(u.queueId, next);
    return { ...next };
  }

  get(queueId: string): Staffing | null {
    const s = this.last.get(queueId);
    return s ? { ...s } : null;
  }

  /** Forgets a queue (removed from monitoring). */
  forget(queueId: string): void {
    this.last.delete(queueId);
  }
}
