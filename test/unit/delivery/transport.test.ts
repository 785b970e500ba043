/**
 * The shared transport and its one retry policy: status carried as a field, permanent errors
 * classified, Retry-After honoured, backoff capped with full jitter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError, HttpTransport } from "../../../src/delivery/transport.js";
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
