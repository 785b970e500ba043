/**
 * The staffing model against the simulator's own records: shift agents take calls only during
 * their shifts and never on a break, an agent whose alert timed out shows NOT_RESPONDING and gets
 * no call for at least half its not-responding time, agents' figures always add up, arrivals
 * follow a surge's ramps, a seeded run is reproducible, and calls wait for a shift to start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { scenarioSchema } from "../../../../src/emulator/simulator/scenario.js";
import { loadScenario } from "../../../../src/emulator/simulator/load-scenario.js";
import { Simulator, type AgentFigures, type SimSession } from "../../../../src/emulator/simulator/simulator.js";
import { surgeFactor } from "../../../../src/emulator/simulator/traffic.js";

const START = Date.parse("2026-01-05T09:00:00Z");
const MIN = 60_000;

/** Every agent session of the run, by agent name, in start order. */
function agentSessions(sim: Simulator): Map<string, SimSession[]> {
  const out = new Map<string, SimSession[]>();
  for (const c of sim.conversations.values()) {
    for (const p of c.participants) {
      if (p.purpose !== "agent") continue;
      let list = out.get(p.name);
      if (!list) out.set(p.name, (list = []));
      list.push(...p.sessions);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.startTime - b.startTime);
  return out;
}

/** Runs `minutes` of arrivals plus time to finish, recording each queue's agent figures at every change. */
function run(scenario: string, seed: number, minutes: number) {
  const sim = new Simulator(loadScenario(scenario), { seed, start: START, durationMinutes: minutes });
  const history: { time: number; queueId: string; f: AgentFigures }[] = [];
  for (const q of sim.queues) history.push({ time: START, queueId: q.id, f: sim.agentFigures(q.id) });
  sim.listen({ agentsChanged: (ids) => ids.forEach((id) => history.push({ time: sim.now, queueId: id, f: sim.agentFigures(id) })) });
  sim.advanceTo(START + (minutes + 30) * MIN);
  return { sim, history, queue: (name: string) => sim.queues.find((q) => q.name === name)!.id };
}

test("shift agents take calls only during their shifts and never on a break; the always-on ones cover the gap", () => {
  const { sim } = run("staffing", 3, 180);
  const sessions = agentSessions(sim);
  const minuteOfCycle = (t: number) => ((t - START) / MIN) % 60;
  let early = 0;
  let late = 0;
  for (let k = 1; k <= 5; k++) {
    for (const s of sessions.get(`Support Early ${k}`) ?? []) {
      assert.ok(minuteOfCycle(s.startTime) < 25, `Support Early ${k} alerted at minute ${minuteOfCycle(s.startTime).toFixed(2)} of the cycle`);
      early++;
    }
    const mine = sessions.get(`Support Late ${k}`) ?? [];
    for (const s of mine) {
      const m = minuteOfCycle(s.startTime);
      assert.ok(m >= 40, `Support Late ${k} alerted at minute ${m.toFixed(2)} of the cycle`);
      late++;
    }
    // The break: planned at minute 46 + 2(k-1); taken then, or when the call in hand ends; 6 minutes long.
    for (let cycle = 0; cycle < 3; cycle++) {
      const planned = START + (cycle * 60 + 46 + 2 * (k - 1)) * MIN;
      const inHand = mine.find((s) => s.startTime <= planned && (s.endTime ?? Infinity) > planned);
      const from = inHand ? inHand.endTime! : planned;
      const during = mine.filter((s) => s.startTime >= from && s.startTime < from + 6 * MIN);
      assert.deepEqual(during.map((s) => new Date(s.startTime).toISOString()), [], `Support Late ${k}: no call on the break from ${new Date(from).toISOString()}`);
    }
  }
  assert.ok(early > 30 && late > 30, `${early} early, ${late} late alerts`);
  const gapCalls = ["Support Agent 1", "Support Agent 2", "Billing Agent 1"].flatMap((n) => sessions.get(n) ?? []).filter((s) => minuteOfCycle(s.startTime) >= 25 && minuteOfCycle(s.startTime) < 40);
  assert.ok(gapCalls.length > 10, `${gapCalls.length} calls taken in the gap by the always-on and shared agents`);
});

test("an alert that times out leaves the agent NOT_RESPONDING: it shows in the figures, and no call comes for at least half the spell", () => {
  const { sim, history, queue } = run("staffing", 5, 180);
  const sales = queue("Sales");
  const sessions = agentSessions(sim);
  let timedOut = 0;
  for (const [name, list] of sessions) {
    if (!name.startsWith("Sales Agent")) continue;
    list.forEach((s, i) => {
      if (!s.noAnswer || s.disconnectType !== "system") return;
      timedOut++;
      const next = list[i + 1];
      if (next) assert.ok(next.startTime - s.endTime! >= 90_000, `${name}: alerted ${next.startTime - s.endTime!} ms after a timed-out alert`);
      const at = history.filter((h) => h.queueId === sales && h.time <= s.endTime!).at(-1)!;
      assert.ok(at.f.notResponding >= 1, `${name}: Sales shows ${at.f.notResponding} not responding right after the timeout`);
    });
  }
  assert.ok(timedOut >= 5, `${timedOut} timed-out alerts`);
  assert.ok(history.some((h) => h.queueId === sales && h.f.communicating > 0), "Sales agents take direct calls (COMMUNICATING)");
});

test("agent figures add up at every change; a shift change, breaks and shared agents show in them", () => {
  const { history, queue } = run("staffing", 7, 120);
  const support = queue("Support");
  for (const { f } of history) {
    assert.equal(f.onQueue, f.idle + f.interacting + f.communicating + f.notResponding);
    assert.equal(f.active, f.onQueue + f.offQueue);
    assert.ok(f.active <= f.members);
  }
  const sup = history.filter((h) => h.queueId === support);
  // 2 always-on + 5 early + 5 late + 4 of Billing's, who also serve Support.
  assert.ok(sup.every((h) => h.f.members === 16));
  const activeAt = (minute: number) => sup.filter((h) => h.time <= START + minute * MIN).at(-1)!.f.active;
  assert.equal(activeAt(0), 11, "2 + 5 early + 4 shared");
  assert.equal(activeAt(39.9), 6, "the early shift has left (after finishing its calls), the late one is not there yet");
  assert.equal(activeAt(40), 11, "the late shift logs on at minute 40");
  assert.ok(sup.some((h) => h.f.offQueue >= 2), "late-shift breaks overlap");
});

test("surge ramps: the factor climbs linearly into the window and out of it; arrivals follow", () => {
  const s = { queue: "Q", startMinute: 15, durationMinutes: 28, factor: 1.8, rampMinutes: 8 };
  assert.deepEqual([14.9, 15, 19, 23, 30, 39, 43].map((m) => Number(surgeFactor(s, m).toFixed(6))), [1, 1, 1.4, 1.8, 1.8, 1.4, 1]);
  assert.equal(surgeFactor({ ...s, rampMinutes: 0 }, 15), 1.8, "no ramp: a step");
  const { sim, queue } = run("staffing", 11, 1200);
  const sales = queue("Sales");
  const perMinute = (from: number, to: number) =>
    sim.events.filter((e) => e.kind === "offered" && e.queueId === sales && ((e.time - START) / MIN) % 60 >= from && ((e.time - START) / MIN) % 60 < to).length / (to - from);
  const base = (perMinute(0, 15) + perMinute(45, 60)) / 2;
  const peak = perMinute(23, 35);
  const rampUp = perMinute(15, 23);
  // 20 cycles: the base has about 1,600 arrivals, the peak about 600 (a few % of noise each).
  assert.ok(peak / base > 1.6 && peak / base < 2.05, `peak ${peak.toFixed(2)}/min vs base ${base.toFixed(2)}/min (1.8x expected)`);
  assert.ok(rampUp > base * 1.15 && rampUp < peak * 0.9, `ramp ${rampUp.toFixed(2)}/min between base and peak`);
});

test("same seed, same calls and same staffing; another seed, others", () => {
  const fp = (seed: number) => {
    const { sim, history } = run("staffing", seed, 90);
    return createHash("sha256").update(JSON.stringify([sim.events, history])).digest("hex");
  };
  assert.equal(fp(2), fp(2));
  assert.notEqual(fp(3), fp(2));
});

test("calls wait for a shift to start: not settled while they wait, settled once they are answered", () => {
  const scenario = scenarioSchema.parse({ queues: [{ name: "Night", arrivalsPerHour: 60, agents: 0, shifts: [{ agents: 2, startMinute: 30 }], handleSeconds: 60 }] });
  const sim = new Simulator(scenario, { seed: 2, start: START, durationMinutes: 10 });
  sim.advanceTo(START + 29 * MIN);
  assert.ok(sim.open.waiting > 5, `${sim.open.waiting} waiting`);
  assert.equal(sim.open.waiting, sim.events.length, "every caller so far is still waiting");
  assert.equal(sim.settled, false);
  assert.equal(sim.agentFigures(sim.queues[0].id).active, 0);
  sim.advanceTo(START + 120 * MIN);
  assert.equal(sim.open.waiting, 0);
  assert.equal(sim.settled, true);
  const offered = sim.events.filter((e) => e.kind === "offered").length;
  assert.equal(sim.events.filter((e) => e.kind === "answered").length, offered);
  assert.ok(sim.events.filter((e) => e.kind === "answered").every((e) => e.time >= START + 30 * MIN));
});

test("shifts are validated: the end after the start, inside the cycle", async () => {
  const { writeFileSync, mkdtempSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "scenario-"));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  assert.throws(() => loadScenario(file("a.yaml", "queues:\n  - name: A\n    arrivalsPerHour: 1\n    agents: 1\n    handleSeconds: 60\n    shifts: [{ agents: 1, startMinute: 30, endMinute: 20 }]\n")), /queues\.0\.shifts\.0\.endMinute/);
  assert.throws(() => loadScenario(file("b.yaml", "cycleMinutes: 60\nqueues:\n  - name: A\n    arrivalsPerHour: 1\n    agents: 1\n    handleSeconds: 60\n    shifts: [{ agents: 1, startMinute: 30, endMinute: 90 }]\n")), /queue A: shifts\.0 must lie within cycleMinutes \(60\)/);
  assert.throws(() => loadScenario(file("c.yaml", "queues:\n  - name: A\n    arrivalsPerHour: 1\n    agents: 1\n    handleSeconds: 60\n    notRespondingSeconds: -1\n")), /queues\.0\.notRespondingSeconds/);
});
