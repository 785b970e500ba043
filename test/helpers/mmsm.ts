/**
 * A small discrete-event simulation of M/M/s+M (Poisson arrivals, possibly time-varying by
 * thinning; exponential service; s agents; exponential patience; first come, first served): the
 * ground truth of the predictor and forecast tests. Seeded and bounded (arrivals stop at
 * `seconds` or `maxCallers`; the queue then drains).
 *
 * Besides each caller's wait it records the potential wait: the time until an agent would have
 * taken the call had the caller not abandoned. Under FCFS the callers ahead are not affected by
 * the caller's own patience, so after an abandon the caller is followed as a "ghost": it would
 * have reached an agent at the first service completion at which no real caller ahead of it is
 * still waiting. That is the quantity QLm predicts, so its mean error can be checked exactly.
 */
import { exponential, mulberry32 } from "../../src/util/random.js";

export interface MmsmSpec {
  servers: number;
  /** Per agent, per second. */
  mu: number;
  /** Abandonment rate per second of waiting (0: nobody abandons). */
  theta: number;
  /** Arrivals per second: a constant or a function of time (then give lambdaMax). */
  lambda: number | ((t: number) => number);
  lambdaMax?: number;
  /** Arrivals stop after this many seconds. */
  seconds: number;
  seed: number;
  maxCallers?: number;
  /** Take a snapshot of the queue every this many seconds (0: none). */
  snapshotEvery?: number;
  /** Callers in the system at time 0 (busy agents first, then a queue of age 0). */
  initial?: number;
}

export interface SimCaller {
  seq: number;
  arrival: number;
  /** Real callers waiting when it arrived (the n of the predictors). */
  ahead: number;
  busyAtArrival: number;
  /** Elapsed wait of the oldest waiting caller at its arrival; null when nobody waited. */
  holAtArrival: number | null;
  /** Wait of the last caller who had entered service before it arrived. */
  lesAtArrival: number | null;
  outcome: "answered" | "abandoned" | null;
  wait: number;
  end: number;
  potentialWait: number | null;
}

export interface SimSnapshot {
  t: number;
  busy: number;
  /** Ages of the real waiting callers, oldest first. */
  waitingAges: number[];
}

export interface SimResult {
  callers: SimCaller[];
  snapshots: SimSnapshot[];
  /** Every change of the number of busy agents: [time, busy]. */
  busyLevels: [number, number][];
  /** Service times drawn for answered callers, with the time each ended. */
  services: [number, number][];
}

type Ev = { t: number; kind: 0 | 1 | 2 | 3; id: number };

class Heap<T> {
  private a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size() {
    return this.a.length;
  }
  peek(): T | undefined {
    return this.a[0];
  }
  push(v: T): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

const ARRIVAL = 0;
const COMPLETION = 1;
const ABANDON = 2;
const SNAPSHOT = 3;

export function simulateMmsm(spec: MmsmSpec): SimResult {
  const rng = mulberry32(spec.seed);
  const rate = typeof spec.lambda === "number" ? () => spec.lambda as number : spec.lambda;
  const lambdaMax = typeof spec.lambda === "number" ? spec.lambda : spec.lambdaMax!;
  const maxCallers = spec.maxCallers ?? 500_000;
  const events = new Heap<Ev>((x, y) => x.t < y.t || (x.t === y.t && x.kind < y.kind));
  const callers: SimCaller[] = [];
  const snapshots: SimSnapshot[] = [];
  const busyLevels: [number, number][] = [[0, 0]];
  const services: [number, number][] = [];
  const queue: number[] = [];
  let head = 0;
  const waitingFlag: boolean[] = [];
  let waitingCount = 0;
  let busy = 0;
  let lastServiceWait: number | null = null;
  const ghosts = new Heap<number>((x, y) => x < y);

  const newCaller = (t: number): SimCaller => {
    while (head < queue.length && !waitingFlag[queue[head]]) head++;
    const c: SimCaller = { seq: callers.length, arrival: t, ahead: waitingCount, busyAtArrival: busy, holAtArrival: head < queue.length ? t - callers[queue[head]].arrival : null, lesAtArrival: lastServiceWait, outcome: null, wait: 0, end: 0, potentialWait: null };
    callers.push(c);
    return c;
  };
  const startService = (c: SimCaller, t: number) => {
    c.outcome = "answered";
    c.wait = t - c.arrival;
    c.potentialWait = c.wait;
    c.end = t;
    lastServiceWait = c.wait;
    busy++;
    busyLevels.push([t, busy]);
    const s = exponential(rng, 1 / spec.mu);
    services.push([s, t + s]);
    events.push({ t: t + s, kind: COMPLETION, id: c.seq });
  };
  const enqueue = (c: SimCaller, t: number) => {
    queue.push(c.seq);
    waitingFlag[c.seq] = true;
    waitingCount++;
    if (spec.theta > 0) events.push({ t: t + exponential(rng, 1 / spec.theta), kind: ABANDON, id: c.seq });
  };
  for (let i = 0; i < (spec.initial ?? 0); i++) {
    const c = newCaller(0);
    if (busy < spec.servers) startService(c, 0);
    else enqueue(c, 0);
  }
  events.push({ t: exponential(rng, 1 / lambdaMax), kind: ARRIVAL, id: -1 });
  if (spec.snapshotEvery) events.push({ t: spec.snapshotEvery, kind: SNAPSHOT, id: -1 });
  let guard = 0;
  while (events.size > 0 && guard++ < 20_000_000) {
    const ev = events.pop()!;
    const t = ev.t;
    if (ev.kind === ARRIVAL) {
      if (t > spec.seconds || callers.length >= maxCallers) continue;
      events.push({ t: t + exponential(rng, 1 / lambdaMax), kind: ARRIVAL, id: -1 });
      if (rng() * lambdaMax > rate(t)) continue; // thinning
      const c = newCaller(t);
      if (busy < spec.servers) startService(c, t);
      else enqueue(c, t);
    } else if (ev.kind === COMPLETION) {
      busy--;
      busyLevels.push([t, busy]);
      while (head < queue.length && !waitingFlag[queue[head]]) head++;
      const headSeq = head < queue.length ? queue[head] : Infinity;
      while (ghosts.size > 0 && ghosts.peek()! < headSeq) {
        const g = callers[ghosts.pop()!];
        g.potentialWait = t - g.arrival;
      }
      if (head < queue.length) {
        const c = callers[queue[head]];
        waitingFlag[c.seq] = false;
        waitingCount--;
        head++;
        startService(c, t);
      }
    } else if (ev.kind === ABANDON) {
      if (!waitingFlag[ev.id]) continue;
      const c = callers[ev.id];
      waitingFlag[ev.id] = false;
      waitingCount--;
      c.outcome = "abandoned";
      c.wait = t - c.arrival;
      c.end = t;
      ghosts.push(c.seq);
    } else {
      const ages: number[] = [];
      for (let i = head; i < queue.length; i++) if (waitingFlag[queue[i]]) ages.push(t - callers[queue[i]].arrival);
      snapshots.push({ t, busy, waitingAges: ages });
      if (t + spec.snapshotEvery! <= spec.seconds) events.push({ t: t + spec.snapshotEvery!, kind: SNAPSHOT, id: -1 });
    }
  }
  return { callers, snapshots, busyLevels, services };
}
