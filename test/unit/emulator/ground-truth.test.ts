/**
 * GET /emulator/ground-truth of a seeded run, over loopback HTTP: the answer (everything but `now`)
 * is pinned to what the emulator answered before it was split into files of one concern each
 * (commit efb250c).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startTestEmulator, waitUntil } from "../../helpers/emulator.js";

export async function settledTruth(seed: number): Promise<{ sha: string; queues: number; offered: number }> {
  const emu = await startTestEmulator({ seed, speed: 3000, start: Date.parse("2026-03-01T08:00:00Z"), durationMinutes: 30 });
  try {
    await waitUntil(() => emu.sim.settled, 30_000, "settle");
    const res = await fetch(`${emu.url}/emulator/ground-truth`);
    assert.equal(res.status, 200);
    const { now: _now, ...rest } = (await res.json()) as Record<string, unknown> & { queues: { counts: { offered: number } }[] };
    return {
      sha: createHash("sha256").update(JSON.stringify(rest)).digest("hex"),
      queues: rest.queues.length,
      offered: rest.queues.reduce((n, g) => n + g.counts.offered, 0),
    };
  } finally {
    await emu.stop();
  }
}

test("the ground truth of a seeded emulator run is what it was before the split", async () => {
  assert.deepEqual(await settledTruth(11), PINNED);
});

const PINNED = { sha: "34a1c623c2beb9dc3203b5fa1f06993068d5e533c95a169783e08b8601c3939b", queues: 7, offered: 138 };
