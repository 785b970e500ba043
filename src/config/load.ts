/**
 * Loading: a YAML file (optional), then the environment (./env.ts), then command-line overrides,
 * validated as one (./schema.ts), then the checks that span sections. Every error names the file
 * and the field. The demo and replay load through here too.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { effectiveRules, unknownWindows } from "../alerts/config.js";
import { deliveryPolicy } from "../delivery/policy.js";
import { applyEnv } from "./env.js";
import { formatZodError } from "./errors.js";
import { configSchema, type Config } from "./schema.js";


export interface LoadOptions {
  /** Genesys endpoint and credentials are required unless the caller never speaks to Genesys (replay). */
  needsGenesys?: boolean;
}

/** Reads and validates; `overrides` (CLI flags, the demo's wiring) win over the file and the environment. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env, overrides: (raw: Record<string, unknown>) => void = () => {}, opts: LoadOptions = {}): Config {
  const where = `config${file ? ` ${file}` : ""}`;
  const raw = file ? readRaw(file) : {};
  applyEnv(raw, env);
  overrides(raw);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${where}: ${formatZodError(parsed.error)}`);
  const c = parsed.data;
  const badWindows = unknownWindows(effectiveRules(c.alerts), c.stats.windowsMinutes);
  if (badWindows.length > 0) throw new Error(`${where}: alerts.rules: ${badWindows.join("; ")}`);
  try {
    for (const d of ["genesys", "sink", "pagerduty"] as const) deliveryPolicy(d, c.delivery[d]);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  }
  if (opts.needsGenesys !== false) {
    if (!c.genesys.baseUrl && !c.genesys.orgDomain) throw new Error(`${where}: genesys.orgDomain (GENESYS_ORG_DOMAIN) or genesys.baseUrl (GENESYS_BASE_URL) is required`);
    if (!c.genesys.clientId || !c.genesys.clientSecret) throw new Error(`${where}: genesys.clientId and genesys.clientSecret (GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET) are required`);
  }
  return c;
}

function readRaw(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`config ${file}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new Error(`config ${file}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new Error(`config ${file}: the top level must be a mapping`);
  return raw as Record<string, unknown>;
}
