/**
 * The `alerts:` section: rules on any figure of the statistics engine and the PagerDuty Events v2
 * destination. Each rule is validated on its own so an error names the rule and the field
 * ("alerts.rules.1 (rule "slow-support").threshold: expected number").
 */
import { z } from "zod";

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
] as const;
export type FigureName = (typeof FIGURES)[number];

/** Figures over a window (rolling "15m" etc. or the current "interval"); the others are "now". */
export const WINDOWED: ReadonlySet<FigureName> = new Set(["answeredWaitP50", "answeredWaitP90", "answeredWaitP95", "answeredWaitP99", "asa", "serviceLevel", "abandonRate"]);

const pattern = z.string().refine((p) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}, "not a valid regular expression");

const selector = z
  .object({ ids: z.array(z.string()).default([]), names: z.array(z.string()).default([]), patterns: z.array(pattern).default([]) })
  .strict()
  .default({ ids: [], names: [], patterns: [] });

export const ruleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, "1-100 characters of A-Z a-z 0-9 _ . : -"),
    figure: z.enum(FIGURES),
    /** "5m", "15m", ... (one of stats.windowsMinutes) or "interval" (the current interval); windowed figures only. */
    window: z.string().regex(/^(\d+m|interval)$/, 'expected "<minutes>m" or "interval"').optional(),
    comparison: z.enum([">", ">=", "<", "<="]).default(">"),
    threshold: z.number(),
    /** Hysteresis: the rule clears once the figure is no longer beyond this (default: threshold). */
    clearThreshold: z.number().optional(),
    /** Monitor-clock seconds the breach must last before firing. */
    forSeconds: z.number().nonnegative().default(120),
    /** Monitor-clock seconds the clear must last before resolving. */
    clearForSeconds: z.number().nonnegative().default(300),
    severity: z.enum(["critical", "error", "warning", "info"]).default("error"),
    /** Calls behind a windowed figure needed before it can breach (one early call must not page). */
    minSamples: z.number().int().nonnegative().default(10),
    queues: selector,
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
    tickSeconds: z.number().positive().default(10),
    /** Rules; empty: the default rule (when PagerDuty is configured). */
    rules: rulesSchema.optional(),
    /** Resolved alerts stay visible in /api/alerts this long (monitor-clock seconds). */
    keepResolvedSeconds: z.number().nonnegative().default(3600),
    pagerduty: z
      .object({
        /** PAGERDUTY_ROUTING_KEY: the integration key (32 characters). Unset: alerts are evaluated but not sent. */
        routingKey: z.string().length(32, "a PagerDuty routing (integration) key has 32 characters").optional(),
        /** PAGERDUTY_EVENTS_URL. */
        eventsUrl: z.string().url().default("https://events.pagerduty.com/v2/enqueue"),
        /** payload.source; the same on both monitors of a pair is fine (dedup keys never include it). */
        source: z.string().min(1).default("queue-monitor"),
        /** Real seconds between delivery retries at most (backoff cap). */
        retryMaxSeconds: z.number().positive().default(60),
        maxPendingEvents: z.number().int().min(1).default(10_000),
      })
      .strict()
      .default({ eventsUrl: "https://events.pagerduty.com/v2/enqueue", source: "queue-monitor", retryMaxSeconds: 60, maxPendingEvents: 10_000 }),
  })
  .strict()
  .default({
    tickSeconds: 10,
    keepResolvedSeconds: 3600,
    pagerduty: { eventsUrl: "https://events.pagerduty.com/v2/enqueue", source: "queue-monitor", retryMaxSeconds: 60, maxPendingEvents: 10_000 },
  });
export type AlertsConfig = z.infer<typeof alertsSchema>;

/** The rules in force: the configured ones, else the default rule when PagerDuty is configured. */
export function effectiveRules(c: AlertsConfig): Rule[] {
  if (c.rules !== undefined) return c.rules;
  return c.pagerduty.routingKey ? [defaultRule] : [];
}

/** Applies PAGERDUTY_ROUTING_KEY / PAGERDUTY_EVENTS_URL to a raw config object (env wins). */
export function applyAlertEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  if (!env.PAGERDUTY_ROUTING_KEY && !env.PAGERDUTY_EVENTS_URL) return;
  const a = (typeof raw.alerts === "object" && raw.alerts !== null ? raw.alerts : {}) as Record<string, unknown>;
  const pd = (typeof a.pagerduty === "object" && a.pagerduty !== null ? a.pagerduty : {}) as Record<string, unknown>;
  if (env.PAGERDUTY_ROUTING_KEY) pd.routingKey = env.PAGERDUTY_ROUTING_KEY;
  if (env.PAGERDUTY_EVENTS_URL) pd.eventsUrl = env.PAGERDUTY_EVENTS_URL;
  a.pagerduty = pd;
  raw.alerts = a;
}

/** Windows the rules read that the engine does not keep (checked at start against stats.windowsMinutes). */
export function unknownWindows(rules: Rule[], windowsMinutes: number[]): string[] {
  const have = new Set(windowsMinutes.map((m) => `${m}m`));
  return rules.filter((r) => r.window !== undefined && r.window !== "interval" && !have.has(r.window)).map((r) => `rule "${r.name}": window: ${r.window} is not one of stats.windowsMinutes (${[...have].join(", ")})`);
}
