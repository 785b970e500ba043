/**
 * Export flushes against what VictoriaMetrics holds: every flush the monitor stored (its log line
 * "export flush stored" names the sequence and the monitor-clock timestamp) must be there exactly
 * once, at exactly that timestamp, in every series that flush carried; nothing at any other
 * timestamp. Pure: the caller reads the log and VictoriaMetrics' /api/v1/export.
 */
import type { Difference } from "./figures-check.js";

export interface StoredFlush {
  seq: number;
  at: number;
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** Series every flush carries from the first one on (the service's own gauges and counters). */
export const EVERY_FLUSH = ["queue_monitor_queues", "queue_monitor_connected", "queue_monitor_ready", "queue_monitor_stream_events_total", "queue_monitor_reconnects_total"];
/** Per-queue series a flush carries from the first event of their queue x media on, whatever follows. */
export const FROM_FIRST = /^genesys_queue_(offered|answered|abandoned|flowout)_total$/;

/** The flushes of a monitor log (JSON lines of every process that wrote it), by sequence. */
export function storedFlushes(logText: string): StoredFlush[] {
  const bySeq = new Map<number, StoredFlush>();
  for (const line of logText.split("\n")) {
    if (!line.includes('"export flush stored"')) continue;
    try {
      const o = JSON.parse(line) as { msg?: string; seq?: number; atMs?: number };
      if (o.msg === "export flush stored" && typeof o.seq === "number" && typeof o.atMs === "number") bySeq.set(o.seq, { seq: o.seq, at: o.atMs });
    } catch {
      // a line cut by a kill -9 mid-write: its flush may still have been stored (then it shows as extra)
    }
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

function seriesName(m: Record<string, string>): string {
  const labels = Object.entries(m)
    .filter(([k]) => k !== "__name__")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return `${m.__name__}{${labels}}`;
}

const iso = (t: number) => new Date(t).toISOString();
const few = (ts: number[]) => ts.slice(0, 5).map(iso).join(", ") + (ts.length > 5 ? `, ... (${ts.length})` : "");

export interface ExportCheckResult {
  differences: Difference[];
  flushes: number;
  series: number;
  samples: number;
}

/**
 * @param flushes stored flushes up to the last one known delivered (none pending after it)
 * @param series every exported series, read over [first flush, last flush]
 * @param finalTotals optional: queueId/media/kind -> the monitor's final total, which the last flush must carry
 */
export function checkExport(flushes: StoredFlush[], series: ExportedSeries[], finalTotals?: Map<string, number>): ExportCheckResult {
  const differences: Difference[] = [];
  const expected = new Set(flushes.map((f) => f.at));
  const sortedAt = [...expected].sort((a, b) => a - b);
  if (expected.size !== flushes.length) differences.push({ check: "vm-exactly-once", field: "flush timestamps", expected: flushes.length, got: expected.size, detail: "two stored flushes share a timestamp" });
  const last = sortedAt[sortedAt.length - 1];
  const everyFlushSeen = new Set<string>();
  let samples = 0;
  for (const s of series) {
    const name = seriesName(s.metric);
    const n = s.metric.__name__;
    const inRange = s.timestamps.map((t, i) => [t, s.values[i]] as const).filter(([t]) => t <= last);
    samples += inRange.length;
    const count = new Map<number, number[]>();
    for (const [t, v] of inRange) {
      let l = count.get(t);
      if (!l) count.set(t, (l = []));
      l.push(v);
    }
    const resent = [...count].filter(([, v]) => v.length > 1);
    if (resent.length > 0) {
      const [t, v] = resent[0];
      differences.push({ check: "vm-exactly-once", slice: name, field: "samples per flush", expected: 1, got: Math.max(...resent.map(([, l]) => l.length)), detail: `${resent.length} timestamps written more than once, first ${iso(t)} values ${JSON.stringify(v)}${v.every((x) => x === v[0]) ? " (identical: a flush resent)" : " (different values)"}` });
    }
    const extra = [...count.keys()].filter((t) => !expected.has(t)).sort((a, b) => a - b);
    if (extra.length > 0) differences.push({ check: "vm-exactly-once", slice: name, field: "timestamps of no stored flush", expected: 0, got: extra.length, detail: few(extra) });
    if (s.metric.queue_id !== undefined && s.metric.queue_name === s.metric.queue_id) {
      // The queue's name was not known when this flush was made: the same figures under another series.
      differences.push({ check: "vm-exactly-once", slice: name, field: "queue_name", expected: "the queue's name", got: s.metric.queue_name, detail: `${count.size} flush(es) labelled with the queue id instead, first ${iso(Math.min(...count.keys()))}: made before the queue's name was known (after a restart)` });
      continue;
    }
    let wanted: number[] = [];
    if (EVERY_FLUSH.includes(n)) {
      everyFlushSeen.add(n);
      wanted = sortedAt;
    } else if (FROM_FIRST.test(n) && count.size > 0) {
      const first = Math.min(...count.keys());
      wanted = sortedAt.filter((t) => t >= first);
    }
    const missing = wanted.filter((t) => !count.has(t));
    if (missing.length > 0) differences.push({ check: "vm-exactly-once", slice: name, field: "stored flushes missing", expected: wanted.length, got: wanted.length - missing.length, detail: few(missing) });
    if (FROM_FIRST.test(n)) {
      const ordered = [...count].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t, Math.max(...v)] as const);
      const dips = ordered.filter(([, v], i) => i > 0 && v < ordered[i - 1][1]);
      if (dips.length > 0) {
        const i = ordered.findIndex(([t]) => t === dips[0][0]);
        differences.push({ check: "vm-counters-monotonic", slice: name, field: "decreases", expected: 0, got: dips.length, detail: `first at ${iso(ordered[i][0])}: ${ordered[i - 1][1]} -> ${ordered[i][1]} (a flush carried counts a restart then no longer had)` });
      }
      const kind = /^genesys_queue_(\w+)_total$/.exec(n)![1];
      const want = finalTotals?.get(`${s.metric.queue_id}/${s.metric.media_type}/${kind}`);
      const atLast = count.get(last);
      if (want !== undefined && atLast && atLast[atLast.length - 1] !== want) differences.push({ check: "vm-final-values", slice: name, field: `value at the last flush ${iso(last)}`, expected: want, got: atLast[atLast.length - 1] });
    }
  }
  for (const n of EVERY_FLUSH) if (!everyFlushSeen.has(n) && sortedAt.length > 0) differences.push({ check: "vm-exactly-once", slice: n, field: "series", expected: "present", got: "absent", detail: `none of ${sortedAt.length} stored flushes reached VictoriaMetrics with it` });
  return { differences, flushes: flushes.length, series: series.length, samples };
}
