/**
 * A state file or directory that cannot be written is refused at open as "read-only", with the
 * reason. File modes stop nobody running as root, so when the tests run as root the open runs
 * in a child process that drops to another user id (65534, "nobody") once the code and the SQLite
 * addon are loaded (the checkout may sit in a directory only root can read): the kernel then refuses the writes
 * exactly as it would for the service's own unprivileged user.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StateStore } from "../../../src/store/state-store.js";

const storeModule = new URL("../../../src/store/state-store.js", import.meta.url).href;
const asRoot = process.getuid?.() === 0;
/** A scratch state file the child opens as root first, so the addon is loaded before it drops. */
const WARM_FILE = join(mkdtempSync(join(tmpdir(), "qm-read-only-warm-")), "warm.sqlite");

/** Opens `file` as the state file and commits, as an unprivileged user: the error, or null. */
function openUnprivileged(file: string): { error: string | null; kind?: string } {
  const code = `
    const { StateStore } = await import(${JSON.stringify(storeModule)});
    if (${asRoot}) {
      // better-sqlite3 loads its addon at the first open: once as root, in a scratch file, then drop.
      new StateStore(${JSON.stringify(WARM_FILE)}).close();
      process.setgid(65534); process.setuid(65534);
    }
    try { const s = new StateStore(${JSON.stringify(file)}); s.commit({ events: [], watermark: 1, counters: {} }); s.close(); console.log(JSON.stringify({ error: null })); }
    catch (e) { console.log(JSON.stringify({ error: e.message, kind: e.kind })); }`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0, `the child ran: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { error: string | null; kind?: string };
}

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "qm-read-only-"));
  chmodSync(dir, 0o777); // the unprivileged child must reach and write it
  return dir;
}

test("a state file that cannot be written: read-only, the file and the reason named", () => {
  const dir = stateDir();
  const file = join(dir, "s.sqlite");
  new StateStore(file).close();
  chmodSync(file, 0o444);
  assert.deepEqual(openUnprivileged(file), { error: `state file ${file}: open: read-only (the file is not writable: EACCES); the state file must be writable`, kind: "read-only" });
  // Before: "disk I/O error" (SQLITE_IOERR_LOCK), naming neither the file's mode nor read-only.
  chmodSync(file, 0o666);
  assert.deepEqual(openUnprivileged(file), { error: null }, "writable again: it opens");
});

test("a state file in a directory that cannot be written (the WAL goes there): read-only", () => {
  const dir = stateDir();
  const file = join(dir, "s.sqlite");
  new StateStore(file).close();
  chmodSync(file, 0o666);
  chmodSync(dir, 0o555);
  try {
    assert.deepEqual(openUnprivileged(file), { error: `state file ${file}: open: read-only (its directory (the write-ahead log is created there) is not writable: EACCES); the state file must be writable`, kind: "read-only" });
    assert.deepEqual(openUnprivileged(join(dir, "new.sqlite")), { error: `state file ${join(dir, "new.sqlite")}: open: read-only (its directory (the write-ahead log is created there) is not writable: EACCES); the state file must be writable`, kind: "read-only" });
  } finally {
    chmodSync(dir, 0o777);
  }
});
