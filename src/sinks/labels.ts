/**
 * Label sets shared by many samples, so each wire format escapes a label once per series instead
 * of once per sample (5,000 queues x 2 media are ~410,000 samples per flush).
 *
 * A per-queue sample's labels are its series' own (queue_id, queue_name, media_type: a LabelSet,
 * kept while the series is) plus at most a few labels of a small fixed set (window, quantile, le, status:
 * an ExtraLabels, shared by every series). Both are interned, so a flush read back from the
 * outbox meets the same objects, with their encodings already made.
 */

export type Labels = Readonly<Record<string, string>>;

/** One label, as each encoder writes it (sorted formats merge these by key). */
export interface LabelPiece {
  key: string;
  /** InfluxDB line protocol: `,key=value` escaped, UTF-8; empty when the value is empty (left out). */
  influx: Buffer;
  /** Remote write: the whole `Label` field of a TimeSeries (tag, length, name, value); empty value = none. */
  proto: Buffer | null;
}

abstract class Encoded {
  private promText?: string;
  private promUtf8?: Buffer;
  private pieceList?: LabelPiece[];
  constructor(readonly labels: Labels) {}

  /** `prom` as UTF-8 bytes. */
  get promBytes(): Buffer {
    return (this.promUtf8 ??= Buffer.from(this.prom, "utf8"));
  }

  /** Prometheus text: `k="v",k2="v2"` (insertion order, values escaped). */
  get prom(): string {
    return (this.promText ??= Object.entries(this.labels)
      .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
      .join(","));
  }

  /** The labels sorted by key (code units), each encoded for the sorted formats. */
  get pieces(): LabelPiece[] {
    return (this.pieceList ??= Object.keys(this.labels)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((k) => piece(k, this.labels[k])));
  }
}

/** A series' own labels. */
export class LabelSet extends Encoded {}

/** Labels a sample adds to its series' (window/quantile/le). */
export class ExtraLabels extends Encoded {
  private suffix?: Buffer;
  /** `,k="v"...`: appended to the series' text. */
  get promSuffix(): string {
    return `,${this.prom}`;
  }

  get promSuffixBytes(): Buffer {
    return (this.suffix ??= Buffer.from(this.promSuffix, "utf8"));
  }
}

/** Prometheus label value escaping (text format): backslash, double quote, newline. */
export function escapeLabelValue(v: string): string {
  // Most values need nothing: one scan instead of three replaces.
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

const escInfluxKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`);
/** Line protocol forbids newlines in tag values; they become spaces (escaped). */
const escInfluxTagValue = (s: string) => escInfluxKey(s.replace(/[\r\n]+/g, " "));

export function influxTag(k: string, v: string): string {
  return v === "" ? "" : `,${escInfluxKey(k)}=${escInfluxTagValue(v)}`;
}

/** protobuf `Label {string name = 1; string value = 2;}` as field 1 of a TimeSeries (an empty string is left out, as protobufjs does). */
export function protoLabel(k: string, v: string): Buffer {
  const kb = Buffer.from(k, "utf8");
  const vb = Buffer.from(v, "utf8");
  const field = (b: Buffer) => (b.length === 0 ? 0 : 1 + varintSize(b.length) + b.length);
  const inner = field(kb) + field(vb);
  const out = Buffer.allocUnsafe(1 + varintSize(inner) + inner);
  let p = 0;
  out[p++] = 0x0a;
  p = writeVarint(out, p, inner);
  for (const [tag, b] of [[0x0a, kb], [0x12, vb]] as const) {
    if (b.length === 0) continue;
    out[p++] = tag;
    p = writeVarint(out, p, b.length);
    p += b.copy(out, p);
  }
  return out;
}

function piece(k: string, v: string): LabelPiece {
  // The remote-write spec forbids empty label values: such a label is the same as an absent one.
  return { key: k, influx: Buffer.from(influxTag(k, v), "utf8"), proto: v === "" ? null : protoLabel(k, v) };
}

export function varintSize(n: number): number {
  let s = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

/** Unsigned varint of a non-negative safe integer (division, not bit ops: values can pass 2^32). */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/**
 * Interning in two generations: a lookup promotes an entry from the older one, and the older one
 * is dropped when the newer fills, so sets of queues no longer seen are forgotten without a scan.
 */
class Interner<T> {
  private current = new Map<string, T>();
  private previous = new Map<string, T>();
  constructor(
    private readonly limit: number,
    private readonly make: (labels: Labels) => T,
  ) {}

  get(key: string, labels: () => Labels): T {
    let v = this.current.get(key);
    if (v !== undefined) return v;
    v = this.previous.get(key) ?? this.make(Object.freeze({ ...labels() }));
    if (this.current.size >= this.limit) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, v);
    return v;
  }
}

const seriesSets = new Interner(65_536, (l) => new LabelSet(l));
const extraSets = new Interner(4096, (l) => new ExtraLabels(l));

/** The interned set of these labels (keyed by content, in order: the text format keeps order). */
export function labelSet(labels: Labels): LabelSet {
  return seriesSets.get(keyOf(labels), () => labels);
}

export function extraLabels(labels: Labels): ExtraLabels {
  return extraSets.get(keyOf(labels), () => labels);
}

/** A per-queue series' labels, without building an object when it is already known. */
export function queueLabelSet(queueId: string, queueName: string, mediaType: string): LabelSet {
  // Same key as keyOf gives these labels: a flush read back from the outbox finds this set.
  return seriesSets.get(`queue_id\u0000${queueId}\u0000queue_name\u0000${queueName}\u0000media_type\u0000${mediaType}\u0000`, () => ({ queue_id: queueId, queue_name: queueName, media_type: mediaType }));
}

function keyOf(labels: Labels): string {
  let k = "";
  for (const [name, v] of Object.entries(labels)) k += `${name}\u0000${v}\u0000`;
  return k;
}
