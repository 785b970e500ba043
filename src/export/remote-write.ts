/**
 * Prometheus remote write 1.0: a protobuf `WriteRequest` (one TimeSeries per sample, labels
 * sorted by name with `__name__`, timestamp in ms), snappy block-compressed, POSTed with the four
 * headers the spec requires. Prometheus' receiver rejects out-of-order and duplicate samples with
 * 400 (never retried: dead-lettered), so the outbox drains strictly in order.
 */
import protobuf from "protobufjs";
import { compressSync, uncompressSync } from "snappy";
import type { HttpRequest } from "../transport/http.js";
import type { Flush } from "./samples.js";
import { withLabels, type Sink } from "./sink.js";

export interface RemoteWriteSinkConfig {
  name?: string;
  url: string;
  headers?: Record<string, string>;
  /** Added to every series, e.g. {replica: "a"} for HA pairs deduplicated at query time. */
  extraLabels?: Record<string, string>;
}

// The spec's messages (prometheus/prompb types.proto, fields used by 1.0).
const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: "repeated", type: "TimeSeries", id: 1 } } },
        TimeSeries: { fields: { labels: { rule: "repeated", type: "Label", id: 1 }, samples: { rule: "repeated", type: "Sample", id: 2 } } },
        Label: { fields: { name: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
        Sample: { fields: { value: { type: "double", id: 1 }, timestamp: { type: "int64", id: 2 } } },
      },
    },
  },
});
const WriteRequest = root.lookupType("prometheus.WriteRequest");

export interface DecodedSeries {
  labels: { name: string; value: string }[];
  samples: { value: number; timestamp: number }[];
}

/** The uncompressed protobuf bytes (exposed for golden tests). */
export function encodeWriteRequest(flush: Flush): Uint8Array {
  const timeseries = flush.samples.map((s) => {
    const labels = [{ name: "__name__", value: s.name }];
    // The spec forbids empty label values: such a label is the same as an absent one.
    for (const [name, value] of Object.entries(s.labels)) if (value !== "") labels.push({ name, value });
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { labels, samples: [{ value: s.value, timestamp: flush.at }] };
  });
  // Plain objects of the right shape encode directly (fromObject would copy all of them first).
  return WriteRequest.encode({ timeseries }).finish();
}

export function encodeRemoteWrite(flush: Flush): Buffer {
  return compressSync(Buffer.from(encodeWriteRequest(flush)));
}

/** Decodes a snappy-compressed WriteRequest (tests, and a receiver if ever needed). */
export function decodeRemoteWrite(body: Uint8Array): DecodedSeries[] {
  const raw = uncompressSync(body) as Buffer;
  const msg = WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number, defaults: true }) as { timeseries: DecodedSeries[] };
  return msg.timeseries;
}

export function remoteWriteSink(name: string, c: RemoteWriteSinkConfig): Sink {
  return {
    name,
    type: "remote-write",
    latestOnly: false,
    request: (flush: Flush): HttpRequest => ({
      method: "POST",
      url: c.url,
      headers: {
        "content-type": "application/x-protobuf",
        "content-encoding": "snappy",
        "user-agent": "queue-monitor/0.1",
        "x-prometheus-remote-write-version": "0.1.0",
        ...c.headers,
      },
      body: encodeRemoteWrite(withLabels(flush, c.extraLabels)),
    }),
  };
}
