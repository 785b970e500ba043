/**
 * The Prometheus text exposition through prom-client: a Registry of one metric object per family
 * (FAMILIES), each answering with the samples of the current collection. prom-client does the
 * escaping, HELP/TYPE lines and family grouping; the values come from buildSamples, so /metrics,
 * the Pushgateway body and every push carry exactly the same figures.
 *
 * `genesys_queue_answered_wait_seconds` is a summary (quantile per window, cumulative _sum and
 * _count); its cumulative buckets are the untyped family `..._bucket`: one family name cannot be
 * both a summary and a histogram, and untyped `_bucket` series with `le` are what
 * histogram_quantile() reads. `promtool check metrics` accepts the pair.
 */
import { Registry } from "prom-client";
import { FAMILIES, type Family, type Sample } from "./samples.js";

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

export class PrometheusExposition {
  readonly registry = new Registry();
  private readonly families = new Map<string, FamilyMetric>();

  constructor(families: Family[] = FAMILIES) {
    for (const f of families) {
      const m = new FamilyMetric(f);
      this.families.set(f.name, m);
      // prom-client's registry takes any object with name/help/type/get (its custom-metric seam).
      this.registry.registerMetric(m as unknown as Parameters<Registry["registerMetric"]>[0]);
    }
  }

  /** Renders the given samples (families not in the list are left empty). */
  async render(samples: Sample[]): Promise<string> {
    for (const m of this.families.values()) m.current = [];
    for (const s of samples) this.families.get(s.family)?.current.push(s);
    try {
      return await this.registry.metrics();
    } finally {
      for (const m of this.families.values()) m.current = [];
    }
  }
}
