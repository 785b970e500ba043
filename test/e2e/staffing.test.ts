/**
 * Staffing and predicted waits, the monitor in-process against the emulator over loopback: the
 * agents /api/queues shows equal the simulator's own figures within one observation period
 * through a shift change, breaks and not-responding agents; the predicted wait is served and
 * scored against the waits callers had; after a restart both come back from the state file
 * before any new frame or query.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Monitor } from "../../src/app/monitor.js";
import { configSchema } from "../../src/config/schema.js";
import { scenarioSchema } from "../../src/emulator/simulator/scenario.js";
import type { AgentFigures } from "../../src/emulator/simulator/simulator.js";
import type { Emulator } from "../../src/emulator/server.js";
import { silentLogger } from "../../src/util/log.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";

const START = Date.parse("2026-03-02T10:00:00Z");
const MIN = 60_000;
const SPEED = 60;

const scenario = scenarioSchema.parse({
  name: "staffing-e2e",
  queues: [
    {
      name: "Desk",
      arrivalsPerHour: 240,
      agents: 2,
      shifts: [
        { name: "Day", agents: 3, startMinute: 0, endMinute: 6 },
        { name: "Eve", agents: 3, startMinute: 8, breakAfterMinutes: 1, breakMinutes: 3, breakStaggerMinutes: 1 },
      ],
      handleSeconds: 60,
      handleCv: 0.5,
      patienceSeconds: 300,
      alertSeconds: 3,
      noAnswerProbability: 0.2,
      notRespondingSeconds: 120,
    },
    { name: "Help", arrivalsPerHour: 60, agents: 2, alsoServes: ["Desk"], handleSeconds: 60, alertSeconds: 2 },
  ],
});

/** The simulator's figures of each queue at every change (the ground truth), to read any past instant. */
function recordFigures(emu: Emulator): (queueId: string, from: number, to: number) => AgentFigures[] {
  const history = new Map<string, { time: number; f: AgentFigures }[]>();
  const add = (id: string) => {
    let h = history.get(id);
    if (!h) history.set(id, (h = []));
    h.push({ time: emu.sim.now, f: emu.sim.agentFigures(id) });
  };
  for (const q of emu.sim.queues) add(q.id);
  emu.sim.listen({ agentsChanged: (ids) => ids.forEach(add) });
  return (queueId, from, to) => {
    const h = history.get(queueId)!;
    let i = h.length - 1;
    while (i > 0 && h[i].time > from) i--;
    const out = [h[i].f];
    for (let j = i + 1; j < h.length && h[j].time <= to; j++) out.push(h[j].f);
    return out;
  };
}

function config(emu: Emulator, file: string) {
  return configSchema.parse({
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.3, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.1, reconnectMaxSeconds: 1 },
    backfill: { ingestionDelaySeconds: 0.5, maxConversationHours: 2, reconcileMinutes: 0 },
    server: { listen: "127.0.0.1:0" },
    state: { file, commitIntervalMs: 100, checkpointSeconds: 1 },
    prediction: { observationsQuerySeconds: 5, minSamples: 5 },
  });
}

