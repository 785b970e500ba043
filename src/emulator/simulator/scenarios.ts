/**
 * The named scenarios that ship with the emulator (`--scenario NAME`); docs/emulator.md says what
 * each one is for.
 */
import type { z } from "zod";
import type { scenarioSchema, SimMediaType } from "./scenario.js";

export const named: Record<string, z.input<typeof scenarioSchema>> = {
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
  // For the alert tests: queues of their own, staffed so that only the surge breaches a p90
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


/**
 * `staffing`: waits that move because staffing does, on a one-hour cycle. Support's early shift
 * leaves at minute 25 and the late one comes at 40, so for fifteen minutes Support has 2 agents of
 * its own and Billing's 4 (who help it when free of Billing's calls) for 5 + 2 erlangs; then the
 * late shift's staggered breaks thin it again. Sales' arrivals ramp up to 1.8x from minute 15 and
 * back by 43; Sales agents who let an alert time out stay NOT_RESPONDING for about 3 minutes, and
 * take direct (non-ACD) calls (COMMUNICATING).
 */
named.staffing = {
  name: "staffing",
  description:
    "One-hour cycle: Support short-staffed between its shifts (minutes 25-40) and thinned by breaks after, Sales ramping to 1.8x (minutes 15-43) with not-responding agents and direct calls, Billing agents shared with Support.",
  cycleMinutes: 60,
  queues: [
    {
      name: "Support",
      arrivalsPerHour: 100,
      media: { voice: 0.8, message: 0.2 },
      agents: 2,
      shifts: [
        { name: "Early", agents: 5, startMinute: 0, endMinute: 25 },
        { name: "Late", agents: 5, startMinute: 40, endMinute: 60, breakAfterMinutes: 6, breakMinutes: 6, breakStaggerMinutes: 2 },
      ],
      handleSeconds: 180,
      handleCv: 0.6,
      patienceSeconds: 420,
      alertSeconds: 4,
      noAnswerProbability: 0.03,
      notRespondingSeconds: 120,
      ivrSeconds: 12,
    },
    {
      name: "Sales",
      arrivalsPerHour: 80,
      media: { voice: 0.6, chat: 0.4 },
      agents: 6,
      handleSeconds: 150,
      handleCv: 0.6,
      patienceSeconds: 300,
      alertSeconds: 4,
      noAnswerProbability: 0.08,
      notRespondingSeconds: 180,
      directCallsPerAgentHour: 1.5,
      directCallSeconds: 150,
      ivrSeconds: 10,
    },
    {
      name: "Billing",
      division: "Finance",
      arrivalsPerHour: 40,
      media: { voice: 0.6, callback: 0.4 },
      agents: 4,
      alsoServes: ["Support"],
      handleSeconds: 180,
      handleCv: 0.5,
      patienceSeconds: 300,
      alertSeconds: 3,
      ivrSeconds: 8,
    },
  ],
  surges: [{ queue: "Sales", startMinute: 15, durationMinutes: 28, factor: 1.8, rampMinutes: 8 }],
};
