/**
 * After the run: the monitor's audit trail (the `events` view of its state file, kept whole with
 * state.recordEvents) against the ground-truth events, visit by visit, so a loss or a double is
 * named by conversation, queue, kind and time. Read-only, once the monitor has stopped.
 */
import Database from "better-sqlite3";
import type { Difference } from "./figures-check.js";
import type { TruthEvent } from "./truth.js";

export interface AuditRow {
  kind: string;
  queue_id: string;
  media_type: string;
  conversation_id: string;
  participant_id: string;
  time: number;
  wait_ms: number | null;
}

/** The identity of a queue visit's offer or end (as the monitor's dedup keys it). */
function visitKey(e: { conversationId: string; participantId?: string; queueId: string; kind: string }): string {
  return `${e.conversationId}/${e.participantId ?? "?"}/${e.queueId}/${e.kind === "offered" ? "offered" : "end"}`;
}

export function readAudit(stateFile: string): AuditRow[] {
  const db = new Database(stateFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT kind, queue_id, media_type, conversation_id, participant_id, CAST(time AS INTEGER) AS time, wait_ms FROM events").all() as AuditRow[];
  } finally {
    db.close();
  }
}

/** Visits the truth has and the trail lacks, visits counted twice, and readings that differ. */
export function compareAudit(truth: TruthEvent[], rows: AuditRow[], queueNames: Map<string, string>, context: (time: number) => string = () => "", limit = 50): { differences: Difference[]; missing: number; doubled: number; extra: number; differing: number } {
  const want = new Map(truth.map((e) => [visitKey(e), e]));
  const got = new Map<string, AuditRow[]>();
  for (const r of rows) {
    const k = visitKey({ conversationId: r.conversation_id, participantId: r.participant_id, queueId: r.queue_id, kind: r.kind });
    let l = got.get(k);
    if (!l) got.set(k, (l = []));
    l.push(r);
  }
  const differences: Difference[] = [];
  const push = (d: Difference) => {
    if (differences.length < limit) differences.push(d);
  };
  let missing = 0;
  let doubled = 0;
  let extra = 0;
  let differing = 0;
  const iso = (t: number) => new Date(t).toISOString();
  for (const [k, e] of want) {
    const l = got.get(k);
    const where = { queue: queueNames.get(e.queueId) ?? e.queueId, queueId: e.queueId, media: e.mediaType, slice: `conversation ${e.conversationId} at ${iso(e.time)}` };
    if (!l) {
      missing++;
      push({ check: "audit-trail", ...where, field: e.kind, expected: 1, got: 0, detail: `${e.kind} never counted${e.waitMs === undefined ? "" : ` (wait ${e.waitMs} ms)`}${context(e.time)}` });
      continue;
    }
    if (l.length > 1) {
      doubled++;
      push({ check: "audit-trail", ...where, field: e.kind, expected: 1, got: l.length, detail: `counted ${l.length} times as ${l.map((r) => r.kind).join(", ")}${context(e.time)}` });
    }
    const r = l[0];
    if (r.kind !== e.kind || Number(r.time) !== e.time || (e.waitMs !== undefined && r.wait_ms !== e.waitMs)) {
      differing++;
      push({ check: "audit-trail", ...where, field: e.kind, expected: { kind: e.kind, time: iso(e.time), waitMs: e.waitMs ?? null }, got: { kind: r.kind, time: iso(Number(r.time)), waitMs: r.wait_ms }, detail: "counted with another reading" });
    }
  }
  for (const [k, l] of got) {
    if (want.has(k)) continue;
    extra++;
    const r = l[0];
    push({ check: "audit-trail", queue: queueNames.get(r.queue_id) ?? r.queue_id, queueId: r.queue_id, media: r.media_type, slice: `conversation ${r.conversation_id} at ${iso(Number(r.time))}`, field: r.kind, expected: 0, got: l.length, detail: "counted, but the ground truth has no such visit" });
  }
  return { differences, missing, doubled, extra, differing };
}
