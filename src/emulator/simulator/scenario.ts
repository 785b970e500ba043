/**
 * Scenarios: what the simulated contact center looks like. Named ones ship with the emulator;
 * a YAML or JSON file with the same shape can be given instead (`--scenario FILE`).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { formatZodError } from "../../config/errors.js";

const mediaTypes = ["voice", "callback", "chat", "email", "message"] as const;
export type SimMediaType = (typeof mediaTypes)[number];

const queueSchema = z.object({
  name: z.string().min(1),
  division: z.string().default("Home"),
  /** Mean arrivals per simulated hour (Poisson). */
  arrivalsPerHour: z.number().nonnegative(),
  /** Optional 24 multipliers of the rate, by hour of the (UTC) virtual day. */
  hourlyProfile: z.array(z.number().nonnegative()).length(24).optional(),
  /** Share of arrivals per media type; defaults to voice only. */
  media: z.partialRecord(z.enum(mediaTypes), z.number().positive()).default({ voice: 1 }),
  agents: z.number().int().nonnegative(),
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
  /** Probability that an answered call is transferred to `transferTo` at the end of handling. */
  transferProbability: z.number().min(0).max(1).default(0),
  transferTo: z.string().optional(),
  /** Service level goal, as in the queue's mediaSettings. */
  serviceLevel: z.object({ percentage: z.number().min(0).max(1), durationMs: z.number().int().positive() }).default({
    percentage: 0.8,
    durationMs: 20_000,
  }),
});

const surgeSchema = z.object({
  queue: z.string(),
  startMinute: z.number().nonnegative(),
  durationMinutes: z.number().positive(),
  factor: z.number().nonnegative(),
});

export const scenarioSchema = z.object({
  name: z.string().default("custom"),
  description: z.string().default(""),
  queues: z.array(queueSchema).min(1),
  surges: z.array(surgeSchema).default([]),
});

export type QueueSpec = z.infer<typeof queueSchema>;
export const queueSpecSchema = queueSchema;
export type Scenario = z.infer<typeof scenarioSchema>;

const named: Record<string, z.input<typeof scenarioSchema>> = {
  steady: {
    name: "steady",
    description:
      "Three queues under stable load: IVR, abandons, flow-outs to voicemail and to another queue, no-answers, transfers, shared agents, four media types.",
    queues: [
      {
        name: "Sales",
        arrivalsPerHour: 120,
        media: { voice: 0.7, chat: 0.3 },
        agents: 6,
        handleSeconds: 150,
        handleCv: 0.6,
        patienceSeconds: 240,
        flowOutAfterSeconds: 600,
        alertSeconds: 4,
        noAnswerProbability: 0.05,
        transferProbability: 0.1,
        transferTo: "Support",
        ivrSeconds: 10,
        alsoServes: ["Support"],
      },
      {
        name: "Support",
        arrivalsPerHour: 90,
        media: { voice: 0.8, message: 0.2 },
        agents: 5,
        handleSeconds: 200,
        handleCv: 0.8,
        patienceSeconds: 300,
        flowOutAfterSeconds: 120,
        flowOutTo: "Billing",
        flowOutToShare: 0.5,
        alertSeconds: 5,
        noAnswerProbability: 0.05,
        ivrSeconds: 15,
      },
      {
        name: "Billing",
        division: "Finance",
        arrivalsPerHour: 40,
        media: { voice: 0.6, callback: 0.4 },
        agents: 3,
        handleSeconds: 180,
        handleCv: 0.5,
        patienceSeconds: 200,
        alertSeconds: 3,
        ivrSeconds: 8,
        serviceLevel: { percentage: 0.9, durationMs: 30_000 },
      },
    ],
  },
  // alerting hook (issue 10): queues of their own, staffed so that only the surge breaches a p90
  // wait of 60 s (15-minute window): Support's p90 stays near 10 s before and after, climbs past
  // 100 s during it; Sales and Billing stay under 45 s throughout (seeds 1-5 measured).
  surge: {
    name: "surge",
    description:
      "Three well-staffed queues; Support's arrivals triple from minute 10 for 20 simulated minutes (only Support breaches a 60 s p90 wait, and only during the surge).",
    queues: [
      { name: "Sales", arrivalsPerHour: 120, media: { voice: 0.7, chat: 0.3 }, agents: 10, handleSeconds: 150, handleCv: 0.6, patienceSeconds: 240, alertSeconds: 4, ivrSeconds: 10 },
      { name: "Support", arrivalsPerHour: 90, agents: 8, handleSeconds: 200, handleCv: 0.8, patienceSeconds: 600, alertSeconds: 5, ivrSeconds: 15 },
      {
        name: "Billing",
        division: "Finance",
        arrivalsPerHour: 40,
        media: { voice: 0.6, callback: 0.4 },
        agents: 6,
        handleSeconds: 180,
        handleCv: 0.5,
        patienceSeconds: 200,
        alertSeconds: 3,
        ivrSeconds: 8,
      },
    ],
    surges: [{ queue: "Support", startMinute: 10, durationMinutes: 20, factor: 3 }],
  },
  mmc: {
    name: "mmc",
    description: "One M/M/c queue (Poisson arrivals, exponential service, c agents, nobody abandons) to check against Erlang C.",
    queues: [
      {
        name: "Erlang",
        arrivalsPerHour: 300,
        agents: 6,
        handleSeconds: 60,
        handleCv: 0,
        alertSeconds: 0,
      },
    ],
  },
};

