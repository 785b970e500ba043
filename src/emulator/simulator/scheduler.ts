/**
 * The simulator's event queue: a binary heap ordered by (time, sequence), so events due at the
 * same millisecond run in the order they were scheduled and a seeded run always unfolds the same.
 * Events are of calls or of staffing; staffing goes on for ever (shifts, breaks), so only call
 * events count towards a run having settled.
 */
export type EventKind = "call" | "staffing";

interface Scheduled {
  time: number;
  seq: number;
  kind: EventKind;
  run: () => void;
}

export class Scheduler {
  private readonly heap: Scheduled[] = [];
  private seq = 0;

  constructor(
    /** The virtual time of the event being run, or the last time advanced to. */
    public now: number,
  ) {}

  private calls = 0;

  /** Call events still to run. */
  get pendingCalls(): number {
    return this.calls;
  }

  at(time: number, run: () => void, kind: EventKind = "call"): void {
    const item = { time, seq: this.seq++, kind, run };
    if (kind === "call") this.calls++;
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  /** Runs every scheduled event with time <= t, in order; then the clock reads t. */
  advanceTo(t: number): void {
    while (this.heap.length > 0 && this.heap[0].time <= t) {
      const ev = this.pop();
      if (ev.kind === "call") this.calls--;
      this.now = ev.time;
      ev.run();
    }
    if (t > this.now) this.now = t;
  }

  private pop(): Scheduled {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
