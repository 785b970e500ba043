/**
 * Backfill against a fake details API that enforces a result cap: queries that match more than
 * the cap are split until every part fits, with or without totalHits; one that cannot fit fails
 * loudly. Earlier UTC days are reached with a one-second query at each day's end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { backfill, BackfillTooLargeError, type DetailsApi } from "../../../../../src/sources/genesys/backfill/query.js";
import type { QueueEvent } from "../../../../../src/domain/queue-event.js";

const Q1 = "11111111-1111-4111-8111-111111111111";
const Q2 = "22222222-2222-4222-8222-222222222222";
const T0 = Date.parse("2026-05-04T06:00:00Z");

interface FakeConv {
  id: string;
  queueId: string;
  start: number;
  /** How long it lasts (default 30 s). */
  durationMs?: number;
}

const DAY = 86_400_000;
const dayOf = (t: number) => Math.floor(t / DAY);

/**
 * The documented reading: conversations that started on a UTC day the interval touches and were
 * active during it; pages past the cap are refused (400).
 */
class FakeDetails implements DetailsApi {
  calls: { interval: [number, number]; queues: string[]; page: number }[] = [];
  constructor(
    readonly convs: FakeConv[],
    readonly cap: number,
    readonly withTotalHits = true,
    /** Write dates unpadded (`2026-5-4T6:00:00.000Z`), as published analytics data sometimes does. */
    readonly unpadded = false,
  ) {}
  async call<T>(_method: string, _path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const q = body as { interval: string; paging: { pageSize: number; pageNumber: number }; segmentFilters: { predicates: { value: string }[] }[] };
    const [a, b] = q.interval.split("/").map((x) => Date.parse(x));
    const queues = q.segmentFilters[0].predicates.map((p) => p.value);
    const { pageSize, pageNumber } = q.paging;
    this.calls.push({ interval: [a, b], queues, page: pageNumber });
    if (pageNumber * pageSize > this.cap) throw Object.assign(new Error("400 Pagination may not exceed the cap"), { status: 400 });
    const touched = (c: FakeConv) => dayOf(c.start) >= dayOf(a) && dayOf(c.start) <= dayOf(b);
    const active = (c: FakeConv) => c.start <= b && c.start + (c.durationMs ?? 30_000) >= a;
    const hits = this.convs.filter((c) => touched(c) && active(c) && queues.includes(c.queueId)).sort((x, y) => x.start - y.start);
    const iso = (t: number) => (this.unpadded ? unpad(new Date(t).toISOString()) : new Date(t).toISOString());
    const page = hits.slice((pageNumber - 1) * pageSize, pageNumber * pageSize).map((c) => ({
      conversationId: c.id,
      participants: [
        { participantId: `cust-${c.id}`, purpose: "customer", sessions: [{ mediaType: "voice", segments: [{ segmentStart: iso(c.start), segmentEnd: iso(c.start + (c.durationMs ?? 30_000)) }] }] },
        {
          participantId: `acd-${c.id}`,
          purpose: "acd",
          sessions: [
            {
              mediaType: "voice",
              segments: [{ segmentStart: iso(c.start), segmentEnd: iso(c.start + (c.durationMs ?? 30_000)), queueId: c.queueId, segmentType: "interact" }],
              metrics: [{ name: "tAbandon", value: c.durationMs ?? 30_000, emitDate: iso(c.start + (c.durationMs ?? 30_000)) }],
            },
          ],
        },
      ],
    }));
    return { status: 200, body: { ...(page.length ? { conversations: page } : {}), ...(this.withTotalHits ? { totalHits: hits.length } : {}) } as T };
  }
}

/** 2026-05-04T06:00:00.000Z -> 2026-5-4T6:00:00.000Z */
const unpad = (iso: string) => iso.replace(/^(\d{4})-0?(\d{1,2})-0?(\d{1,2})T0?(\d{1,2}):/, "$1-$2-$3T$4:");

function spread(n: number, queueId: string, from: number, spanMs: number, prefix: string): FakeConv[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, queueId, start: from + Math.floor((i * spanMs) / n) }));
}

