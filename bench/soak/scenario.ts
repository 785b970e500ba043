/**
 * The soak's contact center: about 4,500 calls an hour over six queues, staffed a little under
 * their load so that waits are real and many callers hang up (abandons are what a kill -9 with a
 * long analytics lag tends to lose); flow-outs to voicemail and to another queue and
 * shared agents, so every outcome and a second queue visit per conversation occur. No agent
 * transfers: once no call is before or in a queue, the ground truth is final. One queue
 * ("Priority") surges at a fixed rhythm so the alert rule below fires and clears within any run
 * of three minutes or more.
 */

/** Virtual minutes between the starts of Priority's surges, and their length. */
export const SURGE_EVERY_MINUTES = 12;
export const SURGE_MINUTES = 5;
export const SURGE_QUEUE = "Priority";

export interface SoakQueueSpec {
  name: string;
  division?: string;
  arrivalsPerHour: number;
  media: Record<string, number>;
  agents: number;
  handleSeconds: number;
  handleCv: number;
  patienceSeconds: number;
  flowOutAfterSeconds?: number;
  flowOutTo?: string;
  flowOutToShare?: number;
  alsoServes?: string[];
  alertSeconds: number;
  noAnswerProbability: number;
  transferProbability?: number;
  transferTo?: string;
  ivrSeconds: number;
  serviceLevel: { percentage: number; durationMs: number };
}

export interface SoakScenario {
  name: string;
  description: string;
  queues: SoakQueueSpec[];
  surges: { queue: string; startMinute: number; durationMinutes: number; factor: number }[];
}

/** The scenario for `virtualMinutes` of arrivals (surges laid out over that span). */
export function soakScenario(virtualMinutes: number): SoakScenario {
  const sl = (percentage: number, seconds: number) => ({ percentage, durationMs: seconds * 1000 });
  const queues: SoakQueueSpec[] = [
    { name: "Sales", arrivalsPerHour: 1200, media: { voice: 0.7, chat: 0.3 }, agents: 38, handleSeconds: 110, handleCv: 0.6, patienceSeconds: 70, flowOutAfterSeconds: 300, alertSeconds: 3, noAnswerProbability: 0.03, ivrSeconds: 8, alsoServes: ["Support"], serviceLevel: sl(0.8, 20) },
    { name: "Support", arrivalsPerHour: 1000, media: { voice: 0.8, message: 0.2 }, agents: 36, handleSeconds: 150, handleCv: 0.8, patienceSeconds: 90, flowOutAfterSeconds: 45, flowOutTo: "Claims", flowOutToShare: 0.3, alertSeconds: 4, noAnswerProbability: 0.04, ivrSeconds: 12, serviceLevel: sl(0.8, 30) },
    { name: "Billing", division: "Finance", arrivalsPerHour: 600, media: { voice: 0.6, callback: 0.4 }, agents: 19, handleSeconds: 120, handleCv: 0.5, patienceSeconds: 120, alertSeconds: 3, noAnswerProbability: 0.02, ivrSeconds: 8, serviceLevel: sl(0.9, 30) },
    { name: "Retention", arrivalsPerHour: 500, media: { voice: 1 }, agents: 14, handleSeconds: 100, handleCv: 0.6, patienceSeconds: 45, flowOutAfterSeconds: 30, alertSeconds: 2, noAnswerProbability: 0.02, ivrSeconds: 6, serviceLevel: sl(0.8, 15) },
    { name: "Claims", arrivalsPerHour: 700, media: { voice: 0.8, email: 0.2 }, agents: 16, handleSeconds: 90, handleCv: 0.7, patienceSeconds: 75, flowOutAfterSeconds: 40, alertSeconds: 3, noAnswerProbability: 0.03, ivrSeconds: 10, serviceLevel: sl(0.8, 20) },
    { name: SURGE_QUEUE, arrivalsPerHour: 360, media: { voice: 0.5, chat: 0.5 }, agents: 9, handleSeconds: 60, handleCv: 0.5, patienceSeconds: 180, alertSeconds: 2, noAnswerProbability: 0.02, ivrSeconds: 5, serviceLevel: sl(0.9, 15) },
  ];
  const surges = [];
  for (let m = 2; m < virtualMinutes && surges.length < 10_000; m += SURGE_EVERY_MINUTES) surges.push({ queue: SURGE_QUEUE, startMinute: m, durationMinutes: SURGE_MINUTES, factor: 3 });
  return { name: "soak", description: "about 4,500 calls an hour over six queues, many abandons, Priority surging every 12 minutes", queues, surges };
}
