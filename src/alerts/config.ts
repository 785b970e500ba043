/**
 * The `alerts:` section: rules on any figure of the statistics engine and the PagerDuty Events v2
 * destination. Each rule is validated on its own so an error names the rule and the field
 * ("alerts.rules.1 (rule "slow-support").threshold: expected number").
 */
import { z } from "zod";
import { between, destinationUrl, wholeBetween } from "../config/fields.js";
import { globToRegExp, selectorSchema, type QueueRef } from "../select/queue-selector.js";

export const FIGURES = [
  "answeredWaitP50",
  "answeredWaitP90",
  "answeredWaitP95",
  "answeredWaitP99",
  "asa",
  "serviceLevel",
  "abandonRate",
  "waiting",
  "longestWaiting",
  "waitingNobodyInteracting",
  "agentsOnQueue",
  "agentsIdle",
  "waitingNoIdleAgent",
  "predictedWait",
  "forecastIntervalServiceLevel",
  "forecastAnsweredWaitP90",
] as const;
export type FigureName = (typeof FIGURES)[number];

/** Figures over a window (rolling "15m" etc. or the current "interval"); the others are "now". */
export const WINDOWED: ReadonlySet<FigureName> = new Set(["answeredWaitP50", "answeredWaitP90", "answeredWaitP95", "answeredWaitP99", "asa", "serviceLevel", "abandonRate"]);

export const ruleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, "1-100 characters of A-Z a-z 0-9 _ . : -"),
    figure: z.enum(FIGURES),
    /** "5m", "15m", ... (one of stats.windowsMinutes) or "interval" (the current interval); windowed figures only. */
    window: z.string().regex(/^(\d+m|interval)$/, 'expected "<minutes>m" or "interval"').optional(),
    comparison: z.enum([">", ">=", "<", "<="]).default(">"),
    threshold: z.number().refine(Number.isFinite, "expected a finite number"),
    /** Hysteresis: the rule clears once the figure is no longer beyond this (default: threshold). */
    clearThreshold: z.number().refine(Number.isFinite, "expected a finite number").optional(),
    /** Monitor-clock seconds the breach must last before firing. */
    forSeconds: between(0, 86_400).default(120),
    /** Monitor-clock seconds the clear must last before resolving. */
    clearForSeconds: between(0, 86_400).default(300),
    severity: z.enum(["critical", "error", "warning", "info"]).default("error"),
    /** Calls behind a windowed figure needed before it can breach (one early call must not page). */
    minSamples: wholeBetween(0, 1_000_000).default(10),
    /** Which queues (the project's one selector: ids, names, anchored case-insensitive glob patterns, regex, divisions). */
    queues: selectorSchema,
    /** Media types (lower case); empty: all. */
    media: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (WINDOWED.has(r.figure) && r.window === undefined) ctx.addIssue({ code: "custom", path: ["window"], message: `${r.figure} needs a window ("15m", "interval", ...)` });
    if (!WINDOWED.has(r.figure) && r.window !== undefined) ctx.addIssue({ code: "custom", path: ["window"], message: `${r.figure} is a "now" figure and takes no window` });
    if (r.clearThreshold !== undefined) {
      const above = r.comparison === ">" || r.comparison === ">=";
      if (above ? r.clearThreshold > r.threshold : r.clearThreshold < r.threshold) {
        ctx.addIssue({ code: "custom", path: ["clearThreshold"], message: `must be on the clear side of threshold ${r.threshold} (comparison ${r.comparison})` });
      }
    }
  });
export type Rule = z.infer<typeof ruleSchema>;

/** The original design's rule: p90 answered wait over 15 minutes above 60 s. */
export const defaultRule: Rule = ruleSchema.parse({
  name: "p90-answered-wait",
  figure: "answeredWaitP90",
  window: "15m",
  comparison: ">",
  threshold: 60,
  clearThreshold: 60,
  forSeconds: 120,
  clearForSeconds: 300,
  severity: "error",
  minSamples: 10,
});

