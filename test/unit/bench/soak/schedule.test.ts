import { test } from "node:test";
import assert from "node:assert/strict";
import { availableKinds, buildSchedule, type ScheduleOptions } from "../../../../bench/soak/schedule.js";

const base: ScheduleOptions = { seed: 1, durationMs: 180_000, startMs: 5000, endMarginMs: 10_000, everyMs: 10_000, vm: true, disk: true };

test("a three-minute schedule gives every kind a turn, in time order, inside the run", () => {
  for (const seed of [1, 2, 3, 42, 1234]) {
    const steps = buildSchedule({ ...base, seed });
    const kinds = new Set(steps.map((s) => s.kind));
    assert.deepEqual([...kinds].sort(), availableKinds(base).sort(), `seed ${seed}`);
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i].at >= steps[i - 1].at, `seed ${seed}: in order`);
    for (const s of steps) assert.ok(s.at >= base.startMs && s.at < base.durationMs, `seed ${seed}: ${s.act} at ${s.at}`);
  }
});

test("outages end before the end margin, never overlap their own kind, and no kill falls while the disk is full", () => {
  for (const seed of [1, 7, 99]) {
    const steps = buildSchedule({ ...base, seed, durationMs: 600_000 });
    for (const [start, end] of [["vm-stop", "vm-start"], ["disk-fill", "disk-free"]] as const) {
      const starts = steps.filter((s) => s.act === start);
      const ends = steps.filter((s) => s.act === end);
      assert.equal(starts.length, ends.length, `${start}: every one ends`);
      let open = false;
      for (const s of steps) {
        if (s.act === start) {
          assert.ok(!open, `seed ${seed}: ${start} while one is on`);
          open = true;
        }
        if (s.act === end) {
          assert.ok(open);
          open = false;
          assert.ok(s.at <= 600_000 - base.endMarginMs, `${end} at ${s.at}`);
        }
        if (s.act === "kill" && start === "disk-fill") assert.ok(!open, `seed ${seed}: kill at ${s.at} while the disk is full`);
      }
    }
  }
});

test("same seed, same schedule; another seed, another one; kinds follow the options", () => {
  assert.deepEqual(buildSchedule(base), buildSchedule(base));
  assert.notDeepEqual(buildSchedule(base), buildSchedule({ ...base, seed: 2 }));
  const plain = buildSchedule({ ...base, vm: false, disk: false });
  assert.ok(!plain.some((s) => s.kind === "vm-outage" || s.kind === "disk-full"));
  assert.equal(new Set(plain.map((s) => s.kind)).size, availableKinds({ vm: false, disk: false }).length);
});

test("a long run keeps acting at about the mean gap, kills the most frequent act", () => {
  const steps = buildSchedule({ ...base, durationMs: 3_600_000 });
  const acts = steps.filter((s) => !["vm-start", "disk-free"].includes(s.act));
  assert.ok(acts.length > 300 && acts.length < 400, `${acts.length} acts in an hour at a 10 s mean`);
  const kills = acts.filter((s) => s.act === "kill").length;
  for (const k of availableKinds(base)) if (k !== "kill") assert.ok(kills > acts.filter((s) => s.kind === k).length, `kills (${kills}) outnumber ${k}`);
});
