/**
 * s from staffing: the published snapshots' statuses, the on-queue fallback, and the share of
 * shared agents from time averages (LevelWindow) of a queue's interactions and its busy members.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { agentShare, busyMembers, servingAgents } from "../../../src/predict/agents.js";
import { parseSnapshot } from "../../../src/normalize/observation-query.js";
import { StaffingMerger, unknownStaffing } from "../../../src/normalize/staffing.js";
import { LevelWindow } from "../../../src/predict/window.js";

const dir = join(fileURLToPath(import.meta.url), "../../../../../test/fixtures");
const staffingOf = (f: string) => {
  const m = new StaffingMerger();
  return m.merge(parseSnapshot(JSON.parse(readFileSync(join(dir, f), "utf8")), 1000).staffing[0])!;
};

test("published snapshots: s = idle + interacting + communicating; not responding and off queue do not answer", () => {
  // Tutorial: INTERACTING 2, IDLE 1, OFF_QUEUE 3.
  assert.deepEqual(servingAgents(staffingOf("built-queue-observations-query-tutorial.json")), { agents: 3, idle: 1, source: "statuses" });
  // Splunk: 23 members, IDLE 4, OFF_QUEUE 19, on queue 4.
  assert.deepEqual(servingAgents(staffingOf("built-queue-observations-query-splunk.json")), { agents: 4, idle: 4, source: "statuses" });
  const st = { ...unknownStaffing("q", 0), idle: 2, interacting: 5, communicating: 1, notResponding: 3, offQueueStatus: 4 };
  assert.deepEqual(servingAgents(st), { agents: 8, idle: 2, source: "statuses" });
  assert.equal(busyMembers(st), 6);
});

test("without statuses the on-queue total serves, less the not-responding ones; nothing known gives null", () => {
  assert.deepEqual(servingAgents({ ...unknownStaffing("q", 0), onQueue: 7 }), { agents: 7, idle: null, source: "onQueue" });
  assert.deepEqual(servingAgents({ ...unknownStaffing("q", 0), onQueue: 7, notResponding: 2, idle: 1 }), { agents: 5, idle: 1, source: "onQueue" });
  assert.equal(servingAgents(unknownStaffing("q", 0)), null);
  assert.equal(servingAgents(null), null);
  assert.equal(busyMembers({ ...unknownStaffing("q", 0), interacting: 3 }), null, "communicating unknown");
});

test("shared agents: the share of busy member time the series takes, from the same window's averages", () => {
  // Two queues share 6 agents: every member is busy all hour; queue A's calls keep 2 of them on average.
  const seriesInteracting = new LevelWindow({ spanMs: 7_200_000 });
  const membersBusy = new LevelWindow({ spanMs: 7_200_000 });
  membersBusy.set(0, 6);
  seriesInteracting.set(0, 1);
  seriesInteracting.set(1_800_000, 3);
  const share = agentShare(seriesInteracting.average(3_600_000), membersBusy.average(3_600_000))!;
  assert.ok(Math.abs(share - 2 / 6) < 1e-12);
  const st = { ...unknownStaffing("q", 0), idle: 0, interacting: 6, communicating: 0 };
  assert.ok(Math.abs(servingAgents(st, share)!.agents - 2) < 1e-12);
  assert.equal(agentShare(3, 0), null, "no busy members: cannot tell");
  assert.equal(agentShare(null, 4), null);
  assert.equal(agentShare(300, 1), 10, "capped");
  assert.equal(servingAgents(st, null)!.agents, 6, "unknown share counts agents whole");
});
