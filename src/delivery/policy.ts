/**
 * Every destination's delivery numbers in one place: Genesys (the API the monitor reads), the
 * metric sinks and PagerDuty. Each is a named preset; the configuration may override any number
 * (deliveryPolicy(name, override)), never what the caller needs of an answer (`body`).
 *
 * Why the body bounds differ: a Genesys details page is about 1 MB per 100 conversations and is
 * read whole, so Genesys gets room for its largest pages; sinks and PagerDuty only ever need an
 * excerpt of an error body, and a 2xx body of theirs is not read past the bound at all.
 */
import { z } from "zod";
import type { BackoffOptions, RetryPolicy } from "./retry.js";

export type Destination = "genesys" | "sink" | "pagerduty";

export interface DeliveryPolicy {
  /** One request's attempts, timeout and the waits between them (inside the transport). */
  request: RetryPolicy;
  /** Bytes of an answer's body read at most (past it the transport stops reading). */
  maxBodyBytes: number;
  /**
   * What a caller needs of a 2xx body: "whole" (Genesys: a cut body is an HttpError of kind
   * "too-large"), or "excerpt" (sinks, PagerDuty: the write is delivered, the rest is not read).
   */
  body: "whole" | "excerpt";
  /** Between tries once a request has failed for good (a runner's drains; a service loop's tries). */
  outage: BackoffOptions;
}

const MiB = 1024 * 1024;

export const DELIVERY_PRESETS: Readonly<Record<Destination, Readonly<DeliveryPolicy>>> = {
  genesys: {
    request: { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 30_000, minDelayMs: 50, maxRetryAfterMs: 180_000, timeoutMs: 30_000 },
    maxBodyBytes: 32 * MiB,
    body: "whole",
    outage: { baseMs: 1000, capMs: 30_000, minMs: 100, maxRetryAfterMs: 180_000 },
  },
  sink: {
    request: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 5000, minDelayMs: 50, maxRetryAfterMs: 60_000, timeoutMs: 15_000 },
    maxBodyBytes: MiB / 4,
    body: "excerpt",
    outage: { baseMs: 1000, capMs: 60_000, minMs: 250, maxRetryAfterMs: 300_000 },
  },
  pagerduty: {
    request: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5000, minDelayMs: 50, maxRetryAfterMs: 300_000, timeoutMs: 15_000 },
    maxBodyBytes: MiB / 4,
    body: "excerpt",
    outage: { baseMs: 1000, capMs: 60_000, minMs: 250, maxRetryAfterMs: 300_000 },
  },
};

const ms = z.number().nonnegative();
const positiveMs = z.number().positive();

/** What the configuration may change of one destination's policy (every field optional). */
export const policyOverrideSchema = z
  .object({
    request: z
      .object({ maxAttempts: z.number().int().min(1).max(100), baseDelayMs: positiveMs, maxDelayMs: positiveMs, minDelayMs: ms, maxRetryAfterMs: ms, timeoutMs: positiveMs })
      .partial()
      .strict()
      .optional(),
    maxBodyBytes: z.number().int().min(1024).optional(),
    outage: z.object({ baseMs: positiveMs, capMs: positiveMs, minMs: ms, maxRetryAfterMs: ms }).partial().strict().optional(),
  })
  .strict();
export type PolicyOverride = z.infer<typeof policyOverrideSchema>;

/** The `delivery:` section the configuration may carry (each destination optional). */
export const deliverySchema = z.object({ genesys: policyOverrideSchema.optional(), sink: policyOverrideSchema.optional(), pagerduty: policyOverrideSchema.optional() }).strict().default({});
export type DeliveryConfig = z.infer<typeof deliverySchema>;

/**
 * A destination's preset with `overrides` applied in order (later wins). Throws an Error naming the
 * field when the result cannot work (e.g. a floor above the cap).
 */
export function deliveryPolicy(name: Destination, ...overrides: (PolicyOverride | undefined)[]): DeliveryPolicy {
  const base = DELIVERY_PRESETS[name];
  const p: DeliveryPolicy = { request: { ...base.request }, maxBodyBytes: base.maxBodyBytes, body: base.body, outage: { ...base.outage } };
  for (const o of overrides) {
    if (!o) continue;
    Object.assign(p.request, o.request);
    Object.assign(p.outage, o.outage);
    if (o.maxBodyBytes !== undefined) p.maxBodyBytes = o.maxBodyBytes;
  }
  const bad = (field: string, why: string) => {
    throw new Error(`delivery.${name}.${field}: ${why}`);
  };
  const r = p.request;
  if (r.baseDelayMs > r.maxDelayMs) bad("request.baseDelayMs", `${r.baseDelayMs} is above request.maxDelayMs ${r.maxDelayMs}`);
  if ((r.minDelayMs ?? 0) > r.maxDelayMs) bad("request.minDelayMs", `${r.minDelayMs} is above request.maxDelayMs ${r.maxDelayMs}`);
  const o = p.outage;
  if (o.baseMs > o.capMs) bad("outage.baseMs", `${o.baseMs} is above outage.capMs ${o.capMs}`);
  if ((o.minMs ?? 0) > o.capMs) bad("outage.minMs", `${o.minMs} is above outage.capMs ${o.capMs}`);
  return p;
}