async function run(api: FakeDetails, over: Partial<Parameters<typeof backfill>[1]> = {}) {
  const events: QueueEvent[] = [];
  const r = await backfill(api, { queueIds: [Q1, Q2], from: T0, to: T0 + 6 * 3_600_000, maxConversationMs: 0, maxResults: 1000, minSpanMs: 60_000, chunkMs: 6 * 3_600_000, ...over }, (e) => events.push(...e), { concurrency: 4 });
  return { r, events };
}

for (const withTotalHits of [true, false]) {
  test(`a backfill over the result cap is split until every query fits (${withTotalHits ? "with" : "without"} totalHits)`, async () => {
    const convs = [...spread(1800, Q1, T0, 6 * 3_600_000, "a"), ...spread(900, Q2, T0 + 3_600_000, 60_000 * 30, "b")];
    const api = new FakeDetails(convs, 1000, withTotalHits);
    const { r, events } = await run(api);
    const ids = new Set(events.filter((e) => e.kind === "offered").map((e) => e.conversationId));
    assert.equal(ids.size, convs.length, "every conversation found");
    assert.ok(r.splits > 0);
    assert.equal(new Set(events.filter((e) => e.kind === "abandoned").map((e) => e.conversationId)).size, convs.length);
  });
}

test("the continuation past the cap reads unpadded dates as the normalizer does (one time parser)", async () => {
  // One queue, over the cap, spread over hours: only a continuation from the last start read can fit it.
  const convs = spread(2500, Q1, T0, 5 * 3_600_000, "u");
  const api = new FakeDetails(convs, 1000, true, true);
  const { r, events } = await run(api, { queueIds: [Q1] });
  assert.equal(new Set(events.filter((e) => e.kind === "offered").map((e) => e.conversationId)).size, convs.length, "every conversation found");
  assert.ok(r.splits > 0, "the cap was met and continued past");
});

test("a single queue that cannot fit even at the smallest split fails loudly", async () => {
  // 1,500 conversations of one queue in the same minute: no split brings that under 1,000.
  const api = new FakeDetails(spread(1500, Q1, T0 + 3_600_000, 30_000, "x"), 1000);
  await assert.rejects(run(api), (e: unknown) => e instanceof BackfillTooLargeError && e.queueId === Q1 && /1000-result cap/.test(e.message));
  assert.ok(api.calls.length < 60, `bounded number of queries: ${api.calls.length}`);
});

test("a conversation that began on an earlier UTC day and ends in the range is found, without re-reading that day", async () => {
  // Began 20 h before the range (on the previous UTC day), waited until 06:30 today: an email.
  const long: FakeConv = { id: "long", queueId: Q1, start: T0 - 20 * 3_600_000, durationMs: 20.5 * 3_600_000 };
  // 900 conversations of the previous day that were over before midnight: none may be read.
  const yesterday = spread(900, Q1, T0 - 30 * 3_600_000, 20 * 3_600_000, "y");
  const api = new FakeDetails([long, ...yesterday], 1000);
  const { events } = await run(api, { maxConversationMs: 24 * 3_600_000 });
  assert.ok(events.some((e) => e.conversationId === "long" && e.kind === "abandoned"));
  assert.ok(!events.some((e) => e.conversationId.startsWith("y")), "the previous day's finished conversations are not read");
  const midnight = Math.floor(T0 / DAY) * DAY;
  assert.deepEqual(api.calls[0].interval, [midnight - 1000, midnight - 1], "one second at the end of the earlier day");
  assert.equal(api.calls[1].interval[0], T0, "then the range itself");
  const without = await run(new FakeDetails([long], 1000), { maxConversationMs: 0 });
  assert.ok(!without.events.some((e) => e.conversationId === "long"), "the day-end query is what finds it");
});

