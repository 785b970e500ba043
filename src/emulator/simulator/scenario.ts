/**
 * Scenarios: what the simulated contact center looks like. Named ones ship with the emulator
 * (scenarios.ts); a YAML or JSON file with the same shape can be given instead (`--scenario FILE`).
 * Times in a scenario (surges, shifts, breaks) are minutes from the simulation's start; with
 * `cycleMinutes` that timeline repeats.
 */
import { z } from "zod";

const mediaTypes = ["voice", "callback", "chat", "email", "message"] as const;
export type SimMediaType = (typeof mediaTypes)[number];

/** A group of agents who log on at `startMinute` and off at `endMinute`, each taking one break. */
const shiftSchema = z
  .object({
    /** Names the agents ("Support Late 2"); default "Shift N". */
    name: z.string().min(1).optional(),
    agents: z.number().int().positive(),
    startMinute: z.number().nonnegative().default(0),
    /** Omit for a shift that lasts the whole run (or the whole cycle). */
    endMinute: z.number().positive().optional(),
    /** Minutes after the shift start at which its first agent goes on break; omit for no breaks. */
    breakAfterMinutes: z.number().nonnegative().optional(),
    breakMinutes: z.number().positive().default(15),
    /** Each further agent's break starts this much later, so the shift is never all away at once. */
    breakStaggerMinutes: z.number().nonnegative().default(2),
  })
  .refine((s) => s.endMinute === undefined || s.endMinute > s.startMinute, { message: "endMinute must be after startMinute", path: ["endMinute"] });

const queueSchema = z.object({
  name: z.string().min(1),
  division: z.string().default("Home"),
  /** Mean arrivals per simulated hour (Poisson). */
  arrivalsPerHour: z.number().nonnegative(),
  /** Optional 24 multipliers of the rate, by hour of the (UTC) virtual day. */
  hourlyProfile: z.array(z.number().nonnegative()).length(24).optional(),
  /** Share of arrivals per media type; defaults to voice only. */
  media: z.partialRecord(z.enum(mediaTypes), z.number().positive()).default({ voice: 1 }),
  /** Agents logged on and on queue the whole run. */
  agents: z.number().int().nonnegative(),
  /** More agents, logged on only during their shift (and not during their break). */
  shifts: z.array(shiftSchema).default([]),
  /** Mean handle (talk) time, seconds; lognormal with this coefficient of variation (0 = exponential). */
  handleSeconds: z.number().positive(),
  handleCv: z.number().nonnegative().default(0),
  /** Mean caller patience, seconds (exponential); omit for callers who never hang up. */
  patienceSeconds: z.number().positive().optional(),
  /** Waiting longer than this flows the call out (to voicemail); omit for never. */
  flowOutAfterSeconds: z.number().positive().optional(),
  /** Voice only: mean seconds in the inbound IVR flow before the queue (exponential); 0 = no IVR. */
  ivrSeconds: z.number().nonnegative().default(0),
  /** Flow-outs go to this queue (an in-queue flow transfer) with probability flowOutToShare, else to voicemail. */
  flowOutTo: z.string().optional(),
  flowOutToShare: z.number().min(0).max(1).default(1),
  /** This queue's agents also take calls from these queues (after their own): one agent can meet a call on two queues. */
  alsoServes: z.array(z.string()).optional(),
  /** Ring time before an agent answers, seconds (uniform 0..2x mean); 0 answers at once. */
  alertSeconds: z.number().nonnegative().default(0),
  /** Probability that an alerted agent does not answer (the call is re-queued). */
  noAnswerProbability: z.number().min(0).max(1).default(0),
  /**
   * This queue's agents, when an alert times out on them, stay NOT_RESPONDING (no calls) for
   * 0.5x..1.5x this long; 0 = they are routable again at once. A declined alert never does this.
   */
  notRespondingSeconds: z.number().nonnegative().default(0),
  /** Non-ACD calls this queue's agents take while idle (COMMUNICATING), per agent and hour; 0 = none. */
  directCallsPerAgentHour: z.number().nonnegative().default(0),
  /** Mean length of such a call, seconds (exponential). */
  directCallSeconds: z.number().positive().default(120),
  /** Probability that an answered call is transferred to `transferTo` at the end of handling. */
  transferProbability: z.number().min(0).max(1).default(0),
  transferTo: z.string().optional(),
  /** Service level goal, as in the queue's mediaSettings. */
  serviceLevel: z.object({ percentage: z.number().min(0).max(1), durationMs: z.number().int().positive() }).default({
    percentage: 0.8,
    durationMs: 20_000,
  }),
});

/** A queue's arrival rate times `factor` in the window; with `rampMinutes`, linearly in and out of it at both ends. */
const surgeSchema = z.object({
  queue: z.string(),
  startMinute: z.number().nonnegative(),
  durationMinutes: z.number().positive(),
  factor: z.number().nonnegative(),
  rampMinutes: z.number().nonnegative().default(0),
});

export const scenarioSchema = z.object({
  name: z.string().default("custom"),
  description: z.string().default(""),
  queues: z.array(queueSchema).min(1),
  surges: z.array(surgeSchema).default([]),
  /** The surges, shifts and breaks repeat every this many minutes (omit: they happen once). */
  cycleMinutes: z.number().positive().optional(),
});

export type QueueSpec = z.infer<typeof queueSchema>;
export type ShiftSpec = z.infer<typeof shiftSchema>;
export type SurgeSpec = z.infer<typeof surgeSchema>;
export const queueSpecSchema = queueSchema;
export type Scenario = z.infer<typeof scenarioSchema>;

/** Problems of a queue's shifts against the scenario's cycle: each shift must fit in the cycle. */
export function shiftProblems(spec: QueueSpec, cycleMinutes: number | undefined): string[] {
  if (cycleMinutes === undefined) return [];
  return spec.shifts.flatMap((s, i) =>
    s.startMinute >= cycleMinutes || (s.endMinute ?? 0) > cycleMinutes ? [`queue ${spec.name}: shifts.${i} must lie within cycleMinutes (${cycleMinutes})`] : [],
  );
}