/**
 * `floor`: what a real contact-center floor looks like on the wallboard: 40 queues (10 teams in
 * 4 languages), mixed media, staffed for their load, with one queue surging.
 */
function floorScenario(): z.input<typeof scenarioSchema> {
  const teams: [string, number, number, Partial<Record<SimMediaType, number>>][] = [
    // name, arrivals per hour (English; other languages get less), mean handle seconds, media
    ["Sales", 90, 160, { voice: 0.7, chat: 0.3 }],
    ["Support", 110, 220, { voice: 0.75, message: 0.25 }],
    ["Billing", 50, 180, { voice: 0.6, callback: 0.4 }],
    ["Retention", 30, 300, { voice: 1 }],
    ["Technical", 70, 360, { voice: 0.6, chat: 0.2, email: 0.2 }],
    ["Orders", 60, 140, { voice: 0.5, chat: 0.5 }],
    ["Returns", 40, 150, { voice: 0.7, email: 0.3 }],
    ["Claims", 25, 420, { voice: 0.8, callback: 0.2 }],
    ["VIP", 15, 240, { voice: 1 }],
    ["Onboarding", 20, 270, { voice: 0.5, message: 0.5 }],
  ];
  const languages: [string, number][] = [["EN", 1], ["DE", 0.5], ["FR", 0.4], ["ES", 0.3]];
  const queues = teams.flatMap(([team, rate, handle, media]) =>
    languages.map(([lang, share]) => {
      const arrivalsPerHour = Math.round(rate * share);
      const erlangs = (arrivalsPerHour * handle) / 3600;
      return {
        name: `${team} ${lang}`,
        arrivalsPerHour,
        media,
        // Staffed at about 80 % occupancy: waits stay short until a surge.
        agents: Math.max(1, Math.ceil(erlangs / 0.8)),
        handleSeconds: handle,
        handleCv: 0.6,
        patienceSeconds: 240,
        alertSeconds: 3,
        ivrSeconds: 8,
        serviceLevel: team === "VIP" ? { percentage: 0.9, durationMs: 15_000 } : { percentage: 0.8, durationMs: 20_000 },
      };
    }),
  );
  return {
    name: "floor",
    description: "40 queues (10 teams x 4 languages), mixed media, staffed for their load; Support EN's arrivals triple from minute 10 for 20 simulated minutes.",
    queues,
    surges: [{ queue: "Support EN", startMinute: 10, durationMinutes: 20, factor: 3 }],
  };
}
named.floor = floorScenario();

export const scenarioNames = Object.keys(named);

/** A named scenario, or a YAML/JSON file of the same shape. Errors name the field. */
export function loadScenario(nameOrFile: string): Scenario {
  const raw = named[nameOrFile] ?? readScenarioFile(nameOrFile);
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`scenario ${nameOrFile}: ${formatZodError(parsed.error)}`);
  const names = new Set(parsed.data.queues.map((q) => q.name));
  for (const q of parsed.data.queues) {
    for (const [field, target] of [["transferTo", q.transferTo], ["flowOutTo", q.flowOutTo], ...(q.alsoServes ?? []).map((n) => ["alsoServes", n])]) {
      if (target && !names.has(target)) throw new Error(`scenario ${nameOrFile}: queue ${q.name}: ${field} names unknown queue ${target}`);
    }
  }
  for (const s of parsed.data.surges) {
    if (!names.has(s.queue)) throw new Error(`scenario ${nameOrFile}: surge names unknown queue ${s.queue}`);
  }
  return parsed.data;
}

function readScenarioFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`unknown scenario "${file}": not one of ${scenarioNames.join(", ")} and not a readable file`);
  }
  return parseYaml(text);
}
