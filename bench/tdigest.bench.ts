/**
 * t-digest bench: this merging digest vs npm `tdigest`, `@datadog/sketches-js` (DDSketch 1 %)
 * and an exact sort, on the same 10 million heavy-tailed waits, in one run.
 * Prints a table (ns/add, stored bytes, value and rank error per quantile) and ends with one JSON line.
 * Usage: node dist/bench/tdigest.bench.js [count]
 */
import { createRequire } from "node:module";
import { DDSketch } from "@datadog/sketches-js";
import { TDigest } from "./baseline/tdigest.js";
import { heavyTailedWaits } from "./waits.js";

const require = createRequire(import.meta.url);
const { TDigest: NpmTDigest } = require("tdigest") as { TDigest: new () => { push(x: number): void; percentile(p: number): number; compress(): void; size(): number; toArray(): unknown[] } };

const N = Number(process.argv[2] ?? 10_000_000);
const QS = [0.5, 0.9, 0.95, 0.99, 0.999];
const data = heavyTailedWaits(N, 42);

interface Row {
  name: string;
  nsPerAdd: number;
  bytes: number | null;
  valueErrorPct: Record<string, number>;
  rankErrorPpm: Record<string, number>;
}

const sorted = Float64Array.from(data).sort();
function exactQ(q: number): number {
  return sorted[Math.floor(q * (N - 1))];
}
function rankOf(v: number): number {
  let lo = 0;
  let hi = N;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] < v) lo = m + 1;
    else hi = m;
  }
  let hi2 = lo;
  while (hi2 < N && sorted[hi2] <= v) hi2++;
  return { lo, hi2 } as unknown as number;
}
function rankError(q: number, v: number): number {
  const r = rankOf(v) as unknown as { lo: number; hi2: number };
  const a = r.lo / N;
  const b = r.hi2 / N;
  return q < a ? a - q : q > b ? q - b : 0;
}

function measure(name: string, add: (x: number) => void, finish: () => void, quantile: (q: number) => number, bytes: () => number | null): Row {
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) add(data[i]);
  finish();
  const ns = Number(process.hrtime.bigint() - t0) / N;
  const row: Row = { name, nsPerAdd: Math.round(ns * 10) / 10, bytes: null, valueErrorPct: {}, rankErrorPpm: {} };
  for (const q of QS) {
    const est = quantile(q);
    const exact = exactQ(q);
    row.valueErrorPct[`p${q * 100}`] = Math.round((Math.abs(est - exact) / exact) * 1e5) / 1e3;
    row.rankErrorPpm[`p${q * 100}`] = Math.round(rankError(q, est) * 1e6);
  }
  row.bytes = bytes(); // after the quantiles: serializing may compact
  return row;
}

const rows: Row[] = [];
let stored: TDigest | null = null;
{
  // Quantiles are read from the serialized bytes after a round trip: size and accuracy describe
  // the same object.
  const d = new TDigest();
  let bytes: Uint8Array = new Uint8Array(0);
  let back: TDigest | null = null;
  rows.push(
    measure(
      "queue-monitor t-digest (k2, c=200)",
      (x) => d.add(x),
      () => {
        bytes = d.serialize();
        back = TDigest.deserialize(bytes);
      },
      (q) => back!.quantile(q),
      () => {
        stored = TDigest.deserialize(d.clone().compact().serialize());
        return bytes.length;
      },
    ),
  );
}
{
  // The same digest compacted to the stored compression (smaller, coarser), round-tripped.
  const s = stored!;
  const row = measure("  same, compacted to c=200 and round-tripped", () => {}, () => {}, (q) => s.quantile(q), () => s.serialize().length);
  row.nsPerAdd = rows[0].nsPerAdd;
  rows.push(row);
}
{
  const d = new DDSketch({ relativeAccuracy: 0.01 });
  rows.push(measure("@datadog/sketches-js DDSketch 1 %", (x) => d.accept(x), () => {}, (q) => d.getValueAtQuantile(q), () => d.toProto().length));
}
{
  const d = new NpmTDigest();
  rows.push(measure("npm tdigest 0.1.3", (x) => d.push(x), () => d.compress(), (q) => d.percentile(q), () => JSON.stringify(d.toArray()).length));
}
{
  let buf = new Float64Array(1024);
  let n = 0;
  let s: Float64Array | null = null;
  rows.push(
    measure(
      "exact (growable Float64Array + sort)",
      (x) => {
        if (n === buf.length) {
          const b = new Float64Array(buf.length * 2);
          b.set(buf);
          buf = b;
        }
        buf[n++] = x;
      },
      () => (s = buf.subarray(0, n).sort()),
      (q) => s![Math.floor(q * (n - 1))],
      () => n * 8,
    ),
  );
}

console.log(`t-digest bench: ${N.toLocaleString()} heavy-tailed waits (lognormal median 20 s, 5 % Pareto tail, 2 % zeros, 0.05 % outliers)`);
console.log(["implementation".padEnd(44), "ns/add".padStart(8), "bytes".padStart(10), ...QS.map((q) => `p${q * 100} val%/rank ppm`.padStart(22))].join(" "));
for (const r of rows) {
  console.log(
    [r.name.padEnd(44), r.nsPerAdd.toFixed(1).padStart(8), String(r.bytes ?? "-").padStart(10), ...QS.map((q) => `${r.valueErrorPct[`p${q * 100}`].toFixed(3)} / ${r.rankErrorPpm[`p${q * 100}`]}`.padStart(22))].join(" "),
  );
}
const ours = rows[0];
const targets = {
  nsPerAddMax: 100,
  p99ValueErrorPctMax: 0.3,
  p50RankErrorPpmMax: 500,
  bytesMax: 2048,
};
console.log(
  JSON.stringify({
    bench: "tdigest",
    n: N,
    results: rows,
    targets,
    met: {
      nsPerAdd: ours.nsPerAdd <= targets.nsPerAddMax,
      p99ValueError: ours.valueErrorPct.p99 <= targets.p99ValueErrorPctMax,
      p50RankError: ours.rankErrorPpm.p50 <= targets.p50RankErrorPpmMax,
      bytes: (ours.bytes ?? Infinity) <= targets.bytesMax,
    },
  }),
);
