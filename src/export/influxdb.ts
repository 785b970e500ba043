/**
 * InfluxDB line protocol: one point per sample, measurement = metric name, tags = labels (sorted,
 * empty values left out as the protocol requires), one float field `value`, millisecond timestamp.
 * 1.x: POST /write?db=&rp=&precision=ms (basic auth); 2.x: POST /api/v2/write?org=&bucket=&precision=ms
 * with `Authorization: Token`. Floats only, so a counter never meets "field type conflict".
 */
import type { HttpRequest } from "../transport/http.js";
import type { Flush } from "./samples.js";
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

const escKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`);
const escMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
/** Line protocol forbids newlines in tag values; they become spaces (escaped). */
const escTagValue = (s: string) => escKey(s.replace(/[\r\n]+/g, " "));

function formatField(v: number): string {
  // Line protocol floats: no NaN/Inf (samples never carry them), exponent form is accepted.
  return String(v);
}

export function encodeLineProtocol(flush: Flush): string {
  const out: string[] = [];
  for (const s of flush.samples) {
    const tags = Object.keys(s.labels)
      .filter((k) => s.labels[k] !== "")
      .sort()
      .map((k) => `,${escKey(k)}=${escTagValue(s.labels[k])}`)
      .join("");
    out.push(`${escMeasurement(s.name)}${tags} value=${formatField(s.value)} ${flush.at}`);
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
