/**
 * What the alert outbox drops when PagerDuty has been unreachable long enough to fill it: what is
 * safe first, a page last. Pure: the pending events (oldest first) in, the rows to drop out.
 *
 * Per dedup key the pending events alternate trigger / resolve (each transition queues one, in the
 * transaction that records it), so a key's pending events read [R] (T R)* [T]: a resolve closing
 * an incident whose trigger was delivered, incidents that opened and closed while PagerDuty was
 * away, and the trigger of the alert firing now.
 *  1. superseded: a (T R) pair (sending neither leaves PagerDuty as it would end up), and the
 *     later of two events of the same action (PagerDuty dedups them anyway);
 *  2. resolve-superseded: the leading R when the alert fires again (a trailing T): the incident
 *     simply stays open, and the new trigger joins it;
 *  3. resolve-dropped: the leading R of an alert not firing now: its incident stays open at
 *     PagerDuty until someone resolves it there (nobody misses a page);
 *  4. firing-trigger: the trailing T, the page of an alert firing now. Only when nothing else is
 *     left; the caller says so loudly and pages again when there is room.
 * Within a class the oldest go first. A pair is dropped whole, even if one row would have done.
 */
import type { OutboxRow } from "../delivery/outbox.js";
import type { StoredEvent } from "./pagerduty.js";

export const ALERT_SHED_REASONS = ["superseded", "resolve-superseded", "resolve-dropped", "firing-trigger"] as const;
export type AlertShedReason = (typeof ALERT_SHED_REASONS)[number];

interface Group {
  first: number;
  seqs: number[];
}

/**
 * The rows to drop so that `excess` fewer remain (fewer when only unreadable rows are left: those
 * are the runner's to dead-letter).
 */
export function shedAlertEvents(pending: OutboxRow<StoredEvent>[], excess: number): { seq: number; reason: AlertShedReason }[] {
  const byKey = new Map<string, { seq: number; action: string }[]>();
  for (const r of pending) {
    if (r.item === undefined) continue;
    const e = r.item.event;
    let list = byKey.get(e.dedup_key);
    if (!list) byKey.set(e.dedup_key, (list = []));
    list.push({ seq: r.seq, action: e.event_action });
  }
  const classes: Record<AlertShedReason, Group[]> = { superseded: [], "resolve-superseded": [], "resolve-dropped": [], "firing-trigger": [] };
  const one = (reason: AlertShedReason, seq: number) => classes[reason].push({ first: seq, seqs: [seq] });
  for (const events of byKey.values()) {
    // Repeats of one action: the later ones change nothing at PagerDuty.
    const seq: typeof events = [];
    for (const e of events) {
      if (seq.length > 0 && seq[seq.length - 1].action === e.action) one("superseded", e.seq);
      else seq.push(e);
    }
    const firing = seq[seq.length - 1]?.action === "trigger" ? seq.pop() : undefined;
    const leading = seq[0]?.action === "resolve" ? seq.shift() : undefined;
    if (firing) one("firing-trigger", firing.seq);
    if (leading) one(firing ? "resolve-superseded" : "resolve-dropped", leading.seq);
    for (let i = 0; i + 1 < seq.length; i += 2) classes.superseded.push({ first: seq[i].seq, seqs: [seq[i].seq, seq[i + 1].seq] });
  }
  const out: { seq: number; reason: AlertShedReason }[] = [];
  for (const reason of ALERT_SHED_REASONS) {
    for (const g of classes[reason].sort((a, b) => a.first - b.first)) {
      if (out.length >= excess) return out;
      for (const seq of g.seqs) out.push({ seq, reason });
    }
  }
  return out;
}
