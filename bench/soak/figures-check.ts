/**
 * /api/queues against the ground truth: totals per queue x media x outcome, and (when the truth
 * lists every event) each rolling window, the current and previous interval and the day, field by
 * field, for the instant the body was generated. Every difference names the queue, the media, the
 * slice, the field, what was expected and what the monitor showed.
 */
import { bySeries, KINDS, seriesKey, sliceFigures, windowRange, type FigureSettings, type Kind, type SliceFigures, type TruthEvent, type TruthGroup, type WaitSummary } from "./truth.js";

export interface Difference {
  check: string;
  queue?: string;
  queueId?: string;
  media?: string;
  /** "totals", "window 15m", "interval 2026-...Z/2026-...Z (current)", "today ...". */
  slice?: string;
  field?: string;
  expected: unknown;
  got: unknown;
  detail?: string;
}

/** The parts of a /api/queues series this check reads. */
export interface MonitorFigures {
  offered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  flowout: number;
  overSla: number;
  serviceLevel: number | null;
  asaSeconds: number | null;
  abandonRate: number | null;
  answeredWaitSeconds: WaitSummary;
  abandonedWaitSeconds: WaitSummary;
}
export interface MonitorSeries {
  queueId: string;
  queueName: string;
  mediaType: string;
  totals: Record<Kind, number>;
  now: { waiting: number; longestWaitingSeconds: number | null };
  windows: Record<string, MonitorFigures>;
  intervals: {
    current: MonitorFigures & { start: string; end: string };
    previous: (MonitorFigures & { start: string; end: string }) | null;
    today: MonitorFigures & { start: string; end: string };
  };
  serviceLevelTarget: { thresholdSeconds: number };
  dropped?: { window: number; interval: number; today: number };
}
export interface QueuesBody {
  generatedAt: string;
  queues: MonitorSeries[];
}

/** Past this many waits the monitor bins them (HdrHistogram layout: no bin wider than 1/1024). */
export const EXACT_MAX = 2048;

/** How far a binned percentile (s) may sit from the exact one: the bin's width, plus rounding. */
export function waitTolerance(expectedSeconds: number, count: number): number {
  if (count <= EXACT_MAX) return 0;
  const ms = expectedSeconds * 1000;
  const width = ms < 1024 ? 1 : 2 ** (Math.floor(Math.log2(ms)) - 10);
  return (width + 1) / 1000;
}

const COUNT_FIELDS = ["offered", "answered", "abandoned", "shortAbandoned", "flowout", "overSla"] as const;
const RATIO_FIELDS = ["serviceLevel", "asaSeconds", "abandonRate"] as const;
const QUANTILES = ["p50", "p90", "p95", "p99", "max"] as const;

function sameRatio(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}

/** Field-by-field differences of one slice. */
export function compareSlice(got: MonitorFigures, want: SliceFigures, where: Omit<Difference, "field" | "expected" | "got" | "check">, check: string): Difference[] {
  const out: Difference[] = [];
  const diff = (field: string, expected: unknown, actual: unknown, detail?: string) => out.push({ check, ...where, field, expected, got: actual, ...(detail ? { detail } : {}) });
  for (const f of COUNT_FIELDS) if (got[f] !== want[f]) diff(f, want[f], got[f]);
  for (const f of RATIO_FIELDS) if (!sameRatio(got[f], want[f])) diff(f, want[f], got[f]);
  for (const [name, count] of [["answeredWaitSeconds", want.waitCounts.answered], ["abandonedWaitSeconds", want.waitCounts.abandoned]] as const) {
    for (const q of QUANTILES) {
      const e = want[name][q];
      const g = got[name]?.[q] ?? null;
      if (e === null || g === null) {
        if (e !== g) diff(`${name}.${q}`, e, g);
        continue;
      }
      const tol = waitTolerance(e, count);
      if (Math.abs(g - e) > tol + 1e-9) diff(`${name}.${q}`, e, g, tol > 0 ? `${count} waits (binned): tolerance ${tol} s` : `${count} waits (exact)`);
    }
  }
  return out;
}

export interface FiguresCheckResult {
  differences: Difference[];
  /** Checks that ran, e.g. "totals", "windows", "intervals", "today", "waiting-now". */
  ran: string[];
  /** Slices compared, and those the truth has events in (an empty window proves less). */
  compared: { series: number; slices: number; slicesWithTraffic: number };
}

/**
 * Compares one /api/queues body with the truth. `events` (every ground-truth event) enables the
 * windows, intervals and the day; without it only the totals are compared.
 */
