/**
 * Restart with recordEvents and a long log: a day of 1,000,000 logged events (one batch every
 * 500 ms, as the service commits), checkpointed 30 s before the end. Measures opening the state
 * file and loading it as the monitor does:
 *   all      load(0): every identity of the log (what the monitor asked for before)
 *   horizon  stored(), then load(W - overlap - margin): only what the dedup can still use
 * Each is timed best of 3 on a fresh process' warm file. STATE_STORE_MODULE runs the same
 * against another build's state-store.js (e.g. the one before this change; it has no stored(),
 * so only "all" is timed). Ends with one JSON line.
 * Usage: node dist/bench/state-load.bench.js [events]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QueueEvent } from "../src/domain/queue-event.js";
import type { StateStore as Store } from "../src/store/state-store.js";

const EVENTS = Math.max(10_000, Math.min(5_000_000, Number(process.argv[2] ?? 1_000_000) || 1_000_000));
const DAY_START = Date.UTC(2026, 4, 4, 6);
const HOURS = 20;
const BATCH_MS = 500;
/** The service's defaults: backfill overlap 60 s, dedup margin one hour. */
const HORIZON_MS = 60_000 + 3_600_000;

const mod = (await import(process.env.STATE_STORE_MODULE ?? "../src/store/state-store.js")) as { StateStore: new (file: string, recordEvents?: boolean) => Store };
const dir = mkdtempSync(join(tmpdir(), "qm-load-bench-"));
const file = join(dir, "state.sqlite");

const batches = (HOURS * 3_600_000) / BATCH_MS;
const perBatch = EVENTS / batches;
let built = Date.now();
{
  const store = new mod.StateStore(file, true);
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const t = DAY_START + b * BATCH_MS;
    const events: { event: QueueEvent }[] = [];
    const upTo = Math.round((b + 1) * perBatch);
    for (; n < upTo; n++) {
      const conv = `c${Math.floor(n / 2)}`;
      events.push({ event: n % 2 === 0 ? { kind: "offered", queueId: `q${n % 200}`, mediaType: "voice", conversationId: conv, participantId: `p${n}`, time: t - 2000 } : { kind: "answered", queueId: `q${(n - 1) % 200}`, mediaType: "voice", conversationId: conv, participantId: `p${n - 1}`, time: t - 1000, waitMs: 1000 } });
    }
    store.commit({ events, watermark: t - 5000, counters: { streamEvents: n } });
    if (b === batches - 60) store.checkpoint([]);
  }
  store.close();
}
built = Date.now() - built;

function time(f: () => { seen: number; replay: number }): { ms: number; seen: number; replay: number } {
  let best = Infinity;
  let r = { seen: 0, replay: 0 };
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    r = f();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: Math.round(best), ...r };
}

const all = time(() => {
  const s = new mod.StateStore(file, true);
  const l = s.load(0);
  s.close();
  return { seen: l.seen.length, replay: l.replay.length };
});
const hasStored = typeof (mod.StateStore.prototype as Partial<Store>).stored === "function";
const horizon = hasStored
  ? time(() => {
      const s = new mod.StateStore(file, true);
      const w = s.stored().watermark!;
      const l = s.load(w - HORIZON_MS);
      s.close();
      return { seen: l.seen.length, replay: l.replay.length };
    })
  : null;
const result = { events: EVENTS, rows: batches, fileMb: Math.round(statSync(file).size / 1e5) / 10, buildSeconds: built / 1000, module: process.env.STATE_STORE_MODULE ?? "this build", all, horizon };
console.log(`state file: ${EVENTS.toLocaleString()} events in ${batches.toLocaleString()} rows, ${result.fileMb} MB (built in ${result.buildSeconds} s)`);
console.log(`open + load(0): ${all.ms} ms (${all.seen.toLocaleString()} identities, ${all.replay} replayed)`);
if (horizon) console.log(`open + stored() + load(horizon): ${horizon.ms} ms (${horizon.seen.toLocaleString()} identities, ${horizon.replay} replayed)`);
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result));
