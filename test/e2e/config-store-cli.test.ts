import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { loadConfig } from "../../src/config/load.js";
import { StateStore } from "../../src/store/state-store.js";
import { startTestEmulator, waitUntil } from "../helpers/emulator.js";
import { CLI } from "../helpers/monitor-process.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "qm-cfg-"));

test("config: YAML + environment, validated, errors name the field", () => {
  const file = join(dir, "a.yaml");
  writeFileSync(file, "stats:\n  intervalMinutes: 20\n  timeZone: Europe/Dublin\nqueues:\n  patterns: [Sales*]\n");
  const env = { GENESYS_CLIENT_ID: "id", GENESYS_CLIENT_SECRET: "s", GENESYS_ORG_DOMAIN: "mypurecloud.ie" };
  assert.throws(() => loadConfig(file, env), /stats\.intervalMinutes/);
  writeFileSync(file, "stats:\n  intervalMinutes: 15\n  timeZone: Europe/Dublin\nqueues:\n  patterns: [Sales*]\n");
  const c = loadConfig(file, env);
  assert.equal(c.stats.intervalMinutes, 15);
  assert.deepEqual(c.queues.selector.spec.patterns, ["Sales*"]);
  assert.equal(c.genesys.orgDomain, "mypurecloud.ie");
  assert.deepEqual(c.stats.windowsMinutes, [5, 15, 60]);
  assert.throws(() => loadConfig(file, { GENESYS_ORG_DOMAIN: "x.com" }), /clientId and genesys.clientSecret/);
  assert.throws(() => loadConfig(file, { GENESYS_CLIENT_ID: "a", GENESYS_CLIENT_SECRET: "b" }), /GENESYS_ORG_DOMAIN/);
  writeFileSync(file, "server:\n  listen: nowhere\n");
  assert.throws(() => loadConfig(file, env), /server\.listen: expected HOST:PORT/);
  writeFileSync(file, "surprise: 1\n");
  assert.throws(() => loadConfig(file, env), /surprise/);
  writeFileSync(file, "a: [\n");
  assert.throws(() => loadConfig(file, env), /not valid YAML/);
  assert.throws(() => loadConfig(join(dir, "missing.yaml"), env), /cannot read/);
});

test("state store: batches append to the log, checkpoints trim it, load replays what follows", () => {
  const file = join(dir, "s.sqlite");
  const store = new StateStore(file);
  const ev = (conv: string, time: number) => ({ kind: "answered" as const, queueId: "q", mediaType: "voice", conversationId: conv, participantId: "p", time, waitMs: 1234 });
  store.commit({ events: [{ id: "a/p/answered", event: ev("a", 5000) }], watermark: 4000, counters: { streamEvents: 1 } });
  const series = { queueId: "q", mediaType: "voice", totals: { offered: 0, answered: 1, abandoned: 0, flowout: 0 }, firstMinute: 0, minutes: [], intervals: [], today: null, open: [], observation: null, dropped: { window: 0, interval: 0, today: 0 } };
  store.checkpoint([series]);
  store.commit({ events: [{ id: "b/p/answered", event: ev("b", 6000) }], watermark: 6000, counters: { streamEvents: 2 } });
  store.close(); // as if killed here: b is logged but not checkpointed
  const again = new StateStore(file);
  const loaded = again.load(0);
  assert.equal(loaded.watermark, 6000);
  assert.deepEqual(loaded.series, [series]);
  assert.deepEqual(loaded.replay, [ev("b", 6000)], "only the event after the checkpoint is replayed");
  assert.deepEqual(loaded.seen.sort(), [["a/p/answered", 5000], ["b/p/answered", 6000]]);
  assert.equal(loaded.counters.streamEvents, 2);
  assert.equal(again.pruneSeen(5500), 1);
  assert.equal(again.load(0).seen.length, 1);
  again.checkpoint([]);
  assert.deepEqual(again.load(0).replay, []);
  assert.throws(() => new StateStore(file), /in use by another queue-monitor process/, "one monitor per state file");
  again.close();
  writeFileSync(join(dir, "junk.sqlite"), "this is not a database, just text long enough to be read as a header....");
  assert.throws(() => new StateStore(join(dir, "junk.sqlite")).load(0), /not a database|state file/);
});

test("cli: --help on every command, flag errors name the flag", async () => {
  for (const cmd of [[], ["emulate"], ["run"], ["demo"]]) {
    const { stdout } = await run(process.execPath, [CLI, ...cmd, "--help"]);
    assert.match(stdout, /Usage: queue-monitor/);
  }
  await assert.rejects(run(process.execPath, [CLI, "emulate", "--speed", "fast"]), /--speed must be a number/);
  await assert.rejects(run(process.execPath, [CLI, "emulate", "--scenario", "nope", "--port", "0"]), /unknown scenario "nope"/);
  await assert.rejects(run(process.execPath, [CLI, "run", "--clock", "later"], { env: { ...process.env, GENESYS_CLIENT_ID: "a", GENESYS_CLIENT_SECRET: "b", GENESYS_ORG_DOMAIN: "x.com" } }), /--clock must be/);
});

test("emulator --ground-truth writes every event as a JSON line", async (t) => {
  const file = join(dir, "truth.jsonl");
  const emu = await startTestEmulator({ speed: 3000, durationMinutes: 20, groundTruthFile: file });
  await waitUntil(() => emu.sim.settled, 20_000, "settle");
  const count = emu.sim.events.length;
  await emu.stop();
  t.after(() => {});
  const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, count);
  assert.deepEqual(lines, emu.sim.events);
});
