/**
 * Prometheus Pushgateway: the current figures as a text exposition (no timestamps: the gateway
 * refuses them), PUT to /metrics/job/<job>{/<label>/<value>} so each push replaces the group.
 * Grouping values containing "/" or empty use the `<label>@base64/<base64url>` form (URL-encoding
 * "/" as %2F is refused by the gateway; prom-client's Pushgateway client has no @base64).
 * The gateway keeps only the latest push, so after an outage only the newest waiting flush is sent.
 */
import type { HttpRequest } from "../../delivery/transport.js";
import { PrometheusExposition } from "../prometheus/exposition.js";
import { FrameFlush, type Flush } from "../samples.js";
import { bodies } from "../byte-writer.js";
import { joinUrl, releaseInto, type Sink } from "../sink.js";

export interface PushgatewaySinkConfig {
  name?: string;
  url: string;
  job: string;
  /** More grouping-key labels, e.g. {instance: "monitor-a"}. */
  grouping?: Record<string, string>;
  headers?: Record<string, string>;
}

function segment(label: string, value: string): string {
  if (value === "") return `/${label}@base64/=`;
  if (value.includes("/")) return `/${label}@base64/${Buffer.from(value, "utf8").toString("base64url")}`;
  return `/${label}/${encodeURIComponent(value)}`;
}

/** /metrics/job/<job>/<label>/<value>..., base64url where a plain segment cannot carry the value. */
export function groupingPath(job: string, grouping: Record<string, string> = {}): string {
  if (job === "") throw new Error("pushgateway job must not be empty");
  return `/metrics${segment("job", job)}${Object.entries(grouping)
    .map(([k, v]) => segment(k, v))
    .join("")}`;
}

const exposition = new PrometheusExposition();

export async function encodePushgateway(flush: Flush): Promise<string> {
  return exposition.render(flush instanceof FrameFlush ? flush : flush.samples);
}

export function pushgatewaySink(name: string, c: PushgatewaySinkConfig): Sink {
  const url = joinUrl(c.url, groupingPath(c.job, c.grouping));
  const pool = bodies;
  return {
    release: releaseInto(pool),
    name,
    type: "pushgateway",
    latestOnly: true,
    request: async (flush: Flush): Promise<HttpRequest> => ({ method: "PUT", url, headers: { "content-type": "text/plain; version=0.0.4", ...c.headers }, body: await exposition.renderBytes(flush instanceof FrameFlush ? flush : flush.samples, pool) }),
  };
}
