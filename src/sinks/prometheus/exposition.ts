/**
 * The Prometheus text exposition of the samples buildSamples makes, so /metrics, the Pushgateway
 * body and every push carry exactly the same figures.
 *
 * The per-queue families (`genesys_queue_*`) are written here by hand; prom-client, the library
 * made for the job, renders the service's own `queue_monitor_*` families and its output is
 * appended. prom-client was measured too slow for the per-queue families at scale:
 * 2.3-2.8 s of CPU for 5,000 queues x 2 media (~410,000 samples), because it escapes every label
 * of every sample from a labels object made per sample, and joins 410,000 line strings. This
 * writer walks the figures' frame (no object per sample), copies each series' labels escaped
 * once (./labels.ts) and writes bytes (./byte-writer.ts): ~0.2 s for the same text, byte for
 * byte (golden file; tests and the export bench compare it with prom-client's output).
 *
 * `genesys_queue_answered_wait_seconds` is a summary (quantile per window, cumulative _sum and
 * _count); its cumulative buckets are the untyped family `..._bucket`: one family name cannot be
 * both a summary and a histogram, and untyped `_bucket` series with `le` are what
 * histogram_quantile() reads. `promtool check metrics` accepts the pair.
 */
import { Registry } from "prom-client";
import { ByteWriter, utf8, type BufferPool } from "../byte-writer.js";
import { escapeLabelValue, type LabelSet } from "../labels.js";
import { FAMILIES, FrameFlush, SeriesSample, type Family, type Sample, type Slot } from "../samples.js";

export const contentType = Registry.PROMETHEUS_CONTENT_TYPE;

interface FamilyValues {
  name: string;
  help: string;
  type: string;
  aggregator: "sum";
  values: { labels: Record<string, string>; value: number; metricName?: string }[];
}

/** A prom-client metric whose values are whatever the last collection put in it. */
class FamilyMetric {
  readonly aggregator = "sum" as const;
  current: Sample[] = [];
  constructor(readonly family: Family) {}
  get name(): string {
    return this.family.name;
  }
  get help(): string {
    return this.family.help;
  }
  get type(): string {
    return this.family.type;
  }
  async get(): Promise<FamilyValues> {
    return {
      name: this.family.name,
      help: this.family.help,
      type: this.family.type,
      aggregator: "sum",
      values: this.current.map((s) => (s.name === s.family ? { labels: s.labels, value: s.value } : { labels: s.labels, value: s.value, metricName: s.name })),
    };
  }
}

/** Families written by hand: the per-queue ones (thousands of series each). */
const isQueueFamily = (f: Family) => f.name.startsWith("genesys_queue_");

/** As prom-client writes HELP text and metric names (backslash and newline escaped). */
const escapeText = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

/** As prom-client writes a value (its spelling of NaN included; samples never carry one). */
export function formatPromValue(v: number): string {
  if (Number.isNaN(v)) return "Nan";
  if (!Number.isFinite(v)) return v < 0 ? "-Inf" : "+Inf";
  return `${v}`;
}

/** `name{labels} value` of a sample that is not a per-queue one (labels escaped here). */
function plainLine(s: Sample): string {
  let labels = "";
  for (const k in s.labels) labels += `${labels === "" ? "" : ","}${k}="${escapeLabelValue(s.labels[k])}"`;
  return `${s.name}${labels === "" ? "" : `{${labels}}`} ${formatPromValue(s.value)}`;
}

const LBRACE = 0x7b;
const RBRACE_SPACE = Buffer.from("} ");
const NL = 0x0a;
const SEP = Buffer.from("\n\n");

