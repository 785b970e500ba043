/**
 * A start from the state file: the log after the checkpoint is replayed with each queue's own
 * service-level threshold and name (kept in the state file), not the defaults, before queue
 * discovery has answered: a restart changes no figure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../../../src/aggregate/engine.js";
import { restoreState } from "../../../src/app/restore.js";
import { QUEUES_KEY } from "../../../src/app/state.js";
import { configSchema } from "../../../src/config/schema.js";
import type { QueueEvent } from "../../../src/domain/queue-event.js";
import { defaultLagSettings, LagTracker } from "../../../src/sources/genesys/backfill/lag.js";
import { StateStore } from "../../../src/store/state-store.js";
import { ManualClock } from "../../../src/util/clock.js";
import { silentLogger } from "../../../src/util/log.js";

const NOW = Date.parse("2026-05-04T10:20:00Z");

test("the log is replayed with each queue's own threshold and name", () => {
  const file = join(mkdtempSync(join(tmpdir(), "qm-restore-")), "state.sqlite");
  const config = configSchema.parse({ state: { file } });
  const events: QueueEvent[] = [];
  for (let i = 0; i < 4; i++) {
    const t = NOW - 10 * 60_000 + i * 1000;
    events.push({ kind: "offered", queueId: "billing", mediaType: "voice", conversationId: `c${i}`, participantId: `p${i}`, time: t });
    // 25 s waits: over the default 20 s, within Billing's own 30 s.
    events.push({ kind: "answered", queueId: "billing", mediaType: "voice", conversationId: `c${i}`, participantId: `p${i}`, time: t + 25_000, waitMs: 25_000 });
  }
  const queues = [{ id: "billing", name: "Billing", serviceLevels: { voice: { percentage: 0.9, durationMs: 30_000 } } }];
  const store = new StateStore(file);
  store.commit({ events: events.map((event) => ({ event })), watermark: NOW - 60_000, counters: {}, meta: { [QUEUES_KEY]: JSON.stringify(queues) } });
  store.close();

  const reopened = new StateStore(file);
  const engine = new Engine(config.stats, new ManualClock(NOW));
  const r = restoreState(reopened, engine, config, NOW, silentLogger, { lag: new LagTracker(defaultLagSettings(0)), recoveries: new Map() });
  reopened.close();
  assert.equal(r.loaded.replay.length, 8, "nothing was checkpointed: the whole log is replayed");
  const [s] = engine.snapshot();
  assert.equal(s.queueName, "Billing", "its name, not its id, before discovery answers");
  assert.equal(s.intervals.today.answered, 4);
  assert.equal(s.intervals.today.overSla, 0, "scored against Billing's 30 s, not the default 20 s");
  assert.equal(s.serviceLevelTarget.thresholdSeconds, 30);
  assert.equal(r.fresh, false);
});
