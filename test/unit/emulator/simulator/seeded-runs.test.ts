/**
 * The simulator is deterministic for a seed, and its behaviour is pinned: the fingerprints below
 * were taken from the simulator before it was split into files of one concern each (commit
 * efb250c), so any change to what a seeded run does (which calls arrive, when, how they end, every
 * participant state the analytics store keeps) shows up here. A deliberate change of behaviour
 * updates them, and says so in its commit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { queueSpecSchema } from "../../../../src/emulator/simulator/scenario.js";
import { loadScenario } from "../../../../src/emulator/simulator/load-scenario.js";
import { Simulator } from "../../../../src/emulator/simulator/simulator.js";

interface Run {
  scenario: string;
  seed: number;
  minutes: number;
  /** Admin changes at run time: a queue added (sharing agents, flowing out) at 20 min, one renamed and moved at 30, one removed at 40. */
  admin?: boolean;
}

/** The run's ground truth (every QueueEvent) and every recorded version of every conversation, hashed. */
export function fingerprint(run: Run): { events: number; conversations: number; eventsSha: string; versionsSha: string } {
  const start = Date.parse("2026-01-05T09:00:00Z");
  const sim = new Simulator(loadScenario(run.scenario), { seed: run.seed, start, durationMinutes: run.minutes });
  if (run.admin) {
    sim.advanceTo(start + 20 * 60_000);
    sim.addQueue(queueSpecSchema.parse({ name: "Late", arrivalsPerHour: 60, agents: 2, handleSeconds: 120, patienceSeconds: 90, flowOutAfterSeconds: 60, flowOutTo: "Sales", alsoServes: ["Billing"], alertSeconds: 2, noAnswerProbability: 0.1, transferProbability: 0.2, transferTo: "Support" }));
    sim.advanceTo(start + 30 * 60_000);
    sim.updateQueue(sim.queues.find((q) => q.name === "Billing")!.id, { name: "Billing East", division: "Operations" });
    sim.advanceTo(start + 40 * 60_000);
    sim.removeQueue(sim.queues.find((q) => q.name === "Support")!.id);
  }
  sim.advanceTo(start + (run.minutes + 120) * 60_000);
  const events = createHash("sha256").update(JSON.stringify(sim.events)).digest("hex");
  const versions = createHash("sha256");
  for (const c of sim.conversations.values()) versions.update(JSON.stringify({ id: c.id, mediaType: c.mediaType, start: c.start, end: c.end, ani: c.ani, versions: c.versions }));
  return { events: sim.events.length, conversations: sim.conversations.size, eventsSha: events, versionsSha: versions.digest("hex") };
}

const pinned: [Run, ReturnType<typeof fingerprint>][] = [
  [{ scenario: "steady", seed: 1, minutes: 120 }, { events: 1128, conversations: 542, eventsSha: "6274a92dd8bb6fc44989e620d5fc479bb579d7e70d483d23da07748ffd2a8832", versionsSha: "08989f9ef1558942b2bae7ebfd76b24212078657de62943b56197d21721f582b" }],
  [{ scenario: "steady", seed: 42, minutes: 240 }, { events: 2102, conversations: 1001, eventsSha: "5a17dbd781de15ed769e70085b2793f631373bd64d2d1d3cde30a3551ee141e5", versionsSha: "9123f29e09114c33e67b43bb3daacdfb82c8603d6427b614f7e7e5c79f5679ee" }],
  [{ scenario: "surge", seed: 3, minutes: 60 }, { events: 626, conversations: 313, eventsSha: "246cf2236e7f34293d2c0d4acd8e23a0c68c52c9ff827233cda7ea66fb15646a", versionsSha: "d275d88d80dc48fca5d9738c4c58d47932e053ec91383b3783604643f97e2790" }],
  [{ scenario: "mmc", seed: 7, minutes: 180 }, { events: 1936, conversations: 968, eventsSha: "7c70a1db35718adfeace5ae8bcb557526bd7c9bfde46b9d959d912087a2f5520", versionsSha: "566960a40feb67f47e5883687b550fd2c7b18f7babc6e02511c7fdd9d7bda61e" }],
  [{ scenario: "floor", seed: 2, minutes: 45 }, { events: 1754, conversations: 877, eventsSha: "edb4cdea57ad0c14d390520c82f19dfe25a0b0ca05cfbe676828dc212922f8ca", versionsSha: "187adc05bd57957cb72c32bd18f26bd7afa7b949b893a8c487e359cfff159cd7" }],
  [{ scenario: "steady", seed: 9, minutes: 90, admin: true }, { events: 802, conversations: 383, eventsSha: "580df2c83c3d7c30c90babbd231553deac60460dfaf9541544b5664c112b3afc", versionsSha: "372a7d8c348241ccb3fce2bce44201ae00282cadc31cdd82c3615fa6a8d15319" }],
];

test("seeded runs are what they were before the simulator was split (events and every conversation version)", () => {
  for (const [run, want] of pinned) assert.deepEqual(fingerprint(run), want, `${run.scenario} seed ${run.seed} ${run.minutes} min`);
});

test("same seed twice, same fingerprint; another seed, another", () => {
  const a = fingerprint({ scenario: "steady", seed: 5, minutes: 60 });
  assert.deepEqual(fingerprint({ scenario: "steady", seed: 5, minutes: 60 }), a);
  assert.notEqual(fingerprint({ scenario: "steady", seed: 6, minutes: 60 }).eventsSha, a.eventsSha);
});
