/**
 * The Prometheus text exposition of the samples buildSamples makes, so /metrics, the Pushgateway
 * body and every push carry exactly the same figures.
 *
 * The per-queue families (`genesys_queue_*`) are written here by hand; prom-client, the library
 * made for the job, renders the service's own `queue_monitor_*` families and its output is
 * appended. prom-client was measured too slow for the per-queue families at scale (issue 12):
 * 2.8 s for 5,000 queues x 2 media (~410,000 samples) because it escapes every label of every
 * sample and copies each sample's labels; this writer uses each series' labels escaped once
 * (./labels.ts) and writes the same bytes (golden file and a test against prom-client's output).
 *
 * `genesys_queue_answered_wait_seconds` is a summary (quantile per window, cumulative _sum and
 * _count); its cumulative buckets are the untyped family `..._bucket`: one family name cannot be
 * both a summary and a histogram, and untyped `_bucket` series with `le` are what
 * histogram_quantile() reads. `promtool check metrics` accepts the pair.
 */
import { Registry } from "prom-client";
import { escapeLabelValue } from "./labels.js";
import { FAMILIES, SeriesSample, type Family, type Sample } from "./samples.js";

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

/** `name{labels} value` of one sample. */
export function sampleLine(s: Sample): string {
  if (s instanceof SeriesSample) {
    const labels = s.extra ? (s.series.prom === "" ? s.extra.prom : s.series.prom + s.extra.promSuffix) : s.series.prom;
    return `${s.name}${labels === "" ? "" : `{${labels}}`} ${formatPromValue(s.value)}`;
  }
  let labels = "";
  for (const k in s.labels) labels += `${labels === "" ? "" : ","}${k}="${escapeLabelValue(s.labels[k])}"`;
  return `${s.name}${labels === "" ? "" : `{${labels}}`} ${formatPromValue(s.value)}`;
}

export class PrometheusExposition {
  readonly registry = new Registry();
  private readonly handWritten: { family: Family; header: string }[] = [];
  private readonly registered = new Map<string, FamilyMetric>();

  constructor(families: Family[] = FAMILIES) {
    for (const f of families) {
      if (isQueueFamily(f)) {
        const name = escapeText(f.name);
        this.handWritten.push({ family: f, header: `# HELP ${name} ${escapeText(f.help)}\n# TYPE ${name} ${f.type}` });
        continue;
      }
      const m = new FamilyMetric(f);
      this.registered.set(f.name, m);
      // prom-client's registry takes any object with name/help/type/get (its custom-metric seam).
      this.registry.registerMetric(m as unknown as Parameters<Registry["registerMetric"]>[0]);
    }
  }

  /** Renders the given samples (families not in the list are left out, empty families keep their HELP/TYPE). */
  async render(samples: Sample[]): Promise<string> {
    const mine = new Map<string, Sample[]>(this.handWritten.map((h) => [h.family.name, []]));
    for (const m of this.registered.values()) m.current = [];
    for (const s of samples) {
      const list = mine.get(s.family);
      if (list) list.push(s);
      else this.registered.get(s.family)?.current.push(s);
    }
    // prom-client's layout: each family's lines joined by "\n", families by "\n\n", a final "\n".
    const parts: string[] = [];
    for (const h of this.handWritten) {
      const list = mine.get(h.family.name)!;
      const lines = new Array<string>(list.length + 1);
      lines[0] = h.header;
      for (let i = 0; i < list.length; i++) lines[i + 1] = sampleLine(list[i]);
      parts.push(lines.join("\n"));
    }
    if (this.registered.size === 0) return `${parts.join("\n\n")}\n`;
    try {
      const rest = await this.registry.metrics();
      return parts.length === 0 ? rest : `${parts.join("\n\n")}\n\n${rest}`;
    } finally {
      for (const m of this.registered.values()) m.current = [];
    }
  }
}
