import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const CRASH = fileURLToPath(new URL("../../../src/util/crash.js", import.meta.url));
const REDACT = fileURLToPath(new URL("../../../src/util/redact.js", import.meta.url));

for (const how of ["throw", "reject"]) {
  test(`an uncaught ${how === "throw" ? "exception" : "rejection"} is logged, scrubbed, and exits non-zero`, () => {
    const script = `
      const { installCrashHandlers } = await import(${JSON.stringify(CRASH)});
      const { registerSecret } = await import(${JSON.stringify(REDACT)});
      registerSecret("very-secret-value-42");
      installCrashHandlers("t");
      setTimeout(() => {}, 5000);
      ${how === "throw" ? 'setTimeout(() => { throw new Error("boom with very-secret-value-42 and Bearer abcdef"); }, 10);' : 'Promise.reject(new Error("boom with very-secret-value-42 and Bearer abcdef"));'}
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 10_000 });
    assert.equal(r.status, 70, r.stderr);
    const line = JSON.parse(r.stderr.trim().split("\n").pop()!);
    assert.match(line.msg, how === "throw" ? /uncaught exception/ : /unhandled rejection/);
    assert.match(line.err.message, /boom/);
    assert.ok(!r.stderr.includes("very-secret-value-42") && !r.stderr.includes("abcdef"), r.stderr);
  });
}
