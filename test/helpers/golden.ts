/** Golden files: compared byte for byte; UPDATE_GOLDEN=1 rewrites them after a deliberate change (review the diff). */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The sink encoders' golden files (they stay in the source tree: dist/test/helpers -> test/unit/sinks/golden). */
export const SINK_GOLDEN = fileURLToPath(new URL("../../../test/unit/sinks/golden/", import.meta.url));

export function golden(dir: string, name: string, actual: string | Uint8Array): void {
  const file = `${dir}${name}`;
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== "1") assert.fail(`golden file ${file} is missing (run with UPDATE_GOLDEN=1 once and review it)`);
    writeFileSync(file, actual);
    return;
  }
  assert.deepEqual(Buffer.from(actual), readFileSync(file), `${name} differs from its golden file`);
}