/** Writes `name{labels} value` of a per-queue sample (no newline): its labels escaped once per series. */
export function writeSeriesSample(w: ByteWriter, slot: Slot, series: LabelSet, value: number): void {
  if (!Number.isFinite(value)) {
    w.text(plainLine({ family: slot.family, name: slot.name, labels: slot.extra ? { ...series.labels, ...slot.extra.labels } : series.labels, value }));
    return;
  }
  const name = utf8(slot.name);
  const own = series.promBytes;
  const extra = slot.extra ? (own.length === 0 ? slot.extra.promBytes : slot.extra.promSuffixBytes) : null;
  // One check for the whole line, then unchecked writes.
  w.reserve(name.length + own.length + (extra ? extra.length : 0) + 32);
  w.put(name);
  if (extra) {
    w.putByte(LBRACE);
    w.put(own);
    w.put(extra);
    w.put(RBRACE_SPACE);
  } else if (own.length > 0) {
    w.putByte(LBRACE);
    w.put(own);
    w.put(RBRACE_SPACE);
  } else w.putByte(0x20);
  w.putNumber(value);
}

/** Writes `name{labels} value` of one sample (no newline). */
export function writeSample(w: ByteWriter, s: Sample): void {
  if (s instanceof SeriesSample) writeSeriesSample(w, s, s.series, s.value);
  else w.text(plainLine(s));
}

export class PrometheusExposition {
  readonly registry = new Registry();
  private readonly handWritten: { family: Family; index: number; header: Buffer }[] = [];
  private readonly registered = new Map<string, FamilyMetric>();
  /** The last body's size: the next one's buffer starts there. */
  private lastSize = 0;

  constructor(families: Family[] = FAMILIES) {
    for (const f of families) {
      if (isQueueFamily(f)) {
        const name = escapeText(f.name);
        this.handWritten.push({ family: f, index: FAMILIES.findIndex((x) => x.name === f.name), header: Buffer.from(`# HELP ${name} ${escapeText(f.help)}\n# TYPE ${name} ${f.type}`, "utf8") });
        continue;
      }
      const m = new FamilyMetric(f);
      this.registered.set(f.name, m);
      // prom-client's registry takes any object with name/help/type/get (its custom-metric seam).
      this.registry.registerMetric(m as unknown as Parameters<Registry["registerMetric"]>[0]);
    }
  }

  /** Renders the given samples (families not in the list are left out, empty families keep their HELP/TYPE). */
  async render(samples: Sample[] | FrameFlush): Promise<string> {
    return (await this.renderBytes(samples)).toString("utf8");
  }

  /** The same as UTF-8 bytes (what /metrics and the Pushgateway send); a FrameFlush is walked without its samples. */
  async renderBytes(input: Sample[] | FrameFlush, pool?: BufferPool): Promise<Buffer> {
    const frame = input instanceof FrameFlush ? input.frame : null;
    const samples = input instanceof FrameFlush ? input.rest : input;
    const mine = new Map<string, Sample[]>(this.handWritten.map((h) => [h.family.name, []]));
    for (const m of this.registered.values()) m.current = [];
    for (const s of samples) {
      const list = mine.get(s.family);
      if (list) list.push(s);
      else this.registered.get(s.family)?.current.push(s);
    }
    // prom-client's layout: each family's lines joined by "\n", families by "\n\n", a final "\n".
    const w = new ByteWriter(Math.ceil(this.lastSize * 1.1) + 64 * 1024, pool);
    const line = (slot: Slot, series: LabelSet, value: number) => {
      w.byte(NL);
      writeSeriesSample(w, slot, series, value);
    };
    for (const [i, h] of this.handWritten.entries()) {
      if (i > 0) w.bytes(SEP);
      w.bytes(h.header);
      frame?.forEachIn(h.index, line);
      for (const s of mine.get(h.family.name)!) {
        w.byte(NL);
        writeSample(w, s);
      }
    }
    if (this.registered.size === 0) w.byte(NL);
    else {
      try {
        const rest = await this.registry.metrics();
        if (this.handWritten.length > 0) w.bytes(SEP);
        w.text(rest);
      } finally {
        for (const m of this.registered.values()) m.current = [];
      }
    }
    this.lastSize = w.length;
    return w.result();
  }
}
