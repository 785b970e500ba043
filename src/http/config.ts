/** The `server:` section: where the monitor listens, under which path, for whom, and how many at once. */
import { z } from "zod";
import { between, wholeBetween } from "../config/fields.js";

export interface ListenAddress {
  host: string;
  port: number;
}

/** "HOST:PORT", "[v6]:PORT" -> parts; an error message naming what is wrong otherwise. */
export function parseListen(v: string): ListenAddress | string {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(v) ?? /^([^:\s[\]]+):(\d{1,5})$/.exec(v);
  if (!m) return `expected HOST:PORT or [IPv6]:PORT, e.g. 127.0.0.1:9464 or [::1]:9464, got "${v}"`;
  const port = Number(m[2]);
  if (port > 65_535) return `port ${port} is out of range (0-65535; 0 picks a free port)`;
  return { host: m[1], port };
}

const listen = z
  .string()
  .transform((v, ctx) => {
    const r = parseListen(v);
    if (typeof r === "string") {
      ctx.addIssue({ code: "custom", message: r });
      return z.NEVER;
    }
    return { ...r, text: v };
  });

/** Path segments of letters, digits and . _ ~ -, never "." or "..": a prefix a proxy can forward under. */
const basePath = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~-]+)*\/?$/, "a path such as /queue-monitor")
  .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), { message: 'no "." or ".." segments' })
  .transform((p) => p.replace(/\/+$/, ""))
  .default("");

export const tileColoursSchema = z
  .object({
    /** A tile warns when the interval's service level is within this many points above its target; below the target it is red. */
    serviceLevelWarnPoints: between(0, 100).default(5),
    /** The longest wait as a share of the queue's service-level threshold at which a tile warns, and turns red. */
    longestWaitingWarnRatio: between(0, 100).default(0.75),
    longestWaitingBreachRatio: between(0, 100).default(1),
    /** The predicted wait of the next caller as a share of the threshold at which a tile warns. */
    predictedWaitWarnRatio: between(0, 100).default(1),
    /** Callers waiting at which a tile warns, and turns red (absent: waiting does not colour it). */
    waitingWarn: wholeBetween(1, 1_000_000).optional(),
    waitingBreach: wholeBetween(1, 1_000_000).optional(),
  })
  .strict()
  .prefault({});
export type TileColours = z.infer<typeof tileColoursSchema>;

export const serverSchema = z
  .object({
    listen: listen.prefault("127.0.0.1:9464"),
    basePath,
    /** Bearer token for the page and the API (QUEUE_MONITOR_TOKEN); /healthz and /readyz stay open but say only alive / ready. */
    token: z.string().min(16, "at least 16 characters").optional(),
    /** Host header values accepted (e.g. the proxy's name); empty: any. Guards against DNS rebinding. */
    allowedHosts: z.array(z.string().min(1)).max(100).default([]),
    /** Open connections at most; past it new ones get 503 and are closed (each costs a file descriptor). */
    maxConnections: wholeBetween(1, 100_000).default(1000),
    /** Open wallboard pages (Server-Sent Events) at most. */
    maxEventStreams: wholeBetween(1, 10_000).default(200),
    /** Seconds to receive a request's headers, and an idle keep-alive connection's life. */
    headersTimeoutSeconds: between(1, 600).default(10),
    idleTimeoutSeconds: between(1, 3600).default(30),
    /** The wallboard tiles' colours, from each queue's own service-level goal (no alert rule or PagerDuty needed). */
    wallboard: tileColoursSchema,
  })
  .strict()
  .prefault({});

export type ServerConfig = z.infer<typeof serverSchema>;
