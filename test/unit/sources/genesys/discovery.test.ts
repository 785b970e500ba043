/**
 * Queue discovery: one discovery at a time whoever asks (a failing first discovery does not stack
 * retry loops on the refresh timer), and nothing is applied once the monitor stops, even when a
 * discovery was under way.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Problems } from "../../../../src/app/problems.js";
import { HttpError } from "../../../../src/delivery/transport.js";
import { compileSelector } from "../../../../src/select/queue-selector.js";
import type { GenesysClient } from "../../../../src/sources/genesys/client.js";
import { QueueDiscovery, type QueueChange } from "../../../../src/sources/genesys/discovery.js";
import { silentLogger } from "../../../../src/util/log.js";

const all = compileSelector({ ids: [], names: [], patterns: [], regex: [], divisions: [] });
const page = { entities: [{ id: "q-1", name: "Sales" }], pageCount: 1 };

/** A routing API that fails `failures` times, then answers after `delayMs`; counts calls in flight. */
function fakeClient(failures: number, delayMs = 0) {
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const client = {
    async call() {
      stats.calls++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      try {
        await new Promise((r) => setTimeout(r, delayMs));
        if (stats.calls <= failures) throw new HttpError({ method: "GET", url: "http://x/api/v2/routing/queues", status: 503, message: "503" });
        return { status: 200, body: page };
      } finally {
        stats.inFlight--;
      }
    },
  } as unknown as GenesysClient;
  return { client, stats };
}

test("a failing first discovery is retried by one loop, however often the refresh timer fires", async () => {
  const { client, stats } = fakeClient(6, 5);
  // The timer fires every 10 ms, far more often than the retries' backoff.
  const d = new QueueDiscovery(client, { selector: all, refreshSeconds: 0.01, retry: { baseMs: 20, capMs: 40, minMs: 20 } }, new Problems(() => {}), silentLogger);
  const changes: QueueChange[] = [];
  d.onChange((c) => void changes.push(c));
  await d.start();
  d.stop();
  assert.equal(stats.maxInFlight, 1, "never two discoveries at once");
  // Every discovery reports what it found (a rename changes no id); the queue is added once.
  assert.deepEqual(changes.filter((c) => c.added.length > 0).map((c) => [c.first, c.added.map((q) => q.name)]), [[true, ["Sales"]]]);
  assert.equal(changes.filter((c) => c.first).length, 1);
});

test("a stop while a discovery is under way applies nothing after it (no channel opens after stop)", async () => {
  const { client } = fakeClient(0, 100);
  const d = new QueueDiscovery(client, { selector: all, refreshSeconds: 3600, retry: { baseMs: 10, capMs: 10 } }, new Problems(() => {}), silentLogger);
  let applied = 0;
  d.onChange(() => void applied++);
  const started = d.start();
  await new Promise((r) => setTimeout(r, 20));
  d.stop();
  await started;
  assert.equal(applied, 0);
  assert.equal(d.queues.size, 0);
  await d.refresh();
  assert.equal(applied, 0, "and no later refresh runs");
});
