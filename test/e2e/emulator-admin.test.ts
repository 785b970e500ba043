/**
 * The details query's documented interval reading (daily indexes by conversation start), its
 * interval limits, the ingestion lag distribution, PATCH /emulator/queues/{id}, and the rule that
 * no secret ever reaches the emulator's output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Emulator } from "../../src/emulator/server.js";
import { api, bearer, startTestEmulator, token, waitUntil } from "../helpers/emulator.js";
import { CLI } from "../helpers/monitor-process.js";

async function details(emu: Emulator, tok: string, interval: string, extra: Record<string, unknown> = {}): Promise<{ status: number; convs: any[] }> {
  const convs: any[] = [];
  for (let page = 1; page <= 50; page++) {
    const r = await api(emu, tok, "POST", "/api/v2/analytics/conversations/details/query", { interval, order: "asc", paging: { pageSize: 100, pageNumber: page }, ...extra });
    if (r.status !== 200) return { status: r.status, convs };
    if (!r.body.conversations) break;
    convs.push(...r.body.conversations);
  }
  return { status: 200, convs };
}

test("details interval: daily indexes by conversation start (UTC) and activity in the interval; 7-day / 31-day limits", async (t) => {
  const emu = await startTestEmulator({ speed: 3000, start: Date.parse("2026-03-01T23:30:00Z"), durationMinutes: 45, ingestionDelaySeconds: 0.05, ingestionLagTailShare: 0 });
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  await waitUntil(() => emu.sim.settled, 30_000, "settle");
  await new Promise((r) => setTimeout(r, 200));
  const midnight = Date.parse("2026-03-02T00:00:00Z");
  const convs = [...emu.sim.conversations.values()];
  const spanning = convs.filter((c) => c.start < midnight && c.end! >= midnight);
  const yesterdayOnly = convs.filter((c) => c.end! < Date.parse("2026-03-01T23:59:00Z"));
  const today = convs.filter((c) => c.start >= midnight);
  assert.ok(spanning.length > 3 && yesterdayOnly.length > 3 && today.length > 3, `${spanning.length} / ${yesterdayOnly.length} / ${today.length}`);

  // Entirely today: yesterday's conversations are not searched, even those still active today.
  const a = await details(emu, tok, "2026-03-02T00:00:00.000Z/2026-03-02T02:00:00.000Z");
  const idsA = new Set(a.convs.map((c) => c.conversationId));
  for (const c of spanning) assert.ok(!idsA.has(c.id), `conversation ${c.id} started yesterday: not found by a query inside today`);
  assert.deepEqual([...idsA].sort(), today.map((c) => c.id).sort());
  // Touching yesterday: the spanning ones are found (activity in the interval), the finished ones are not.
  const b = await details(emu, tok, "2026-03-01T23:59:00.000Z/2026-03-02T02:00:00.000Z");
  const idsB = new Set(b.convs.map((c) => c.conversationId));
  for (const c of spanning) assert.ok(idsB.has(c.id));
  for (const c of yesterdayOnly) assert.ok(!idsB.has(c.id));
  for (const c of today) assert.ok(idsB.has(c.id));
  // A conversation in progress over the whole interval is found although nothing starts or ends in it.
  const inProgress = spanning.find((c) => c.end! > midnight + 60_000 && c.start < midnight - 120_000);
  if (inProgress) {
    const c = await details(emu, tok, `${new Date(midnight - 60_000).toISOString()}/${new Date(midnight - 30_000).toISOString()}`);
    assert.ok(c.convs.some((x) => x.conversationId === inProgress.id));
  }

  const day = 86_400_000;
  const span = (days: number) => `2026-02-20T00:00:00.000Z/${new Date(Date.parse("2026-02-20T00:00:00Z") + days * day).toISOString()}`;
  const filter = { segmentFilters: [{ type: "or", predicates: [{ dimension: "queueId", value: emu.sim.queues[0].id }] }] };
  assert.equal((await details(emu, tok, span(7))).status, 200);
  const tooLong = await api(emu, tok, "POST", "/api/v2/analytics/conversations/details/query", { interval: span(8) });
  assert.equal(tooLong.status, 400);
  assert.match(tooLong.body.message, /7 days/);
  assert.equal((await details(emu, tok, span(8), filter)).status, 200);
  assert.equal((await details(emu, tok, span(31), filter)).status, 200);
  assert.equal((await details(emu, tok, span(32), filter)).status, 400);
});

test("ingestion lag: mostly around the typical delay, some versions minutes late; a newer version can show before an older one", async (t) => {
  const emu = await startTestEmulator({ speed: 60, ingestionDelaySeconds: 3, ingestionLagTailSeconds: 120, ingestionLagTailShare: 0.05 });
  t.after(() => emu.stop());
  const sim = new (await import("../../src/emulator/simulator/simulator.js")).Simulator(emu.options.scenario, { seed: 3, start: Date.parse("2026-03-01T09:00:00Z"), durationMinutes: 120 });
  sim.advanceTo(Date.parse("2026-03-01T12:00:00Z"));
  const lags: number[] = [];
  let overtakes = 0;
  for (const c of sim.conversations.values()) {
    const ls = c.versions.map((_, i) => emu.analytics.lagMs(c, i));
    lags.push(...ls);
    for (let i = 1; i < ls.length; i++) if (c.versions[i].time + ls[i] < c.versions[i - 1].time + ls[i - 1]) overtakes++;
    assert.deepEqual(ls, c.versions.map((_, i) => emu.analytics.lagMs(c, i)), "stable: the same version always has the same lag");
  }
  const typical = 3 * 1000 * 60;
  const tail = lags.filter((l) => l >= 120 * 1000 * 60 * 0.5);
  assert.ok(lags.length > 1000);
  assert.ok(lags.filter((l) => l >= typical * 0.5 && l <= typical * 1.5).length / lags.length > 0.9, "most versions lag 0.5x..1.5x the typical delay");
  assert.ok(tail.length / lags.length > 0.02 && tail.length / lags.length < 0.09, `${tail.length} of ${lags.length} in the long tail`);
  assert.ok(overtakes > 0, "some newer versions become visible before older ones");
});

test("PATCH /emulator/queues/{id}: rename and move a queue at run time; id, history and ground truth stay", async (t) => {
  const emu = await startTestEmulator({ speed: 600 });
  t.after(() => emu.stop());
  const tok = await bearer(emu);
  const patch = (id: string, body: unknown) => fetch(`${emu.url}/emulator/queues/${id}`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const [sales, support, billing] = ["Sales", "Support", "Billing"].map((n) => emu.sim.queues.find((q) => q.name === n)!);
  await waitUntil(() => emu.sim.events.some((e) => e.queueId === sales.id), 10_000, "Sales traffic");
  const before = emu.sim.events.filter((e) => e.queueId === sales.id).length;
  const financeId = billing.divisionId;
  const homeId = sales.divisionId;

  const renamed = await patch(sales.id, { name: "Sales East" });
  assert.equal(renamed.status, 200);
  assert.deepEqual(await renamed.json(), { id: sales.id, name: "Sales East", division: { id: homeId, name: "Home" } });
  const listed = await api(emu, tok, "GET", "/api/v2/routing/queues?name=Sales*");
  assert.deepEqual(listed.body.entities.map((q: any) => [q.id, q.name]), [[sales.id, "Sales East"]]);
  assert.equal((await api(emu, tok, "GET", "/api/v2/routing/queues?name=Sales")).body.entities.length, 0);

  assert.equal((await patch(billing.id, { division: "Home" })).status, 200, "by division name");
  assert.equal((await patch(support.id, { division: financeId })).status, 200, "by division id");
  const byDivision = async (id: string) => (await api(emu, tok, "GET", `/api/v2/routing/queues?divisionId=${id}`)).body.entities.map((q: any) => q.name).sort();
  assert.deepEqual(await byDivision(homeId), ["Billing", "Sales East"]);
  assert.deepEqual(await byDivision(financeId), ["Support"]);
  assert.equal((await patch(support.id, { name: "Billing", division: "Home" })).status, 409, "names stay unique");
  assert.deepEqual(await byDivision(financeId), ["Support"], "a refused change changes nothing");
  const newDivision = (await (await patch(support.id, { division: "Operations" })).json()) as any;
  assert.equal(newDivision.division.name, "Operations");
  assert.notEqual(newDivision.division.id, financeId);

  for (const body of [{}, { name: "" }, { name: 5 }, { name: "X", colour: "red" }, [1]]) assert.equal((await patch(sales.id, body)).status, 400, JSON.stringify(body));
  assert.equal((await patch("00000000-0000-4000-8000-000000000000", { name: "Nope" })).status, 404);

  // Same id: its ground truth goes on, old and new events under one queue.
  await waitUntil(() => emu.sim.events.filter((e) => e.queueId === sales.id).length > before + 5, 10_000, "more Sales East traffic");
  const truth = (await (await fetch(`${emu.url}/emulator/ground-truth`)).json()) as any;
  assert.ok(truth.queues.some((g: any) => g.queueId === sales.id && g.counts.offered >= before / 2));
  assert.equal((await api(emu, tok, "GET", `/api/v2/routing/queues/${sales.id}`)).body.name, "Sales East");
});

/** Starts `queue-monitor emulate` and collects everything it prints until it is listening, then stops it. */
async function emulateOutput(args: string[], env: Record<string, string>): Promise<{ out: string; url: string }> {
  const child = spawn(process.execPath, [CLI, "emulate", "--port", "0", "--scenario", "mmc", ...args], { env: { ...process.env, LOG_LEVEL: "debug", ...env } });
  let out = "";
  child.stdout.on("data", (d) => (out += String(d)));
  child.stderr.on("data", (d) => (out += String(d)));
  try {
    await waitUntil(() => /Genesys Cloud emulator on \S+/.test(out) && out.includes("emulator listening"), 15_000, "the emulator to start");
    return { out, url: /Genesys Cloud emulator on (\S+)/.exec(out)![1] };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

test("no secret in any printed or logged line: the id and where the secret came from instead", async () => {
  const secret = `s3cret-${randomBytes(12).toString("hex")}`;
  const fromEnv = await emulateOutput([], { GENESYS_CLIENT_ID: "env-id", GENESYS_CLIENT_SECRET: secret });
  assert.ok(!fromEnv.out.includes(secret), fromEnv.out);
  assert.match(fromEnv.out, /client id: env-id, secret: \(from env GENESYS_CLIENT_SECRET\)/);
  const flag = `f1ag-${randomBytes(12).toString("hex")}`;
  const fromFlag = await emulateOutput(["--client-secret", flag], { GENESYS_CLIENT_SECRET: secret });
  assert.ok(!fromFlag.out.includes(flag) && !fromFlag.out.includes(secret), fromFlag.out);
  assert.match(fromFlag.out, /secret: \(from --client-secret\)/);
  const dflt = await emulateOutput([], { GENESYS_CLIENT_SECRET: "" });
  assert.ok(!dflt.out.includes("demo-client-secret"), dflt.out);

  // The secret is still the one accepted (it was adopted, just not shown).
  const emu = await startTestEmulator({ clientId: "env-id", clientSecret: secret });
  try {
    assert.equal((await token(emu, "env-id", secret)).status, 200);
  } finally {
    await emu.stop();
  }
});
