/**
 * VictoriaMetrics: Prometheus text lines with millisecond timestamps, POSTed to
 * /api/v1/import/prometheus. Success is 204, even for lines VictoriaMetrics could not parse and
 * skipped (it logs them), so the encoder must only ever write valid lines (golden-file tests) and
 * the integration test reads every value back.
 */
import type { HttpRequest } from "../../delivery/transport.js";
import { bodies, ByteWriter, SizeHint, type BufferPool } from "../byte-writer.js";
import { writeSeriesSample } from "../prometheus/exposition.js";
import { eachSample, sampleBound, type Flush } from "../samples.js";
import { escapeLabelValue, formatValue, joinUrl, releaseInto, type Sink } from "../sink.js";

const sizeHint = new SizeHint(180);

export interface VictoriaMetricsSinkConfig {
  name?: string;
  url: string;
  /** Added to every series by the server (`extra_label`), e.g. {monitor: "a"} for HA pairs. */
  extraLabels?: Record<string, string>;
  headers?: Record<string, string>;
}

/** One line per sample: name{labels} value timestamp_ms. */
export function encodeImportText(flush: Flush): string {
  return encodeImportBytes(flush).toString("utf8");
}

/** The same as UTF-8 bytes (what is sent). */
export function encodeImportBytes(flush: Flush, pool?: BufferPool): Buffer {
  const w = new ByteWriter(sizeHint.next(sampleBound(flush)), pool);
  const at = Buffer.from(` ${flush.at}\n`);
  eachSample(
    flush,
    (slot, series, value) => {
      // The series' labels were escaped once (./labels.ts); values are finite (buildSamples).
      writeSeriesSample(w, slot, series, value);
      w.bytes(at);
    },
    (s) => {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(",");
      w.text(`${s.name}${labels ? `{${labels}}` : ""} ${formatValue(s.value)}`);
      w.bytes(at);
    },
  );
  return sizeHint.last(w.result());
}

export function victoriaMetricsSink(name: string, c: VictoriaMetricsSinkConfig): Sink {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(c.extraLabels ?? {})) q.append("extra_label", `${k}=${v}`);
  const url = joinUrl(c.url, `/api/v1/import/prometheus${q.size ? `?${q}` : ""}`);
  const pool = bodies;
  return {
    release: releaseInto(pool),
    name,
    type: "victoriametrics",
    latestOnly: false,
    request: (flush: Flush): HttpRequest => ({ method: "POST", url, headers: { "content-type": "text/plain", ...c.headers }, body: encodeImportBytes(flush, pool) }),
  };
}