test("pages are fetched concurrently up to the bound, and no empty page is asked for when totalHits says the query is done", async () => {
  // 600 conversations: exactly 6 full pages of Q1+Q2; without totalHits a 7th (empty) page would be needed.
  const api = new FakeDetails([...spread(300, Q1, T0, 3_600_000, "a"), ...spread(300, Q2, T0, 3_600_000, "b")], 100_000);
  let inFlight = 0;
  let maxInFlight = 0;
  const call = api.call.bind(api);
  api.call = async <T>(m: string, p: string, b?: unknown) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    try {
      return await call<T>(m, p, b);
    } finally {
      inFlight--;
    }
  };
  const progress: { pages: number; rangeDone: number }[] = [];
  const events: QueueEvent[] = [];
  const r = await backfill(api, { queueIds: [Q1, Q2], from: T0, to: T0 + 6 * 3_600_000, maxConversationMs: 0, chunkMs: 6 * 3_600_000 }, (e) => events.push(...e), { concurrency: 3, onProgress: (p) => progress.push(p) });
  assert.equal(r.pages, 6, "6 pages, none empty");
  assert.equal(api.calls.length, 6);
  assert.equal(new Set(events.filter((e) => e.kind === "offered").map((e) => e.conversationId)).size, 600);
  assert.ok(maxInFlight > 1 && maxInFlight <= 3, `in flight at most 3, and more than 1: ${maxInFlight}`);
  assert.deepEqual(progress.at(-1), { pages: 6, conversations: 600, rangeDone: 1, pagesLeft: 0, etaSeconds: 0 });
  assert.ok(progress.every((p, i) => i === 0 || p.rangeDone >= progress[i - 1].rangeDone), "progress never goes back");
});

test("a query over the cap continues from its last start: only what was in progress there is read twice", async () => {
  // 2,500 conversations of 30 s, 8.6 s apart: about 3 in progress at any instant.
  const convs = spread(2500, Q1, T0, 6 * 3_600_000, "c");
  for (const withTotalHits of [true, false]) {
    const api = new FakeDetails(convs, 1000, withTotalHits);
    const { r, events } = await run(api, { queueIds: [Q1] });
    assert.equal(new Set(events.filter((e) => e.kind === "offered").map((e) => e.conversationId)).size, 2500);
    assert.equal(r.splits, 2, "two continuations");
    const reread = r.conversations - 2500;
    assert.ok(reread >= 2 && reread <= 8, `conversations read twice: ${reread}`);
    // 25 pages of new conversations; the 3rd query has 500 + the few re-read ones: 6 pages.
    assert.equal(r.pages, 10 + 10 + 6, `pages ${r.pages}`);
    const intervals = [...new Set(api.calls.map((c) => c.interval[0]))];
    assert.equal(intervals.length, 3);
    assert.ok(intervals[1] > T0 && intervals[2] > intervals[1], "each continuation starts later");
  }
});

test("a continuation skips the pages of the conversations still in progress at its start (read already), and checks the skip", async () => {
  // 2,500 conversations of an hour over 6 hours: about 420 in progress at any instant.
  const convs = spread(2500, Q1, T0, 6 * 3_600_000, "l").map((c) => ({ ...c, durationMs: 3_600_000 }));
  const api = new FakeDetails(convs, 1000);
  const { r, events } = await run(api, { queueIds: [Q1], to: T0 + 8 * 3_600_000, chunkMs: 86_400_000 });
  assert.equal(new Set(events.filter((e) => e.kind === "offered").map((e) => e.conversationId)).size, 2500);
  assert.ok(r.splits >= 2);
  // Without the skip each continuation would re-read ~420 conversations (5 pages).
  assert.ok(r.pages <= 25 + r.splits + 1, `pages ${r.pages} for 25 pages of conversations and ${r.splits} continuations`);
  const skipped = api.calls.filter((c) => c.interval[0] > T0).map((c) => c.page);
  assert.ok(Math.min(...skipped) > 1, `continuations start past their overlap pages: ${skipped.slice(0, 3).join(",")}`);

  // An API that only returns conversations starting in the interval (another reading): the skip
  // is wrong, the check sees it and reads the pages before; nothing is lost.
  class StartOnly extends FakeDetails {
    override async call<T>(m: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
      const q = body as { interval: string };
      const [a] = q.interval.split("/").map((x) => Date.parse(x));
      const saved = this.convs;
      (this as { convs: FakeConv[] }).convs = saved.filter((c) => c.start >= a);
      try {
        return await super.call<T>(m, p, body);
      } finally {
        (this as { convs: FakeConv[] }).convs = saved;
      }
    }
  }
  const other = new StartOnly(convs, 1000);
  const o = await run(other, { queueIds: [Q1], to: T0 + 8 * 3_600_000, chunkMs: 86_400_000 });
  assert.equal(new Set(o.events.filter((e) => e.kind === "offered").map((e) => e.conversationId)).size, 2500, "every conversation found under the other reading too");
  assert.ok(other.calls.some((c) => c.interval[0] > T0 && c.page === 1), "the check went back to page 1");
});
