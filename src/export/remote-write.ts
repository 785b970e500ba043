/**
 * Prometheus remote write 1.0: a protobuf `WriteRequest` (one TimeSeries per sample, labels
 * sorted by name with `__name__`, timestamp in ms), snappy block-compressed, POSTed with the four
 * headers the spec requires. Prometheus' receiver rejects out-of-order and duplicate samples with
 * 400 (never retried: dead-lettered), so the outbox drains strictly in order.
 */
import protobuf from "protobufjs";
import { compressSync, uncompressSync } from "snappy";
import type { HttpRequest } from "../transport/http.js";
import { labelSet, protoLabel, varintSize, writeVarint, type LabelPiece } from "./labels.js";
import { eachSample, FrameFlush, type Flush } from "./samples.js";
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

const nameLabels = new Map<string, LabelPiece[]>();
/** The `__name__` label of a metric name, encoded once (names are few). */
function nameLabel(name: string): LabelPiece[] {
  let l = nameLabels.get(name);
  if (!l) {
    l = [{ key: "__name__", influx: Buffer.alloc(0), proto: protoLabel("__name__", name) }];
    if (nameLabels.size < 10_000) nameLabels.set(name, l);
  }
  return l;
}

const NONE: LabelPiece[] = [];

/**
 * The uncompressed protobuf bytes (exposed for golden tests). Written by hand: protobufjs, given
 * one object per sample, took 4.7 s for 410,000 samples (issue 12); here each label is encoded
 * once per series (./labels.ts) and copied. Same bytes as protobufjs writes (golden file, and a
 * test against protobufjs): fields in number order, fields holding their default left out.
 */
export function encodeWriteRequest(flush: Flush): Uint8Array {
  let buf = Buffer.allocUnsafe(flush instanceof FrameFlush ? flush.frame.values.length * 160 + 4096 : Math.max(1024, flush.samples.length * 160));
  let pos = 0;
  // Sample {double value = 1; int64 timestamp = 2;}: 0x09 + 8 bytes, 0x10 + varint; like
  // protobufjs, a field holding its default (+0) is left out.
  const tsLen = flush.at === 0 ? 0 : 1 + varintSize(flush.at);
  const sorted: LabelPiece[] = [];
  const write = (name: string, b: LabelPiece[], c: LabelPiece[], value: number) => {
    sorted.length = 0;
    const a = nameLabel(name);
    // Labels sorted by name: three sorted lists merged (__name__, the series', the sample's own).
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < a.length || j < b.length || k < c.length) {
      let best = -1;
      let key = "";
      if (i < a.length) {
        best = 0;
        key = a[i].key;
      }
      if (j < b.length && (best < 0 || b[j].key < key)) {
        best = 1;
        key = b[j].key;
      }
      if (k < c.length && (best < 0 || c[k].key < key)) best = 2;
      sorted.push(best === 0 ? a[i++] : best === 1 ? b[j++] : c[k++]);
    }
    const zero = Object.is(value, 0);
    const sampleLen = (zero ? 0 : 9) + tsLen;
    let seriesLen = 1 + varintSize(sampleLen) + sampleLen;
    for (const l of sorted) if (l.proto) seriesLen += l.proto.length;
    const need = 1 + varintSize(seriesLen) + seriesLen;
    if (pos + need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + need));
      buf.copy(bigger, 0, 0, pos);
      buf = bigger;
    }
    buf[pos++] = 0x0a; // WriteRequest.timeseries = 1
    pos = writeVarint(buf, pos, seriesLen);
    for (const l of sorted) {
      // TimeSeries.labels = 1 (short pieces copied by hand: cheaper than a native call each)
      const p = l.proto;
      if (!p) continue;
      if (p.length > 48) pos += p.copy(buf, pos);
      else for (let x = 0; x < p.length; x++) buf[pos++] = p[x];
    }
    buf[pos++] = 0x12; // TimeSeries.samples = 2
    pos = writeVarint(buf, pos, sampleLen);
    if (!zero) {
      buf[pos++] = 0x09;
      pos = buf.writeDoubleLE(value, pos);
    }
    if (tsLen > 0) {
      buf[pos++] = 0x10;
      pos = writeVarint(buf, pos, flush.at);
    }
  };
  eachSample(
    flush,
    (slot, series, value) => write(slot.name, series.pieces, slot.extra ? slot.extra.pieces : NONE, value),
    (s) => write(s.name, labelSet(s.labels).pieces, NONE, s.value),
  );
  return buf.subarray(0, pos);
}

export function encodeRemoteWrite(flush: Flush): Buffer {
  return compressSync(encodeWriteRequest(flush) as Buffer);
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
