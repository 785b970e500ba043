/**
 * The runner's handling of items that can never be delivered: a request that cannot be built, a
 * row that no longer decodes, a refusal, a body over the bound; and its between-drain backoff
 * (the same Backoff as every loop, honouring the server's Retry-After).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { Outbox } from "../../../src/delivery/outbox.js";
import { deliveryPolicy } from "../../../src/delivery/policy.js";
import { DeliveryRunner, type Destination } from "../../../src/delivery/runner.js";
import { HttpTransport } from "../../../src/delivery/transport.js";
import { flushCodec } from "../../../src/sinks/flush-codec.js";
import type { Flush } from "../../../src/sinks/samples.js";
import { encodeImportText } from "../../../src/sinks/victoriametrics/encode.js";
import { captureLog, ERROR, WARN } from "../../helpers/log-capture.js";
import { hugeServer, MB } from "../../helpers/huge-body.js";

const flush = (at: number): Flush => ({ at, samples: [{ family: "m", name: "m", labels: { q: "a" }, value: at }] });
const quick = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 0, timeoutMs: 10_000 };
const transport = () => new HttpTransport({ ...deliveryPolicy("sink"), request: quick });
const outage = { baseMs: 200, capMs: 400, minMs: 50, maxRetryAfterMs: 1500 };

async function receiver(t: { after: (f: () => unknown) => void }, answer: (body: string, n: number) => [number, Record<string, string>?, string?]) {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      const [status, headers, text] = answer(body, bodies.length);
      res.writeHead(status, headers ?? {});
      res.end(text ?? "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => server.close(r)));
  return { bodies, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/write` };
}

function setup(sink: Destination<Flush>) {
  const db = new Database(":memory:");
  const outbox = new Outbox(db, { table: "export", codec: flushCodec, destinations: [sink.name], maxPending: 100 });
  const { log, lines } = captureLog();
  const runner = new DeliveryRunner(sink, outbox, transport(), log, { outage });
  const dead = () => db.prepare("SELECT sink, at, status, message FROM export_dead_letters ORDER BY id").all() as { sink: string; at: number; status: number; message: string }[];
  return { db, outbox, runner, lines, dead };
}

test("a flush whose request cannot be built is dead-lettered with the reason; the next ones still go in the same drain", async (t) => {
  const rx = await receiver(t, () => [204]);
  const sink: Destination<Flush> = {
    name: "vm",
    type: "victoriametrics",
    latestOnly: false,
    request: (f) => {
      if (f.at === 2000) throw new RangeError("Invalid string length");
      return { method: "POST", url: rx.url, body: encodeImportText(f) };
    },
  };
  const { outbox, runner, lines, dead } = setup(sink);
  for (const at of [1000, 2000, 3000]) outbox.add(flush(at), ["vm"]);
  await runner.drain(true);
  assert.equal(outbox.pending("vm"), 0);
  assert.deepEqual(rx.bodies.map((b) => b.trim().split(" ").pop()), ["1000", "3000"]);
  assert.deepEqual([runner.sent, runner.deadLetters, runner.failures], [2, 1, 0], "not a failure of the sink: nothing is retried");
  assert.deepEqual(runner.status().discarded, { refused: 0, unbuildable: 1, undecodable: 0, cap: 0 });
  assert.deepEqual(dead(), [{ sink: "vm", at: 2000, status: 0, message: "unbuildable: request could not be built: Invalid string length" }]);
  const said = lines.filter((l) => l.level === ERROR);
  assert.equal(said.length, 1);
  assert.match(said[0].msg, /cannot be built; dead-lettered, not retried/);
  assert.equal(said[0].reason, "unbuildable");
  assert.ok(!lines.some((l) => /unreachable/.test(l.msg)), "not reported as an unreachable sink");
});

test("rows that no longer decode (damaged, missing) are dead-lettered as undecodable; the readable ones are delivered", async (t) => {
  const rx = await receiver(t, () => [204]);
  const { db, outbox, runner, lines, dead } = setup({ name: "vm", type: "victoriametrics", latestOnly: false, request: (f) => ({ method: "POST", url: rx.url, body: encodeImportText(f) }) });
  outbox.add(flush(1000), ["vm"]);
  const bad = Number(db.prepare("INSERT INTO export_flushes (at, samples) VALUES (?, ?)").run(1500, Buffer.from("not gzip")).lastInsertRowid);
  db.prepare("INSERT INTO export_pending (sink, seq) VALUES ('vm', ?)").run(bad);
  db.prepare("INSERT INTO export_pending (sink, seq) VALUES ('vm', 999)").run(); // its flush row is gone
  outbox.add(flush(3000), ["vm"]);
  const reopened = new Outbox(db, { table: "export", codec: flushCodec, destinations: ["vm"], maxPending: 100 });
  const r = new DeliveryRunner(runner.sink, reopened, transport(), captureLog().log, { outage });
  assert.equal(reopened.pending("vm"), 4);
  await r.drain(true);
  assert.equal(reopened.pending("vm"), 0);
  assert.deepEqual(rx.bodies.map((b) => b.trim().split(" ").pop()), ["1000", "3000"]);
  assert.deepEqual([r.sent, r.deadLetters, r.failures, r.discarded.undecodable], [2, 2, 0, 2]);
  const d = dead();
  assert.deepEqual(d.map((x) => [x.at, x.status]), [[1500, 0], [0, 0]]);
  assert.match(d[0].message, /^undecodable: metric-flush v2 cannot read stored item \d+: /);
  assert.match(d[1].message, /^undecodable: metric-flush: stored item 999 is missing/);
  void lines;
});

test("a latest-only sink whose newest row is damaged sends the newest readable one", async (t) => {
  const rx = await receiver(t, () => [200]);
  const { db, outbox, runner } = setup({ name: "pgw", type: "pushgateway", latestOnly: true, request: (f) => ({ method: "PUT", url: rx.url, body: encodeImportText(f) }) });
  outbox.add(flush(1000), ["pgw"]);
  outbox.add(flush(2000), ["pgw"]);
  const bad = Number(db.prepare("INSERT INTO export_flushes (at, samples) VALUES (?, ?)").run(3000, Buffer.from([0x1f, 0x8b, 0, 1])).lastInsertRowid);
  db.prepare("INSERT INTO export_pending (sink, seq) VALUES ('pgw', ?)").run(bad);
  const r = new DeliveryRunner(runner.sink, new Outbox(db, { table: "export", codec: flushCodec, destinations: ["pgw"], maxPending: 100 }), transport(), captureLog().log, { outage });
  await r.drain(true);
  assert.deepEqual(rx.bodies.map((b) => b.trim().split(" ").pop()), ["2000"]);
  assert.deepEqual([r.sent, r.superseded, r.discarded.undecodable], [1, 1, 1]);
  void outbox;
});

test("between drains: the outage Backoff (floor, cap) and the server's Retry-After, capped", async (t) => {
  let answer: [number, Record<string, string>?] = [429, { "retry-after": "1" }];
  const rx = await receiver(t, () => answer);
  const { outbox, runner, lines } = setup({ name: "vm", type: "victoriametrics", latestOnly: false, request: (f) => ({ method: "POST", url: rx.url, body: encodeImportText(f) }) });
  outbox.add(flush(1000), ["vm"]);
  await runner.drain(true);
  const first = lines.find((l) => /unreachable/.test(l.msg))!;
  assert.equal(first.level, WARN);
  assert.ok((first.retryMs as number) >= 1000 && (first.retryMs as number) < 1100, `Retry-After 1 s honoured between drains: ${first.retryMs}`);
  await runner.drain();
  assert.equal(rx.bodies.length, 1, "no drain before the server's time");
  answer = [429, { "retry-after": "3600" }];
  await new Promise((r) => setTimeout(r, 1150));
  await runner.drain();
  assert.equal(rx.bodies.length, 2, "drained again once the wait passed");
  const capped = lines.filter((l) => /unreachable/.test(l.msg))[1];
  assert.ok((capped.retryMs as number) >= 1500 && (capped.retryMs as number) < 1600, `an hour asked, the cap waited: ${capped.retryMs}`);
  answer = [503];
  for (let i = 0; i < 6; i++) await runner.drain(true);
  const waits = lines.filter((l) => /unreachable/.test(l.msg)).slice(2).map((l) => l.retryMs as number);
  assert.equal(waits.length, 6);
  for (const [i, w] of waits.entries()) assert.ok(w >= 50 && w <= 400, `attempt ${i + 3}: ${w} ms within [floor 50, cap 400]`);
  answer = [204];
  await runner.drain(true);
  assert.deepEqual([outbox.pending("vm"), runner.sent, runner.failures], [0, 1, 8]);
});

test("a sink answering 200 MB: a 2xx is delivered (counted too-large), a 4xx dead-lettered with an excerpt", async (t) => {
  let status = 200;
  const s = await hugeServer(() => ({ status, bytes: 200 * MB, prefix: '{"error":"partial write"' }));
  t.after(() => s.close());
  const { outbox, runner, lines, dead } = setup({ name: "influxdb", type: "influxdb", latestOnly: false, request: (f) => ({ method: "POST", url: `${s.url}/write`, body: encodeImportText(f) }) });
  outbox.add(flush(1000), ["influxdb"]);
  await runner.drain(true);
  assert.deepEqual([runner.sent, outbox.pending("influxdb"), runner.tooLarge], [1, 0, 1], "delivered: the sink is not stalled by its answer");
  status = 400;
  outbox.add(flush(2000), ["influxdb"]);
  await runner.drain(true);
  assert.deepEqual([runner.deadLetters, outbox.pending("influxdb"), runner.tooLarge, runner.status().tooLarge], [1, 0, 2, 2]);
  const d = dead();
  assert.equal(d[0].status, 400);
  assert.equal(d[0].message.length, 2000, "the dead letter keeps an excerpt");
  assert.ok(d[0].message.startsWith('{"error":"partial write"'));
  assert.equal(lines.filter((l) => /over the bound/.test(l.msg)).length, 1, "said once, then rate-limited");
  assert.equal(s.completed(), 0);
});

test("a destination describes its refusals itself: its fields join the log line", async (t) => {
  const rx = await receiver(t, () => [400, { "content-type": "application/json" }, '{"status":"invalid event","errors":["\'payload.summary\' is required"]}']);
  const { outbox, runner, lines } = setup({
    name: "pd",
    type: "pagerduty",
    latestOnly: false,
    request: () => ({ method: "POST", url: rx.url, body: "{}" }),
    describeRefusal: (res) => ({ errors: (JSON.parse(res.text) as { errors: string[] }).errors }),
  });
  outbox.add(flush(1), ["pd"]);
  await runner.drain(true);
  const line = lines.find((l) => l.level === ERROR)!;
  assert.deepEqual([line.status, line.reason, line.errors], [400, "refused", ["'payload.summary' is required"]]);
  assert.equal(runner.status().discarded.refused, 1);
});

test("an accepted item whose removal from the outbox fails (a full disk) is not sent again: only removed later", async (t) => {
  const rx = await receiver(t, () => [202]);
  const sink: Destination<Flush> = { name: "pd", type: "pagerduty", latestOnly: false, request: (f) => ({ method: "POST", url: rx.url, body: String(f.at) }) };
  const { db, outbox, runner } = setup(sink);
  outbox.add(flush(1000), ["pd"]);
  db.pragma("query_only = 1"); // every write fails from here, as on a full disk
  await runner.drain(true);
  assert.deepEqual(rx.bodies, ["1000"], "delivered once");
  assert.equal(outbox.pending("pd"), 1, "but still in the outbox");
  await runner.drain(true);
  await runner.drain(true);
  assert.deepEqual(rx.bodies, ["1000"], "not delivered again while the disk is full");
  db.pragma("query_only = 0");
  await runner.drain(true);
  assert.equal(outbox.pending("pd"), 0, "removed once it can be");
  assert.deepEqual(rx.bodies, ["1000"]);
});