test("agents equal the simulator's within one observation period through shift changes, breaks and not-responding agents; predictions are served, scored, and survive a restart", async (t) => {
  const emu = await startTestEmulator({ scenario, seed: 7, speed: SPEED, start: START, durationMinutes: 20, heartbeatSeconds: 0.3, ingestionDelaySeconds: 0.3 });
  t.after(() => emu.stop());
  const figures = recordFigures(emu);
  const file = join(mkdtempSync(join(tmpdir(), "qm-staffing-")), "state.sqlite");
  let monitor = new Monitor(config(emu, file), emu.clock, silentLogger);
  await monitor.start();
  t.after(() => monitor.stop());
  await waitUntil(() => monitor.ready, 15_000, "ready");

  // One observation period: a changed metric comes in the next message or, split, in the one after
  // it (the topic sends at most one a second per group, real time), plus a second of delivery. A
  // message carries only what changed, so each figure is compared on its own: each must be what
  // the simulator said at some instant of the period.
  const period = 3 * 1000 * SPEED;
  const seen = new Set<string>();
  let compared = 0;
  const deadline = Date.now() + 30_000;
  for (let i = 0; i < 300 && emu.sim.now < START + 16 * MIN && Date.now() < deadline; i++) {
    const at = emu.sim.now;
    const res = (await (await fetch(`${monitor.listenUrl}/api/queues`)).json()) as { queues: any[] };
    for (const q of emu.sim.queues) {
      const entry = res.queues.find((e) => e.queueId === q.id);
      if (!entry) continue;
      const a = entry.now.agents;
      const candidates = figures(q.id, at - period, emu.sim.now);
      const truthOf = (f: AgentFigures) => ({ members: f.members, onQueue: f.onQueue, idle: f.idle, interacting: f.interacting + f.communicating, notResponding: f.notResponding, offQueue: f.offQueue });
      const wrong = Object.keys(truthOf(candidates[0])).filter((k) => !candidates.some((f) => (truthOf(f) as Record<string, number>)[k] === a[k]));
      assert.deepEqual(wrong, [], `${q.name} at ${new Date(at).toISOString()}: monitor ${JSON.stringify(a)}, simulator ${JSON.stringify(candidates)}`);
      compared++;
      const f = candidates[candidates.length - 1];
      if (f.offQueue > 0) seen.add("break");
      if (f.notResponding > 0) seen.add("notResponding");
      seen.add(`onQueue=${f.onQueue}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(compared >= 40, `compared ${compared} readings`);
  assert.ok(seen.has("break") && seen.has("notResponding") && seen.size >= 4, `staffing changed in the run: ${[...seen].join(", ")}`);

  // Predictions: served from a scored predictor once callers have waited.
  const desk = emu.sim.queues.find((q) => q.name === "Desk")!.id;
  const served = await waitUntil(() => monitor.outlook.enrich(monitor.engine.snapshot((q) => q === desk)).find((s) => s.predicted.samples >= 5), 20_000, "a scored prediction");
  assert.ok(["QL", "QLm", "HOL", "HOLr", "LES"].includes(served.predicted.predictor!), JSON.stringify(served.predicted));
  assert.ok(served.predicted.rrmse !== null && served.predicted.rrmse >= 0, JSON.stringify(served.predicted));
  const boards = monitor.outlook.predictors(desk, served.mediaType)!;
  // Every scored visit ended: answered, abandoned or flowed out, as the simulator counted them.
  const truth = emu.groundTruth() as { queues: { queueId: string; counts: Record<string, number> }[] };
  const ended = truth.queues.filter((g) => g.queueId === desk).reduce((n, g) => n + g.counts.answered + g.counts.abandoned + g.counts.flowout, 0);
  const lesScored = boards.nobodyAhead.LES.samples + boards.callersAhead.LES.samples;
  assert.ok(lesScored > 0 && lesScored <= ended, `LES scored ${lesScored} of ${ended} ended visits`);

  // Restart: staffing and scores come back from the state file, before the new monitor has read anything.
  const before = monitor.outlook.enrich(monitor.engine.snapshot((q) => q === desk));
  await monitor.stop();
  monitor = new Monitor(config(emu, file), emu.clock, silentLogger);
  const after = monitor.outlook.enrich(monitor.engine.snapshot((q) => q === desk));
  for (const b of before) {
    const a = after.find((x) => x.mediaType === b.mediaType)!;
    assert.deepEqual(a.now.agents, b.now.agents, "staffing restored");
    assert.ok(a.predicted.samples >= b.predicted.samples - 1 && a.predicted.samples > 0, `scores restored: ${a.predicted.samples} (before ${b.predicted.samples})`);
  }
});
