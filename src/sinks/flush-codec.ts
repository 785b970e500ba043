/**
 * How a metric flush is stored in the export outbox (`export_flushes.samples`): gzip'd JSON.
 *   version 1: one [family, name, labels, value] per sample (rows of the first releases, and
 *              every alert_ row written before PagerDuty events had a codec of their own);
 *   version 2: a FrameFlush: the slots and label sets once, the values as raw doubles (NaN = no
 *              data), the service's own samples as in version 1. No object per sample either
 *              way, and per-queue label sets come back interned (their encodings already made).
 * Both are read; version 2 is written for a FrameFlush, version 1 for a plain flush.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { Codec } from "../delivery/outbox.js";
import { extraLabels, labelSet } from "./labels.js";
import { FrameFlush, QueueFrame, type Flush, type Sample } from "./samples.js";

type PackedSamples = [string, string, Record<string, string>, number][];
type PackedV1 = { at: number; samples: PackedSamples };
type PackedV2 = {
  v: 2;
  at: number;
  slots: [string, string, Record<string, string> | null][];
  series: Record<string, string>[];
  /** base64 of the Float64Array (little-endian, as written by this machine's typed arrays). */
  values: string;
  rest: PackedSamples;
};

function encode(flush: Flush): Buffer {
  let p: PackedV1 | PackedV2;
  if (flush instanceof FrameFlush) {
    const f = flush.frame;
    p = {
      v: 2,
      at: flush.at,
      slots: f.slots.map((s) => [s.family, s.name, s.extra ? s.extra.labels : null]),
      series: f.series.map((l) => l.labels),
      values: Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength).toString("base64"),
      rest: flush.rest.map((s) => [s.family, s.name, s.labels, s.value]),
    };
  } else {
    p = { at: flush.at, samples: flush.samples.map((s) => [s.family, s.name, s.labels, s.value]) };
  }
  // Level 1: most of the size win at a fraction of the time (label sets repeat heavily).
  return gzipSync(JSON.stringify(p), { level: 1 });
}

function samplesOf(rows: unknown, field: string): Sample[] {
  if (!Array.isArray(rows)) throw new Error(`${field} is not a list`);
  return rows.map((r: unknown, i): Sample => {
    if (!Array.isArray(r) || typeof r[0] !== "string" || typeof r[1] !== "string" || typeof r[2] !== "object" || r[2] === null || typeof r[3] !== "number") throw new Error(`${field}[${i}] is not [family, name, labels, value]`);
    return { family: r[0], name: r[1], labels: r[2] as Record<string, string>, value: r[3] };
  });
}

function decode(b: Buffer): Flush {
  const p = JSON.parse(gunzipSync(b).toString("utf8")) as Partial<PackedV1 & PackedV2> | null;
  if (!p || typeof p !== "object" || typeof p.at !== "number") throw new Error("not a stored flush (no time)");
  if (p.v === undefined) return { at: p.at, samples: samplesOf(p.samples, "samples") };
  if (p.v !== 2) throw new Error(`stored flush version ${String(p.v)} is newer than this build reads (2)`);
  if (!Array.isArray(p.slots) || !Array.isArray(p.series) || typeof p.values !== "string") throw new Error("version 2 flush without slots, series or values");
  const raw = Buffer.from(p.values, "base64");
  if (raw.byteLength !== p.slots.length * p.series.length * 8) throw new Error(`version 2 flush holds ${raw.byteLength} value bytes for ${p.series.length} series x ${p.slots.length} slots`);
  const values = new Float64Array(raw.byteLength / 8);
  new Uint8Array(values.buffer).set(raw);
  const slots = p.slots.map(([family, name, extra]) => ({ family, name, extra: extra ? extraLabels(extra) : null }));
  const frame = new QueueFrame(slots, p.series.map((l) => labelSet(l)), values);
  return new FrameFlush(p.at, frame, samplesOf(p.rest, "rest"));
}

export const flushCodec: Codec<Flush> = { name: "metric-flush", version: 2, encode, decode, at: (f) => f.at };
