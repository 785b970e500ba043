/**
 * `queue-monitor demo --source eventbridge` as a user runs it (the real CLI, a child process): an
 * SQS server in the process, the emulator publishing into it as EventBridge, the monitor reading
 * it. Ten simulated minutes of calls; the monitor is live from the queue, its totals equal the
 * emulator's ground truth, /api/health shows the source, and Ctrl-C (SIGTERM) stops it cleanly.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { waitUntil } from "../helpers/emulator.js";
import { CLI, freePort } from "../helpers/monitor-process.js";

const getJson = async (url: string): Promise<any> => {
  try {
    return await (await fetch(url)).json();
  } catch {
    return undefined;
  }
};

test("demo --source eventbridge: live from SQS, totals equal the ground truth, a clean stop", { timeout: 120_000 }, async (t) => {
  const [listen, port] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [CLI, "demo", "--source", "eventbridge", "--scenario", "steady", "--speed", "60", "--duration", "10", "--listen", `127.0.0.1:${listen}`, "--port", String(port), "--every", "1"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_PROFILE: "", LOG_LEVEL: "warn" },
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  t.after(() => child.kill("SIGKILL"));
  const monitor = `http://127.0.0.1:${listen}`;
  const emulator = `http://127.0.0.1:${port}`;

  await waitUntil(async () => (await getJson(`${monitor}/readyz`))?.ready, 30_000, "the demo's monitor ready");
  assert.match(out, /source: +EventBridge through SQS http:\/\/\S+genesys-events \(in this process/);
  const health = await getJson(`${monitor}/api/health`);
  assert.equal(health.source.type, "eventbridge-sqs");
  assert.equal(health.source.live, true);
  assert.deepEqual(health.channels, []);
  assert.ok(health.source.redrive?.maxReceiveCount > 0, "the demo's queue has a dead-letter queue");

  const truthTotals = async () => {
    const truth = await getJson(`${emulator}/emulator/ground-truth`);
    if (!truth?.settled) return false;
    const mine = await getJson(`${monitor}/api/queues`);
    const got = new Map<string, unknown>((mine?.queues ?? []).map((q: any) => [`${q.queueId}/${q.mediaType}`, q.totals]));
    return truth.queues.length > 0 && truth.queues.every((g: any) => JSON.stringify(got.get(`${g.queueId}/${g.mediaType}`)) === JSON.stringify(g.counts)) && got.size === truth.queues.length;
  };
  await waitUntil(truthTotals, 60_000, "the demo's totals to equal the ground truth");
  const published = await getJson(`${emulator}/emulator/eventbridge`);
  const after = await getJson(`${monitor}/api/health`);
  assert.ok(published.sent > 0 && after.source.deleted > 0 && after.source.deleted <= published.sent, `published ${published.sent}, deleted ${after.source.deleted}`);
  assert.match(out, /SQS backlog \d+/, "the progress line shows the backlog");
  assert.doesNotMatch(out, /NodeVersionSupportWarning/, "the demo keeps the SDK's Node notice out");

  child.kill("SIGTERM");
  assert.equal(await exited, 0, `the demo exits cleanly:\n${out.slice(-2000)}`);
});
