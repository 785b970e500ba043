/**
 * The shared transport and its one retry policy: status carried as a field, permanent errors
 * classified, Retry-After honoured, backoff capped with full jitter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError, HttpTransport, readJson } from "../../../src/delivery/transport.js";
import { deliveryPolicy } from "../../../src/delivery/policy.js";
import { hugeServer, MB } from "../../helpers/huge-body.js";
import { Backoff, backoffMs, retryDelayMs, type RetryPolicy } from "../../../src/delivery/retry.js";

const fast: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2000, timeoutMs: 2000 };

async function serve(handler: (n: number) => { status: number; body: string; headers?: Record<string, string> }): Promise<{ url: string; server: Server; hits: () => number }> {
  let n = 0;
  const server = createServer((req, res) => {
    const a = handler(++n);
    res.writeHead(a.status, { "content-type": "text/plain", ...a.headers });
    res.end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits: () => n };
}

test("the final status is a field, not parsed back out of the message", async (t) => {
  // A body that would fool a regex on "answered NNN" in the text.
  const s = await serve(() => ({ status: 502, body: "upstream answered 200 fine" }));
  t.after(() => s.server.close());
  const tr = new HttpTransport(fast);
  const err = await tr.send({ method: "GET", url: `${s.url}/x` }).then(
    () => assert.fail("should throw"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof HttpError);
  assert.equal(err.status, 502);
  assert.equal(err.kind, "server");
  assert.equal(err.permanent, false);
  assert.equal(s.hits(), 3, "retried up to maxAttempts");
});

test("a network failure has status 0 and kind network", async () => {
  const tr = new HttpTransport(fast);
  const err = (await tr.send({ method: "GET", url: "http://127.0.0.1:1/" }).catch((e: unknown) => e)) as HttpError;
  assert.ok(err instanceof HttpError);
  assert.equal(err.status, 0);
  assert.equal(err.kind, "network");
});

test("403 and 401 are permanent (auth); other 4xx are permanent (request); 5xx and 429 are not", async (t) => {
  let status = 403;
  const s = await serve(() => ({ status, body: JSON.stringify({ message: "no", code: "missing.permissions" }) }));
  t.after(() => s.server.close());
  const tr = new HttpTransport(fast);
  for (const [st, kind, permanent] of [[403, "auth", true], [401, "auth", true], [400, "request", true], [404, "request", true], [500, "server", false]] as const) {
    status = st;
    const e = (await tr.send({ method: "GET", url: `${s.url}/y` }).catch((x: unknown) => x)) as HttpError;
    assert.equal(e.status, st);
    assert.equal(e.kind, kind, `${st}`);
    assert.equal(e.permanent, permanent, `${st}`);
  }
});

test("Retry-After is honoured once per answer, and one over the cap gives up at once", async (t) => {
  const s = await serve((n) => (n === 1 ? { status: 429, body: "slow down", headers: { "retry-after": "1" } } : n === 2 ? { status: 200, body: "ok" } : { status: 429, body: "daily", headers: { "retry-after": "3600" } }));
  t.after(() => s.server.close());
  const tr = new HttpTransport(fast);
  const began = Date.now();
  const r = await tr.send({ method: "GET", url: `${s.url}/z` });
  assert.equal(r.status, 200);
  assert.ok(Date.now() - began >= 950, "waited the second the server asked");
  const e = (await tr.send({ method: "GET", url: `${s.url}/z` }).catch((x: unknown) => x)) as HttpError;
  assert.equal(e.status, 429);
  assert.equal(s.hits(), 3, "a Retry-After over the cap is not waited for");
});

test("one backoff policy: capped full jitter, attempts counted, Retry-After wins when given", () => {
  for (let a = 0; a < 40; a++) {
    const d = backoffMs(a, 100, 5000);
    assert.ok(d >= 0 && d <= Math.min(5000, 100 * 2 ** a), `${a}: ${d}`);
  }
  assert.equal(backoffMs(3, 100, 5000, () => 0.5), 400);
  assert.equal(backoffMs(1000, 100, 5000, () => 0.999999), 4999, "no overflow for huge attempts");
  assert.equal(retryDelayMs(0, fast, "2", () => 0), 2000);
  assert.ok(retryDelayMs(0, fast, "2")! < 2100);
  assert.equal(retryDelayMs(0, fast, "7200"), null, "over maxRetryAfterMs: give up");
  const b = new Backoff({ baseMs: 100, capMs: 1000, minMs: 10 }, () => 1);
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  assert.equal(b.attempts, 6);
  b.reset();
  assert.equal(b.next(), 100);
  const low = new Backoff({ baseMs: 100, capMs: 1000, minMs: 10 }, () => 0);
  assert.equal(low.next(), 10, "never below the floor");
});

// ---- the body bound: a server answering far more than anyone needs ----------------------------

const quick = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 2000, timeoutMs: 30_000 };
const sinkPolicy = { ...deliveryPolicy("sink"), request: quick };
const genesysPolicy = { ...deliveryPolicy("genesys"), request: quick };

async function rssGrowth<T>(f: () => Promise<T>): Promise<{ result: T; growthMb: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const probe = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    const result = await f();
    return { result, growthMb: (Math.max(peak, process.memoryUsage().rss) - before) / MB };
  } finally {
    clearInterval(probe);
  }
}

test("a 200 MB 2xx where the whole body is needed (Genesys) is an HttpError too-large; the process reads at most the bound", async (t) => {
  const s = await hugeServer(() => ({ status: 200, bytes: 200 * MB, prefix: '{"conversations":[' }));
  t.after(() => s.close());
  const tr = new HttpTransport(genesysPolicy);
  const { result: err, growthMb } = await rssGrowth(() => tr.send({ method: "POST", url: `${s.url}/api/v2/analytics/conversations/details/query` }).catch((e: unknown) => e));
  assert.ok(err instanceof HttpError, String(err));
  assert.equal(err.kind, "too-large");
  assert.equal(err.status, 200);
  assert.equal(err.permanent, false);
  assert.match(err.message, /body over 33554432 bytes/);
  assert.equal(s.hits(), 1, "not retried: the same request would get the same answer");
  assert.deepEqual([tr.stats.tooLarge, tr.stats.failures], [1, 1]);
  assert.equal(s.completed(), 0, "the body was never read to its end");
  assert.ok(s.written() < 48 * MB, `server wrote ${(s.written() / MB).toFixed(1)} MB of 200 before the client hung up`);
  t.diagnostic(`genesys bound 32 MiB, 200 MB answer: rss +${growthMb.toFixed(1)} MB, server wrote ${(s.written() / MB).toFixed(1)} MB`);
  assert.ok(growthMb < 120, `rss grew ${growthMb.toFixed(0)} MB for a 32 MiB bound (reading it whole costs over 200 MB)`);
});

test("a declared Content-Length over the bound is not read at all", async (t) => {
  const s = await hugeServer(() => ({ status: 200, bytes: 200 * MB, declareLength: true }));
  t.after(() => s.close());
  const tr = new HttpTransport(genesysPolicy);
  const err = (await tr.send({ method: "GET", url: `${s.url}/api/v2/routing/queues` }).catch((e: unknown) => e)) as HttpError;
  assert.equal(err.kind, "too-large");
  assert.ok(s.written() < 8 * MB, `server wrote ${(s.written() / MB).toFixed(1)} MB`);
});

test("sinks and PagerDuty: a 200 MB 2xx is delivered, a 5xx is retried by its status, a 4xx returned; memory stays low", async (t) => {
  let status = 200;
  const s = await hugeServer(() => ({ status, bytes: 200 * MB, prefix: '{"error":"too much"' }));
  t.after(() => s.close());
  const tr = new HttpTransport(sinkPolicy);
  const { result, growthMb } = await rssGrowth(async () => {
    const ok = await tr.send({ method: "POST", url: `${s.url}/api/v1/import/prometheus`, body: "m 1\n" });
    status = 503;
    const busy = (await tr.send({ method: "POST", url: `${s.url}/w` }).catch((e: unknown) => e)) as HttpError;
    status = 400;
    const refused = await tr.send({ method: "POST", url: `${s.url}/w` }, (st) => st >= 400 && st < 500);
    return { ok, busy, refused };
  });
  assert.equal(result.ok.status, 200);
  assert.equal(result.ok.truncated, true);
  assert.equal(result.ok.text.length, 64 * 1024, "what is kept of a cut body: its first 64 KiB");
  assert.ok(result.ok.text.startsWith('{"error":"too much"'));
  assert.ok(result.busy instanceof HttpError);
  assert.deepEqual([result.busy.status, result.busy.kind], [503, "server"]);
  assert.ok(result.busy.body.startsWith('{"error":"too much"'), "the error carries an excerpt");
  assert.deepEqual([result.refused.status, result.refused.truncated], [400, true]);
  assert.equal(s.hits(), 1 + 3 + 1, "the 503 was retried as any 503");
  assert.equal(tr.stats.tooLarge, 5);
  assert.equal(s.completed(), 0);
  assert.ok(s.written() < 5 * 16 * MB, `server wrote ${(s.written() / MB).toFixed(1)} MB over 5 answers of 200 MB`);
  t.diagnostic(`sink bound 256 KiB, five 200 MB answers: rss +${growthMb.toFixed(1)} MB, server wrote ${(s.written() / MB).toFixed(1)} MB`);
  assert.ok(growthMb < 40, `rss grew ${growthMb.toFixed(0)} MB over five answers of 200 MB each`);
});

test("a body under the bound is read whole, multi-byte characters across chunks intact", async (t) => {
  const text = JSON.stringify({ name: "Süpport – ☎".repeat(8000) });
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const b = Buffer.from(text);
    // Odd-sized pieces so characters straddle chunk boundaries.
    for (let i = 0; i < b.length; i += 4097) res.write(b.subarray(i, i + 4097));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const r = await new HttpTransport(sinkPolicy).send({ method: "GET", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  assert.equal(r.truncated, false);
  assert.equal(r.text, text);
  assert.deepEqual(readJson(r, { method: "GET", url: "http://x/" }), JSON.parse(text));
  assert.throws(() => readJson({ ...r, truncated: true }, { method: "GET", url: "http://x/y?secret=1" }), (e: unknown) => e instanceof HttpError && e.kind === "too-large" && e.url === "http://x/y");
  assert.throws(() => readJson({ ...r, text: "<html>" }, { method: "GET", url: "http://x/" }), (e: unknown) => e instanceof HttpError && e.kind === "protocol");
});
