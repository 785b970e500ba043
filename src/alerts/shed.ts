/**
 * What the alert outbox drops when PagerDuty has been unreachable long enough to fill it: what is
 * safe first, a page last. Pure: the pending events (oldest first) in, the rows to drop out.
 *
 * Per dedup key the pending events alternate trigger / resolve (each transition queues one, in the
 * transaction that records it), so after the delivered ones a key's events read e.g. R T R T:
 *  1. superseded: a trigger followed by its resolve (an incident that opened and closed while
 *     PagerDuty was away: sending neither leaves PagerDuty as it would end up), a resolve followed
 *     by a new trigger (the incident stays open, as the alert is firing again), and the later of
 *     two events of the same action (PagerDuty dedups them anyway);
 *  2. resolve-dropped: a key's last event is a resolve: the alert is resolved, but PagerDuty's
 *     incident stays open until someone resolves it there (nobody misses a page);
 *  3. firing-trigger: a key's last event is a trigger: the alert fires now and this is its page.
 *     Only when nothing else is left; the caller says so loudly and pages again when there is room.
 * Within a class the oldest go first. A pair is dropped whole, even if one row would have done
 * (a lone trigger left would open an incident nobody resolves).
 */
import type { OutboxRow } from "../delivery/outbox.js";
import type { StoredEvent } from "./event-codec.js";

export const ALERT_SHED_REASONS = ["superseded", "resolve-dropped", "firing-trigger"] as const;
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
  const classes: Record<AlertShedReason, Group[]> = { superseded: [], "resolve-dropped": [], "firing-trigger": [] };
  for (const events of byKey.values()) {
    // Repeats of one action: the later ones change nothing at PagerDuty.
    const alternating: typeof events = [];
    for (const e of events) {
      if (alternating.length > 0 && alternating[alternating.length - 1].action === e.action) classes.superseded.push({ first: e.seq, seqs: [e.seq] });
      else alternating.push(e);
    }
    for (let i = 0; i < alternating.length; i++) {
      const e = alternating[i];
      const next = alternating[i + 1];
      if (!next) {
        classes[e.action === "trigger" ? "firing-trigger" : "resolve-dropped"].push({ first: e.seq, seqs: [e.seq] });
      } else if (e.action === "trigger") {
        classes.superseded.push({ first: e.seq, seqs: [e.seq, next.seq] });
        i++;
      } else {
        classes.superseded.push({ first: e.seq, seqs: [e.seq] });
      }
    }
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
