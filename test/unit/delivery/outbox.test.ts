/**
 * The outbox and the sink runner against a scripted loopback HTTP server: order, restart
 * survival, the bound, latest-only draining, and the transport's classification (2xx delivered,
 * 5xx / 429 / network kept for later, other 4xx dead-lettered and never retried).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Outbox } from "../../../src/delivery/outbox.js";
import { DeliveryRunner } from "../../../src/delivery/runner.js";
import { flushCodec } from "../../../src/sinks/flush-codec.js";
import type { Flush } from "../../../src/sinks/samples.js";
import type { Sink } from "../../../src/sinks/sink.js";
import { encodeImportText, victoriaMetricsSink } from "../../../src/sinks/victoriametrics/encode.js";
import { HttpTransport } from "../../../src/delivery/transport.js";
import { silentLogger } from "../../../src/util/log.js";

const flush = (at: number, v = at): Flush => ({ at, samples: [{ family: "m", name: "m", labels: { q: "a" }, value: v }] });

const flushOutbox = (db: Database.Database, sinks: string[], maxPending: number) => new Outbox(db, { table: "export", codec: flushCodec, destinations: sinks, maxPending });
const makeRunner = (sink: Sink, ob: Outbox<Flush>, transport: HttpTransport) => new DeliveryRunner(sink, ob, transport, silentLogger, { outage: { baseMs: 10, capMs: 50 } });

function dbFile(): string {
  return join(mkdtempSync(join(tmpdir(), "qm-outbox-")), "state.sqlite");
}

test("flushes survive a reopen, drain oldest first, and the bound drops the oldest", () => {
  const file = dbFile();
  let db = new Database(file);
  let ob = flushOutbox(db, ["a", "b"], 3);
  for (let i = 1; i <= 5; i++) {
    const { dropped } = ob.add(flush(i * 1000), ["a", "b"]);
    assert.deepEqual(dropped, i > 3 ? { a: 1, b: 1 } : {});
  }
  assert.equal(ob.pending("a"), 3);
  ob.done("b", ob.oldest("b")!.seq);
  db.close();
  db = new Database(file);
  ob = flushOutbox(db, ["a", "b"], 3);
  assert.equal(ob.pending("a"), 3);
  assert.equal(ob.pending("b"), 2);
  const order: number[] = [];
  for (let i = 0; i < 10; i++) {
    const it = ob.oldest("a");
    if (!it) break;
    order.push(it.item!.at);
    assert.deepEqual(it.item!.samples, flush(it.item!.at).samples, "samples round-trip");
    ob.done("a", it.seq);
  }
  assert.deepEqual(order, [3000, 4000, 5000]);
  // b still needs 4000 and 5000: their figures are kept; 3000 (sent to both) is gone.
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM export_flushes").get() as { n: number }).n, 2);
  // A sink no longer configured: what waited for it is discarded at start.
  db.close();
  db = new Database(file);
  ob = flushOutbox(db, ["a"], 3);
  assert.deepEqual(ob.removedSinks, ["b"]);
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM export_flushes").get() as { n: number }).n, 0);
  db.close();
});

interface Hit {
  method: string;
  url: string;
  body: string;
}

async function scriptedServer(t: { after: (f: () => unknown) => void }, answer: (hit: Hit, n: number) => [number, Record<string, string>?, string?]) {
  const hits: Hit[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const hit = { method: req.method ?? "", url: req.url ?? "", body };
      hits.push(hit);
      const [status, headers, text] = answer(hit, hits.length);
      res.writeHead(status, headers ?? {});
      res.end(text ?? "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  t.after(() => new Promise((r) => server.close(() => r(undefined))));
  return { hits, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

function textSink(url: string, latestOnly = false): Sink {
  return { name: "s", type: "test", latestOnly, request: (f) => ({ method: "POST", url: `${url}/write`, body: encodeImportText(f) }) };
}

const fastTransport = () => new HttpTransport({ maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000, timeoutMs: 2000 });

test("runner: 5xx keeps the flush and later sends everything in order; 400 is dead-lettered and never retried", async (t) => {
  let down = true;
  const srv = await scriptedServer(t, (hit) => {
    if (down) return [503, {}, "overloaded"];
    if (hit.body.includes(" 2000 ")) return [400, {}, "cannot parse line 2000"];
    return [204];
  });
  const db = new Database(":memory:");
  const ob = flushOutbox(db, ["s"], 100);
  const runner = makeRunner(textSink(srv.url), ob, fastTransport());
  for (const at of [1000, 2000, 3000]) ob.add(flush(at), ["s"]);
  await runner.drain(true);
  assert.equal(ob.pending("s"), 3, "nothing lost while the server fails");
  assert.equal(runner.failures, 1);
  assert.ok(srv.hits.every((h) => h.body.includes(" 1000")), "only the oldest was tried: order is kept");
  down = false;
  await runner.drain(true);
  assert.equal(ob.pending("s"), 0);
  assert.equal(runner.sent, 2);
  assert.equal(runner.deadLetters, 1);
  const bodies = srv.hits.slice(-3).map((h) => h.body.trim().split(" ").pop());
  assert.deepEqual(bodies, ["1000", "2000", "3000"]);
  assert.equal(srv.hits.filter((h) => h.body.includes(" 2000")).length, 1, "the refused flush was sent once");
  const dead = db.prepare("SELECT sink, at, status, message FROM export_dead_letters").all();
  assert.deepEqual(dead, [{ sink: "s", at: 2000, status: 400, message: "cannot parse line 2000" }]);
  db.close();
});

test("runner: 429 with Retry-After is waited for, then delivered", async (t) => {
  const srv = await scriptedServer(t, (_h, n) => (n === 1 ? [429, { "retry-after": "1" }] : [204]));
  const db = new Database(":memory:");
  const ob = flushOutbox(db, ["s"], 100);
  const runner = makeRunner(textSink(srv.url), ob, fastTransport());
  ob.add(flush(1000), ["s"]);
  const t0 = Date.now();
  await runner.drain(true);
  assert.ok(Date.now() - t0 >= 950, `waited ${Date.now() - t0} ms`);
  assert.equal(srv.hits.length, 2);
  assert.equal(ob.pending("s"), 0);
  db.close();
});

test("runner: an unreachable server keeps everything; a latest-only sink sends only the newest when it returns", async (t) => {
  const db = new Database(":memory:");
  const ob = flushOutbox(db, ["s"], 100);
  const dead = makeRunner(textSink("http://127.0.0.1:9"), ob, fastTransport());
  for (const at of [1000, 2000, 3000]) ob.add(flush(at), ["s"]);
  await dead.drain(true);
  assert.equal(ob.pending("s"), 3);
  const srv = await scriptedServer(t, () => [200]);
  const runner = makeRunner(textSink(srv.url, true), ob, fastTransport());
  await runner.drain(true);
  assert.equal(ob.pending("s"), 0);
  assert.equal(srv.hits.length, 1);
  assert.match(srv.hits[0].body, / 3000\n$/);
  assert.equal(runner.superseded, 2);
  db.close();
});

test("runner: a sink's body buffer is reused only after its send ended; every flush arrives intact, 5xx retries included", async (t) => {
  // Buffers over 64 kB (the pool keeps only buffers of their own): 8,000 series of one sample each.
  const big = (at: number): Flush => ({
    at,
    samples: Array.from({ length: 8000 }, (_, i) => ({ family: "m", name: "m", labels: { queue_id: `q-${i}`, queue_name: `Queue number ${i} with a long name` }, value: at + i })),
  });
  const expected = (at: number) => encodeImportText(big(at));
  let n = 0;
  const srv = await scriptedServer(t, () => (++n % 3 === 1 ? [503, {}, "busy"] : [204]));
  const db = new Database(":memory:");
  const ob = flushOutbox(db, ["victoriametrics"], 100);
  const sink = victoriaMetricsSink("victoriametrics", { url: srv.url });
  const released: Uint8Array[] = [];
  const release = sink.release!.bind(sink);
  const runner = makeRunner({ ...sink, release: (req) => (released.push(req.body as Uint8Array), release(req)) }, ob, fastTransport());
  for (const at of [1000, 2000, 3000]) ob.add(big(at), ["victoriametrics"]);
  await runner.drain(true);
  assert.equal(ob.pending("victoriametrics"), 0);
  const delivered = srv.hits.filter((_, i) => (i + 1) % 3 !== 1).map((h) => h.body);
  assert.deepEqual(delivered, [1000, 2000, 3000].map(expected), "each flush arrived whole, in order");
  assert.equal(released.length, 3, "each body handed back once its send ended");
  assert.ok(released[0].buffer.byteLength > 64 * 1024);
  assert.equal(released[1].buffer, released[0].buffer, "the next body was written into the same buffer");
  db.close();
});
