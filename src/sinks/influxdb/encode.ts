/**
 * InfluxDB line protocol: one point per sample, measurement = metric name, tags = labels (sorted,
 * empty values left out as the protocol requires), one float field `value`, millisecond timestamp.
 * 1.x: POST /write?db=&rp=&precision=ms (basic auth); 2.x: POST /api/v2/write?org=&bucket=&precision=ms
 * with `Authorization: Token`. Floats only, so a counter never meets "field type conflict".
 */
import type { HttpRequest } from "../../delivery/transport.js";
import { influxTag, type LabelPiece } from "../labels.js";
import { bodies, ByteWriter, SizeHint, type BufferPool } from "../byte-writer.js";
import { eachSample, sampleBound, type Flush } from "../samples.js";
import { joinUrl, releaseInto, withLabels, type Sink } from "../sink.js";

const sizeHint = new SizeHint(180);

export interface InfluxSinkConfig {
  name?: string;
  url: string;
  /** 1.x */
  database?: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** 2.x */
  org?: string;
  bucket?: string;
  token?: string;
  headers?: Record<string, string>;
  /** Added as tags to every point, e.g. {monitor: "a"} for HA pairs. */
  extraLabels?: Record<string, string>;
}

const escMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const measurements = new Map<string, Buffer>();
/** Metric names are few: each is escaped and encoded once. */
function measurement(name: string): Buffer {
  let m = measurements.get(name);
  if (m === undefined) {
    m = Buffer.from(escMeasurement(name), "utf8");
    if (measurements.size < 10_000) measurements.set(name, m);
  }
  return m;
}

const NONE: LabelPiece[] = [];

function mergeTags(a: LabelPiece[], b: LabelPiece[]): LabelPiece[] {
  return [...a, ...b].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}
const VALUE = Buffer.from(" value=");

export function encodeLineProtocol(flush: Flush): string {
  return encodeLineProtocolBytes(flush).toString("utf8");
}

/** The same as UTF-8 bytes (what is sent). */
export function encodeLineProtocolBytes(flush: Flush, pool?: BufferPool): Buffer {
  const w = new ByteWriter(sizeHint.next(sampleBound(flush)), pool);
  const at = Buffer.from(` ${flush.at}\n`);
  const value = (v: number) => {
    w.bytes(VALUE);
    // Line protocol floats: no NaN/Inf (samples never carry them), exponent form is accepted.
    if (Number.isFinite(v)) w.number(v);
    else w.text(String(v));
    w.bytes(at);
  };
  eachSample(
    flush,
    (slot, series, v) => {
      if (!Number.isFinite(v)) {
        w.bytes(measurement(slot.name));
        for (const p of mergeTags(series.pieces, slot.extra ? slot.extra.pieces : NONE)) w.bytes(p.influx);
        return value(v);
      }
      const m = measurement(slot.name);
      const a = series.pieces;
      const b = slot.extra ? slot.extra.pieces : NONE;
      let size = m.length + VALUE.length + at.length + 25;
      for (const p of a) size += p.influx.length;
      for (const p of b) size += p.influx.length;
      w.reserve(size);
      w.put(m);
      // Tags sorted by key: the series' and the sample's own (each sorted, escaped once) merged.
      let i = 0;
      let j = 0;
      while (i < a.length || j < b.length) {
        if (j >= b.length || (i < a.length && a[i].key <= b[j].key)) w.put(a[i++].influx);
        else w.put(b[j++].influx);
      }
      w.put(VALUE);
      w.putNumber(v);
      w.put(at);
    },
    (s) => {
      w.bytes(measurement(s.name));
      for (const k of Object.keys(s.labels).sort()) w.text(influxTag(k, s.labels[k]));
      value(s.value);
    },
  );
  return sizeHint.last(w.result());
}

export function influxSink(name: string, c: InfluxSinkConfig): Sink {
  const v2 = c.bucket !== undefined;
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8", ...c.headers };
  let url: string;
  if (v2) {
    url = joinUrl(c.url, `/api/v2/write?${new URLSearchParams({ ...(c.org ? { org: c.org } : {}), bucket: c.bucket!, precision: "ms" })}`);
    if (c.token) headers.authorization = `Token ${c.token}`;
  } else {
    url = joinUrl(c.url, `/write?${new URLSearchParams({ db: c.database!, ...(c.retentionPolicy ? { rp: c.retentionPolicy } : {}), precision: "ms" })}`);
    if (c.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password ?? ""}`).toString("base64")}`;
  }
  const pool = bodies;
  return {
    name,
    type: "influxdb",
    latestOnly: false,
    request: (flush: Flush): HttpRequest => ({ method: "POST", url, headers, body: encodeLineProtocolBytes(withLabels(flush, c.extraLabels), pool) }),
    release: releaseInto(pool),
    // 1.x answers 404 to writes into a database that does not exist; CREATE DATABASE is idempotent.
    prepare: v2
      ? undefined
      : () => ({
          method: "POST",
          url: joinUrl(c.url, "/query"),
          headers: { "content-type": "application/x-www-form-urlencoded", ...(headers.authorization ? { authorization: headers.authorization } : {}) },
          body: new URLSearchParams({ q: `CREATE DATABASE "${c.database!.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` }).toString(),
        }),
  };
}
