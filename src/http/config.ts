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
  })
  .strict()
  .prefault({});

export type ServerConfig = z.infer<typeof serverSchema>;
