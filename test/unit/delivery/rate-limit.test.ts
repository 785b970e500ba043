/**
 * The client-side rate limiter against the emulator's per-token analytics limit, over real HTTP
 * on loopback: paced requests never exceed the limit (and are not much slower than it allows), a
 * 429's Retry-After pauses every request of the token, and a first start against a rate-limited
 * emulator ends with the ground truth's totals at the minimum number of requests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema } from "../../../src/config/schema.js";
import { Monitor } from "../../../src/app/monitor.js";
import { HttpTransport } from "../../../src/delivery/transport.js";
import { RateLimiter } from "../../../src/delivery/rate-limit.js";
import { silentLogger } from "../../../src/util/log.js";
import { bearer, startTestEmulator, waitUntil } from "../../helpers/emulator.js";

const QUERY = { interval: "2026-05-04T00:00:00.000Z/2026-05-04T01:00:00.000Z", paging: { pageSize: 1, pageNumber: 1 } };

async function paced(limit: number, windowMs: number) {
  const emu = await startTestEmulator({ requestsPerMinute: 1_000_000, durationMinutes: 0 });
  emu.analytics.rateLimit = { limit, windowMs };
  const arrivals: number[] = [];
  const admit = emu.analytics.admit.bind(emu.analytics);
  emu.analytics.admit = (token, now = Date.now()) => {
    arrivals.push(now);
    admit(token, now);
  };
  const tok = await bearer(emu);
  const transport = new HttpTransport();
  return { emu, tok, transport, arrivals };
}

function send(transport: HttpTransport, emu: { url: string }, tok: string) {
  return transport.send({ method: "POST", url: `${emu.url}/api/v2/analytics/conversations/details/query`, headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" }, body: JSON.stringify(QUERY) });
}

test("the limiter keeps every window at the server within the limit, at close to the limit's pace", async (t) => {
  const limit = 20;
  const windowMs = 500;
  const { emu, tok, transport, arrivals } = await paced(limit, windowMs);
  t.after(() => emu.stop());
  const limiter = new RateLimiter({ limit, windowMs });
  t.after(() => limiter.close());
  transport.gate = () => ({ limiter });
  const n = 110;
  const started = Date.now();
  // Bounded: 110 requests, 8 workers.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        next++;
        await send(transport, emu, tok);
      }
    }),
  );
  const elapsed = Date.now() - started;
  assert.equal(emu.analytics.stats.rejected, 0, "no 429");
  assert.equal(limiter.stats.throttled, 0);
  assert.ok(emu.analytics.stats.maxInWindow <= limit, `server saw ${emu.analytics.stats.maxInWindow} in a window`);
  // Checked from the arrival times too (the server's own window is (t - windowMs, t]).
  for (let i = limit; i < arrivals.length; i++) assert.ok(arrivals[i] - arrivals[i - limit] > windowMs - 1, `arrival ${i} within a window of ${limit} before it`);
  // 110 requests at 20 per 500 ms need at least 5 full windows after the first burst.
  const floor = Math.floor((n - 1) / limit) * windowMs;
  assert.ok(elapsed >= floor, `paced: ${elapsed} ms >= ${floor} ms`);
  assert.ok(elapsed < floor * 1.5 + 1000, `close to the limit's pace: ${elapsed} ms (floor ${floor} ms)`);
});

test("a 429's Retry-After pauses every request of the token, then all succeed", async (t) => {
  const { emu, tok, transport, arrivals } = await paced(5, 2000);
  t.after(() => emu.stop());
  // The client believes in a far higher limit: only the server's 429 can hold it back.
  const limiter = new RateLimiter({ limit: 1000, windowMs: 1000 });
  t.after(() => limiter.close());
  transport.gate = () => ({ limiter });
  const started = Date.now();
  let next = 0;
  const workers = 2;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < 12) {
        next++;
        await send(transport, emu, tok);
      }
    }),
  );
  const elapsed = Date.now() - started;
  const rejected = emu.analytics.stats.rejected;
  assert.ok(rejected >= 1 && rejected <= workers * 2, `429s: ${rejected} (at most what was already in flight, per window)`);
  assert.ok(limiter.stats.throttled >= 1);
  assert.ok(elapsed >= 2000, `waited for Retry-After: ${elapsed} ms`);
  // After the first 429 nothing is sent for at least the Retry-After (1..2 s here).
  const first429 = arrivals[5];
  const later = arrivals.filter((a) => a > first429 + 50);
  assert.ok(later.length > 0 && later[0] - first429 >= 900, `next request ${later[0] - first429} ms after the 429`);
  assert.equal(emu.analytics.stats.detailsQueries, 12, "every request succeeded in the end (refused ones are not counted there)");
});

test("a first start against a rate-limited emulator reaches the ground truth at the minimum number of requests", async (t) => {
  const dayStart = Date.UTC(2026, 4, 4);
  const start = dayStart + 10 * 3_600_000;
  const limit = 10;
  const windowMs = 1000;
  const emu = await startTestEmulator({ start, speed: 1, durationMinutes: 0, requestsPerMinute: 1_000_000, ingestionDelaySeconds: 0 });
  emu.analytics.rateLimit = { limit, windowMs };
  const queueIds = emu.sim.queues.map((q) => q.id);
  const conversations = 2_450;
  const truth = emu.analytics.addBulkDay({ queueIds, from: dayStart, to: start - 600_000, count: conversations, seed: 7 });
  const dir = mkdtempSync(join(tmpdir(), "qm-first-"));
  const config = configSchema.parse({
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret, rateLimit: { requests: limit, windowSeconds: windowMs / 1000 } },
    stream: { heartbeatSeconds: 30, latencyAllowanceSeconds: 30 },
    // One query over the day (no chunking), no settling pass or reconciliation during the test.
    backfill: { ingestionDelaySeconds: 600, maxConversationHours: 2, reconcileMinutes: 0, chunkMinutes: 1440 },
    stats: { timeZone: "UTC" },
    server: { listen: "127.0.0.1:0" },
    state: { file: join(dir, "state.sqlite"), commitIntervalMs: 100 },
  });
  const monitor = new Monitor(config, emu.clock, silentLogger);
  t.after(async () => {
    await monitor.stop();
    await emu.stop();
  });
  const t0 = Date.now();
  await monitor.start();
  await waitUntil(() => monitor.ready, 30_000, "ready");
  const elapsed = Date.now() - t0;
  const stats = { ...emu.analytics.stats };
  const snap = monitor.engine.snapshot();
  for (const g of truth) {
    const s = snap.find((x) => x.queueId === g.queueId && x.mediaType === g.mediaType);
    assert.deepEqual(s?.totals, g.counts, `totals of ${g.queueId}`);
  }
  const minimum = Math.ceil(conversations / 100);
  assert.equal(stats.rejected, 0, "no 429");
  assert.equal(stats.emptyPages, 0, "no empty page");
  assert.equal(stats.detailsQueries, minimum, `requests ${stats.detailsQueries} = ceil(${conversations} / 100)`);
  assert.ok(stats.maxInWindow <= limit);
  // 25 pages at 10 per second (plus the other API calls sharing the token): paced, not idle.
  assert.ok(elapsed >= 1000 * Math.floor((minimum - 1) / limit), `paced: ${elapsed} ms`);
  const h = monitor.health();
  assert.equal(h.backfill.progress?.running, false);
  assert.equal(h.backfill.progress?.pages, minimum);
  assert.equal(h.backfill.progress?.conversations, conversations);
  assert.equal(h.backfill.progress?.rangeDone, 1);
  assert.equal(h.http.rateLimit?.throttled, 0);
});
