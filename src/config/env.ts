/**
 * The one table of environment variables: each sets one config field (the variable wins over the
 * file, a command-line flag wins over both). Names of the original design still work.
 */
export interface EnvBinding {
  variable: string;
  /** Where the value goes in the raw config. */
  path: string[];
  /** `append`: add an entry to a list instead of setting a field. */
  append?: (value: string) => unknown;
  /** What it is for (docs/configuration.md lists the same). */
  what: string;
}

export const ENV_TABLE: EnvBinding[] = [
  { variable: "GENESYS_CLIENT_ID", path: ["genesys", "clientId"], what: "OAuth client id (client credentials grant)" },
  { variable: "GENESYS_CLIENT_SECRET", path: ["genesys", "clientSecret"], what: "OAuth client secret" },
  { variable: "GENESYS_ORG_DOMAIN", path: ["genesys", "orgDomain"], what: "region domain, e.g. mypurecloud.ie" },
  { variable: "GENESYS_BASE_URL", path: ["genesys", "baseUrl"], what: "one host for login and API (the emulator)" },
  { variable: "QUEUE_MONITOR_TOKEN", path: ["server", "token"], what: "bearer token for the wallboard and the API" },
  { variable: "PAGERDUTY_ROUTING_KEY", path: ["alerts", "pagerduty", "routingKey"], what: "PagerDuty Events v2 routing key: turns paging on" },
  { variable: "PAGERDUTY_EVENTS_URL", path: ["alerts", "pagerduty", "eventsUrl"], what: "where PagerDuty events go" },
  { variable: "TSD_ENDPOINT", path: ["export", "sinks"], append: (url) => ({ type: "webhook", name: "tsd-endpoint", url }), what: "adds one webhook sink" },
];

/** Applies the environment to a raw config object (before validation). */
export function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const b of ENV_TABLE) {
    const v = env[b.variable];
    if (v === undefined || v === "") continue;
    if (b.append) {
      const current = getPath(raw, b.path);
      setPath(raw, b.path, [...(Array.isArray(current) ? current : []), b.append(v)]);
    } else setPath(raw, b.path, v);
  }
}

function getPath(raw: Record<string, unknown>, path: string[]): unknown {
  let o: unknown = raw;
  for (const k of path) o = typeof o === "object" && o !== null ? (o as Record<string, unknown>)[k] : undefined;
  return o;
}

/** Sets a nested value in a raw config object: setPath(raw, ["server", "listen"], "127.0.0.1:1"). */
export function setPath(raw: Record<string, unknown>, path: string[], value: unknown): void {
  let o = raw;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null || Array.isArray(o[k])) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]] = value;
}