/** Parses each rule alone so that an error can name it; duplicate names are refused (they key dedup). */
const rulesSchema = z.array(z.unknown()).transform((items, ctx): Rule[] => {
  const out: Rule[] = [];
  const names = new Set<string>();
  items.forEach((item, i) => {
    const name = typeof item === "object" && item !== null && typeof (item as { name?: unknown }).name === "string" ? (item as { name: string }).name : `#${i + 1}`;
    const r = ruleSchema.safeParse(item);
    if (!r.success) {
      for (const issue of r.error.issues) ctx.addIssue({ code: "custom", path: [i, ...issue.path], message: `rule "${name}": ${issue.path.join(".") || "(rule)"}: ${issue.message}` });
      return;
    }
    if (names.has(r.data.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `rule "${name}": name: used by another rule` });
    names.add(r.data.name);
    out.push(r.data);
  });
  return out;
});

export const alertsSchema = z
  .object({
    /** Monitor-clock seconds between evaluations. */
    tickSeconds: between(0.1, 3600).default(10),
    /** Rules; empty: the default rule (when PagerDuty is configured). */
    rules: rulesSchema.optional(),
    /** Resolved alerts stay visible in /api/alerts this long (monitor-clock seconds). */
    keepResolvedSeconds: between(0, 7 * 86_400).default(3600),
    pagerduty: z
      .object({
        /** PAGERDUTY_ROUTING_KEY: the integration key (32 characters). Unset: alerts are evaluated but not sent. */
        routingKey: z.string().length(32, "a PagerDuty routing (integration) key has 32 characters").optional(),
        /** PAGERDUTY_EVENTS_URL. */
        eventsUrl: destinationUrl.default("https://events.pagerduty.com/v2/enqueue"),
        /** payload.source; the same on both monitors of a pair is fine (dedup keys never include it). */
        source: z.string().min(1).default("queue-monitor"),
        /** Real seconds between delivery retries at most (backoff cap). */
        retryMaxSeconds: between(1, 3600).default(60),
        maxPendingEvents: wholeBetween(1, 1_000_000).default(10_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
export type AlertsConfig = z.infer<typeof alertsSchema>;

/** The rules in force: the configured ones, else the default rule when PagerDuty is configured. */
export function effectiveRules(c: AlertsConfig): Rule[] {
  if (c.rules !== undefined) return c.rules;
  return c.pagerduty.routingKey ? [defaultRule] : [];
}

/** Windows the rules read that the engine does not keep (checked at start against stats.windowsMinutes). */
export function unknownWindows(rules: Rule[], windowsMinutes: number[]): string[] {
  const have = new Set(windowsMinutes.map((m) => `${m}m`));
  return rules.filter((r) => r.window !== undefined && r.window !== "interval" && !have.has(r.window)).map((r) => `rule "${r.name}": window: ${r.window} is not one of stats.windowsMinutes (${[...have].join(", ")})`);
}

/**
 * A rule's `patterns` were unanchored, case-sensitive regular expressions before they became the
 * shared selector's globs. Where the two readings select different queues, say so at start (with
 * the rule's name and what it selects now), so nobody loses an alert to the change unawares.
 */
export function patternReadingChanges(rules: Rule[], queues: QueueRef[]): string[] {
  const out: string[] = [];
  for (const r of rules) {
    const patterns = r.queues.spec.patterns;
    if (patterns.length === 0) continue;
    const asRegex = patterns.flatMap((p) => {
      try {
        return [new RegExp(p)];
      } catch {
        return [];
      }
    });
    const globs = patterns.map(globToRegExp);
    const now = queues.filter((q) => globs.some((g) => g.test(q.name))).map((q) => q.name);
    const before = queues.filter((q) => asRegex.some((x) => x.test(q.name))).map((q) => q.name);
    if (now.join("\u0000") === before.join("\u0000")) continue;
    out.push(
      `rule "${r.name}": queues.patterns ${JSON.stringify(patterns)} are anchored, case-insensitive globs (as in queues:); they now select ${now.length ? now.join(", ") : "no queue"}` +
        ` (read as regular expressions they selected ${before.length ? before.join(", ") : "no queue"}; write them under queues.regex to keep that reading)`,
    );
  }
  return out;
}