export function checkFigures(body: QueuesBody, truth: { groups: TruthGroup[]; events?: TruthEvent[] }, st: FigureSettings, queueNames: Map<string, string>): FiguresCheckResult {
  const differences: Difference[] = [];
  const ran = ["totals", "waiting-now"];
  const now = Date.parse(body.generatedAt);
  const mon = new Map(body.queues.map((s) => [seriesKey(s.queueId, s.mediaType), s]));
  const name = (queueId: string) => queueNames.get(queueId) ?? mon.get(queueId)?.queueName ?? queueId;
  const truthTotals = new Map<string, { queueId: string; mediaType: string; counts: Record<Kind, number> }>();
  for (const g of truth.groups) truthTotals.set(seriesKey(g.queueId, g.mediaType), g);
  const keys = new Set([...truthTotals.keys(), ...mon.keys()]);
  let slices = 0;
  let slicesWithTraffic = 0;
  const traffic = (f: SliceFigures) => (f.offered + f.answered + f.abandoned + f.flowout > 0 ? 1 : 0);
  const events = truth.events ? bySeries(truth.events) : undefined;
  if (events) ran.push("windows", "intervals", "today", "service-level-threshold");
  for (const k of [...keys].sort()) {
    const t = truthTotals.get(k);
    const m = mon.get(k);
    const queueId = t?.queueId ?? m!.queueId;
    const media = t?.mediaType ?? m!.mediaType;
    const where = { queue: name(queueId), queueId, media };
    for (const kind of KINDS) {
      const e = t?.counts[kind] ?? 0;
      const g = m?.totals[kind] ?? 0;
      if (e !== g) differences.push({ check: "totals", ...where, slice: "totals", field: kind, expected: e, got: g, ...(m ? {} : { detail: "series missing from /api/queues" }) });
    }
    if (m && m.now.waiting !== 0) differences.push({ check: "waiting-now", ...where, slice: "now", field: "waiting", expected: 0, got: m.now.waiting, detail: "no call is waiting in the emulator: a visit offered with its end never counted" });
    if (!events || !m) continue;
    const ev = events.get(k) ?? [];
    const thresholdMs = st.serviceLevelMs(queueId);
    if (Math.abs(m.serviceLevelTarget.thresholdSeconds * 1000 - thresholdMs) > 0.5) differences.push({ check: "service-level-threshold", ...where, field: "thresholdSeconds", expected: thresholdMs / 1000, got: m.serviceLevelTarget.thresholdSeconds });
    for (const [w, figs] of Object.entries(m.windows)) {
      const minutes = Number(/^(\d+)m$/.exec(w)?.[1]);
      if (!Number.isInteger(minutes)) continue;
      const [from, to] = windowRange(now, minutes);
      const want = sliceFigures(ev, from, to, st);
      differences.push(...compareSlice(figs, want, { ...where, slice: `window ${w} [${iso(from)}, ${iso(to)})` }, "windows"));
      slices++;
      slicesWithTraffic += traffic(want);
    }
    const iv = m.intervals;
    for (const [label, slice, check] of [["current", iv.current, "intervals"], ["previous", iv.previous, "intervals"], ["today", iv.today, "today"]] as const) {
      if (!slice) continue;
      const from = Date.parse(slice.start);
      const to = Date.parse(slice.end);
      const want = sliceFigures(ev, from, to, st);
      differences.push(...compareSlice(slice, want, { ...where, slice: `${label === "today" ? "today" : `interval (${label})`} [${slice.start}, ${slice.end})` }, check));
      slices++;
      slicesWithTraffic += traffic(want);
    }
  }
  return { differences, ran, compared: { series: keys.size, slices, slicesWithTraffic } };
}

/**
 * Which clock-aligned intervals of `intervalMs` hold the events a total misses or has too many
 * of: where a loss happened, when the totals say one did. Counts per interval, truth vs `seen`
 * (the monitor's last sight of that interval during the run, if it had one).
 */
export function locateTotalsDifferences(diffs: Difference[], events: TruthEvent[], intervalMs: number, seen: Map<string, Record<Kind, number>>): { queue: string; media: string; kind: string; interval: string; expected: number; lastSeen: number | null }[] {
  const out: { queue: string; media: string; kind: string; interval: string; expected: number; lastSeen: number | null }[] = [];
  const grouped = bySeries(events);
  for (const d of diffs) {
    if (d.check !== "totals" || !d.queueId || !d.media || !d.field) continue;
    const per = new Map<number, number>();
    for (const e of grouped.get(seriesKey(d.queueId, d.media)) ?? []) {
      if (e.kind !== d.field) continue;
      const start = Math.floor(e.time / intervalMs) * intervalMs;
      per.set(start, (per.get(start) ?? 0) + 1);
    }
    for (const [start, n] of [...per].sort((a, b) => a[0] - b[0])) {
      const key = `${d.queueId}/${d.media}/${start}`;
      const s = seen.get(key);
      const last = s ? s[d.field as Kind] : null;
      if (last !== n) out.push({ queue: d.queue ?? d.queueId, media: d.media, kind: d.field, interval: `${iso(start)}/${iso(start + intervalMs)}`, expected: n, lastSeen: last });
    }
  }
  return out;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
