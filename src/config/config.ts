/**
 * Configuration: a YAML file (optional) plus environment variables, validated with zod. Every
 * error names the field and the problem. Environment names of the original design still work:
 * GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, GENESYS_ORG_DOMAIN, GENESYS_BASE_URL.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { defaultEngineSettings } from "../aggregate/engine.js";
import { formatZodError } from "./errors.js";
import { alertsSchema, applyAlertEnv, effectiveRules, unknownWindows } from "../alerts/config.js"; // alerting hook (issue 10)

const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, "expected HOST:PORT, e.g. 127.0.0.1:9464");

const d = defaultEngineSettings;

// ---- export (issue 9): push sinks; /metrics is always on -------------------------------------
const labelMap = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "label names are [a-zA-Z_][a-zA-Z0-9_]*"), z.string());
const sinkCommon = { name: z.string().min(1).optional(), url: z.string().url(), headers: z.record(z.string(), z.string()).optional() };
export const sinkSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("victoriametrics"), ...sinkCommon, extraLabels: labelMap.optional() }).strict(),
  z.object({ type: z.literal("pushgateway"), ...sinkCommon, job: z.string().min(1).default("queue-monitor"), grouping: labelMap.optional() }).strict(),
  z
    .object({
      type: z.literal("influxdb"),
      ...sinkCommon,
      database: z.string().min(1).optional(),
      retentionPolicy: z.string().min(1).optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      org: z.string().optional(),
      bucket: z.string().min(1).optional(),
      token: z.string().optional(),
      extraLabels: labelMap.optional(),
    })
    .strict()
    .refine((c) => (c.database === undefined) !== (c.bucket === undefined), "influxdb needs either database (1.x /write) or bucket (2.x /api/v2/write), not both"),
  z.object({ type: z.literal("remote-write"), ...sinkCommon, extraLabels: labelMap.optional() }).strict(),
  z.object({ type: z.literal("webhook"), ...sinkCommon }).strict(),
]);
export type SinkConfig = z.infer<typeof sinkSchema>;
const exportSchema = z
  .object({
    /** Monitor-clock seconds between flushes; each pushes the current figures timestamped with that clock. */
    flushSeconds: z.number().positive().default(60),
    /** Flushes kept per sink while it is unreachable (a week at 60 s); older ones are dropped and counted. */
    maxPendingFlushes: z.number().int().min(1).default(10_080),
    sinks: z.array(sinkSchema).default([]),
  })
  .strict()
  .default({ flushSeconds: 60, maxPendingFlushes: 10_080, sinks: [] });
export type ExportConfig = z.infer<typeof exportSchema>;
// ---- end export ------------------------------------------------------------------------------

