/**
 * InfluxDB line protocol: one point per sample, measurement = metric name, tags = labels (sorted,
 * empty values left out as the protocol requires), one float field `value`, millisecond timestamp.
 * 1.x: POST /write?db=&rp=&precision=ms (basic auth); 2.x: POST /api/v2/write?org=&bucket=&precision=ms
 * with `Authorization: Token`. Floats only, so a counter never meets "field type conflict".
 */
import type { HttpRequest } from "../transport/http.js";
import { influxTag, type LabelPiece } from "./labels.js";
import { SeriesSample, type Flush } from "./samples.js";
import { joinUrl, withLabels, type Sink } from "./sink.js";

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

const escMeasurementRaw = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const measurements = new Map<string, string>();
/** Metric names are few: each is escaped once. */
function escMeasurement(name: string): string {
  let m = measurements.get(name);
  if (m === undefined) {
    m = escMeasurementRaw(name);
    if (measurements.size < 10_000) measurements.set(name, m);
  }
  return m;
}

function formatField(v: number): string {
  // Line protocol floats: no NaN/Inf (samples never carry them), exponent form is accepted.
  return String(v);
}

/** Tags sorted by key: the series' and the sample's own pieces (each sorted, escaped once) merged. */
function seriesTags(series: LabelPiece[], extra: LabelPiece[]): string {
  let out = "";
  let i = 0;
  let j = 0;
  while (i < series.length || j < extra.length) {
    if (j >= extra.length || (i < series.length && series[i].key < extra[j].key)) out += series[i++].influx;
    else out += extra[j++].influx;
  }
  return out;
}

const NONE: LabelPiece[] = [];

export function encodeLineProtocol(flush: Flush): string {
  const out = new Array<string>(flush.samples.length);
  const at = ` ${flush.at}`;
  let i = 0;
  for (const s of flush.samples) {
    let tags: string;
    if (s instanceof SeriesSample) {
      tags = seriesTags(s.series.pieces, s.extra ? s.extra.pieces : NONE);
    } else {
      tags = Object.keys(s.labels)
        .sort()
        .map((k) => influxTag(k, s.labels[k]))
        .join("");
    }
    out[i++] = `${escMeasurement(s.name)}${tags} value=${formatField(s.value)}${at}`;
  }
  return out.length ? `${out.join("\n")}\n` : "";
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
  return {
    name,
    type: "influxdb",
    latestOnly: false,
    request: (flush: Flush): HttpRequest => ({ method: "POST", url, headers, body: encodeLineProtocol(withLabels(flush, c.extraLabels)) }),
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
