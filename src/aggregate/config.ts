/** The `stats:` section: windows, intervals, the business day and the service-level formula. */
import { z } from "zod";
import { between, wholeBetween } from "../config/fields.js";

function knownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const statsSchema = z
  .object({
    /** Rolling windows, whole minutes (each a running sum over the minute ring). */
    windowsMinutes: z
      .array(wholeBetween(1, 1440))
      .min(1)
      .max(12)
      .default([5, 15, 60])
      .refine((w) => new Set(w).size === w.length, { message: "each window once (duplicates would be served under one name)" }),
    intervalMinutes: z.union([z.literal(15), z.literal(30)]).default(30),
    timeZone: z.string().refine(knownTimeZone, { message: "not an IANA time zone (e.g. Europe/Dublin)" }).default("UTC"),
    dailyReset: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM").default("00:00"),
    shortAbandonSeconds: between(0, 3600).default(10),
    /** Genesys' service-level formula switches (Admin > Contact Center > Analytics), and overrides of every queue's own goal. */
    serviceLevel: z
      .object({
        includeAbandons: z.boolean().default(true),
        includeShortAbandons: z.boolean().default(false),
        includeFlowouts: z.boolean().default(false),
        thresholdSeconds: between(0.001, 86_400).optional(),
        targetPercentage: between(0, 1).optional(),
      })
      .strict()
      .prefault({}),
    /** Used until a queue's own mediaSettings are known. */
    defaultServiceLevel: z
      .object({ percentage: between(0, 1).default(0.8), thresholdSeconds: between(0.001, 86_400).default(20) })
      .strict()
      .prefault({}),
    keepIntervals: wholeBetween(1, 96).default(4),
    smoothingHalfLifeSeconds: between(1, 86_400).default(300),
    observationMaxAgeSeconds: between(1, 86_400).default(120),
  })
  .strict()
  .prefault({});

export type EngineSettings = z.infer<typeof statsSchema>;

/** The engine's settings when nothing is configured (benchmarks, replay, tests). */
export const defaultEngineSettings: EngineSettings = statsSchema.parse(undefined);