export const configSchema = z
  .object({
    genesys: z
      .object({
        orgDomain: z.string().optional(),
        baseUrl: z.string().url().optional(),
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        /** Requests per window and token (Genesys: 300 a minute); the client paces itself under it. */
        rateLimit: z.object({ requests: z.number().int().positive().default(300), windowSeconds: z.number().positive().default(60) }).strict().optional(),
      })
      .strict()
      .default({}),
    queues: z
      .object({
        ids: z.array(z.string()).default([]),
        names: z.array(z.string()).default([]),
        patterns: z.array(z.string()).default([]),
        divisions: z.array(z.string()).default([]),
        refreshSeconds: z.number().positive().default(300),
      })
      .strict()
      .default({ ids: [], names: [], patterns: [], divisions: [], refreshSeconds: 300 }),
    stream: z
      .object({
        heartbeatSeconds: z.number().positive().default(30),
        topicsPerChannel: z.number().int().min(2).max(1000).default(1000),
        latencyAllowanceSeconds: z.number().nonnegative().default(10),
        reconnectInitialSeconds: z.number().positive().default(1),
        reconnectMaxSeconds: z.number().positive().default(60),
        rolloverMarginMinutes: z.number().positive().default(30),
        /** Events timed further than this ahead of the monitor's clock are rejected (counted in skewRejected). */
        maxClockSkewSeconds: z.number().positive().default(300),
      })
      .strict()
      .default({ heartbeatSeconds: 30, topicsPerChannel: 1000, latencyAllowanceSeconds: 10, reconnectInitialSeconds: 1, reconnectMaxSeconds: 60, rolloverMarginMinutes: 30, maxClockSkewSeconds: 300 }),
    backfill: z
      .object({
        overlapSeconds: z.number().nonnegative().default(60),
        /** Superseded by maxConversationHours; accepted so older files still load, otherwise unused. */
        lookbackMinutes: z.number().nonnegative().optional(),
        /**
         * The longest a conversation can have been in progress when one of its queue visits ends:
         * a backfill query starts this long before the gap (on the UTC day the oldest such
         * conversation began, where the details API indexes it), and events before the gap are
         * dropped on our side.
         */
        maxConversationHours: z.number().positive().default(24),
        /**
         * The settling pass re-queries (waiting twice as long each time) until two consecutive
         * passes return the same events, at most this many passes; the ingestion delay is a guess.
         */
        settleMaxPasses: z.number().int().min(1).max(20).default(6),
        /** Real seconds the details API lags behind; backfills wait this long past a gap's end. */
        ingestionDelaySeconds: z.number().nonnegative().default(30),
        /** First start: count from the start of the business day, or this many minutes back. */
        initial: z.union([z.literal("today"), z.number().nonnegative()]).default("today"),
        /**
         * Longest interval of one details query. A query that reaches the API's result cap continues
         * from its last conversation start, so chunks only cost pages (a partial last page and the
         * conversations in progress at each boundary): one day, so a first start is one query.
         */
        chunkMinutes: z.number().positive().default(1440),
        /**
         * Re-read the last this-many minutes from analytics every this-many minutes even without a
         * gap, in case the service left a notification out (delivery is unconfirmed). 0 = off:
         * each pass re-reads `maxConversationHours` too, which is costly for large organizations.
         */
        // Genesys can overlook an event in real time; re-reading the last minutes costs a few pages.
        reconcileMinutes: z.number().nonnegative().default(10),
      })
      .strict()
      .default({ overlapSeconds: 60, maxConversationHours: 24, settleMaxPasses: 6, ingestionDelaySeconds: 30, initial: "today", chunkMinutes: 1440, reconcileMinutes: 10 }),
    stats: z
      .object({
        windowsMinutes: z.array(z.number().int().min(1).max(1440)).min(1).default(d.windowsMinutes),
        intervalMinutes: z.union([z.literal(15), z.literal(30)]).default(d.intervalMinutes),
        timeZone: z.string().default(d.timeZone),
        dailyReset: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM").default(d.dailyReset),
        shortAbandonSeconds: z.number().nonnegative().default(d.shortAbandonSeconds),
        serviceLevel: z
          .object({
            includeAbandons: z.boolean().default(true),
            includeShortAbandons: z.boolean().default(false),
            includeFlowouts: z.boolean().default(false),
            thresholdSeconds: z.number().positive().optional(),
            targetPercentage: z.number().min(0).max(1).optional(),
          })
          .strict()
          .default({ includeAbandons: true, includeShortAbandons: false, includeFlowouts: false }),
        keepIntervals: z.number().int().min(1).max(96).default(d.keepIntervals),
        smoothingHalfLifeSeconds: z.number().positive().default(d.smoothingHalfLifeSeconds),
        observationMaxAgeSeconds: z.number().positive().default(d.observationMaxAgeSeconds),
      })
      .strict()
      .default({
        windowsMinutes: d.windowsMinutes,
        intervalMinutes: d.intervalMinutes,
        timeZone: d.timeZone,
        dailyReset: d.dailyReset,
        shortAbandonSeconds: d.shortAbandonSeconds,
        serviceLevel: { includeAbandons: true, includeShortAbandons: false, includeFlowouts: false },
        keepIntervals: d.keepIntervals,
        smoothingHalfLifeSeconds: d.smoothingHalfLifeSeconds,
        observationMaxAgeSeconds: d.observationMaxAgeSeconds,
      }),
    // wallboard hook (issue 11): basePath = the path prefix a reverse proxy forwards under; token = bearer token for the page and API.
    server: z
      .object({
        listen: hostPort.default("127.0.0.1:9464"),
        basePath: z
          .string()
          .regex(/^(\/[A-Za-z0-9._~-]+)*\/?$/, "a path such as /queue-monitor")
          .transform((p) => p.replace(/\/+$/, ""))
          .default(""),
        token: z.string().min(16, "at least 16 characters").optional(),
      })
      .strict()
      .default({ listen: "127.0.0.1:9464", basePath: "" }),
    state: z
      .object({
        file: z.string().min(1).default("queue-monitor.sqlite"),
        /** Keep every counted event in the log (an audit trail) instead of trimming it at checkpoints. */
        recordEvents: z.boolean().default(false),
        commitIntervalMs: z.number().int().min(10).default(500),
        checkpointSeconds: z.number().positive().default(30),
      })
      .strict()
      .default({ file: "queue-monitor.sqlite", recordEvents: false, commitIntervalMs: 500, checkpointSeconds: 30 }),
    /** "system", "emulator" (read /emulator/clock), or {start, speed}. */
    clock: z
      .union([z.literal("system"), z.literal("emulator"), z.object({ start: z.string(), speed: z.number().positive() }).strict()])
      .default("system"),
    export: exportSchema,
    alerts: alertsSchema, // alerting hook (issue 10)
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** Reads and validates; `overrides` (CLI flags) win over the file, env fills credentials. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, overrides: (c: Record<string, unknown>) => void = () => {}): Config {
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`config ${file}: cannot read: ${(e as Error).message}`, { cause: e });
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (e) {
      throw new Error(`config ${file}: not valid YAML: ${(e as Error).message}`, { cause: e });
    }
    if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`config ${file}: the top level must be a mapping`);
  }
  const genesys = { ...((raw.genesys as Record<string, unknown>) ?? {}) };
  if (env.GENESYS_CLIENT_ID) genesys.clientId = env.GENESYS_CLIENT_ID;
  if (env.GENESYS_CLIENT_SECRET) genesys.clientSecret = env.GENESYS_CLIENT_SECRET;
  if (env.GENESYS_ORG_DOMAIN) genesys.orgDomain = env.GENESYS_ORG_DOMAIN;
  if (env.GENESYS_BASE_URL) genesys.baseUrl = env.GENESYS_BASE_URL;
  raw.genesys = genesys;
  // wallboard hook (issue 11): the HTTP bearer token from the environment (systemd EnvironmentFile).
  if (env.QUEUE_MONITOR_TOKEN) raw.server = { ...((raw.server as Record<string, unknown>) ?? {}), token: env.QUEUE_MONITOR_TOKEN };
  // The original design's TSD_ENDPOINT: one webhook sink.
  if (env.TSD_ENDPOINT) {
    const ex = (typeof raw.export === "object" && raw.export !== null ? raw.export : {}) as Record<string, unknown>;
    ex.sinks = [...(Array.isArray(ex.sinks) ? ex.sinks : []), { type: "webhook", name: "tsd-endpoint", url: env.TSD_ENDPOINT }];
    raw.export = ex;
  }
  applyAlertEnv(raw, env); // alerting hook (issue 10): PAGERDUTY_ROUTING_KEY, PAGERDUTY_EVENTS_URL
  overrides(raw);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`config${file ? ` ${file}` : ""}: ${formatZodError(parsed.error)}`);
  const c = parsed.data;
  const badWindows = unknownWindows(effectiveRules(c.alerts), c.stats.windowsMinutes); // alerting hook (issue 10)
  if (badWindows.length > 0) throw new Error(`config${file ? ` ${file}` : ""}: alerts.rules: ${badWindows.join("; ")}`);
  if (!c.genesys.baseUrl && !c.genesys.orgDomain) throw new Error("config: genesys.orgDomain (GENESYS_ORG_DOMAIN) or genesys.baseUrl (GENESYS_BASE_URL) is required");
  if (!c.genesys.clientId || !c.genesys.clientSecret) throw new Error("config: genesys.clientId and genesys.clientSecret (GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET) are required");
  return c;
}

/** Sets a nested value in a raw config object: set(raw, ["server", "listen"], "127.0.0.1:1"). */
export function setPath(raw: Record<string, unknown>, path: string[], value: unknown): void {
  let o = raw;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]] = value;
}
