/**
 * Tests that need programs from Debian packages (the real time-series servers, chromium,
 * systemd-analyze). On a machine without them (a fresh clone), such a test is skipped under a loud
 * notice naming the packages and the one command that installs them; under CI (CI=true, which
 * .ci/run sets after installing them) a missing program is a failure, never a skip.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The program -> the Debian package that provides it. */
export const PACKAGE_OF: Record<string, string> = {
  "victoria-metrics": "victoria-metrics",
  prometheus: "prometheus",
  promtool: "prometheus",
  "prometheus-pushgateway": "prometheus-pushgateway",
  influxd: "influxdb",
  chromium: "chromium",
  "systemd-analyze": "systemd",
};

export const INSTALL_COMMAND = "npm run setup:servers";

function present(bin: string): boolean {
  if (bin.startsWith("/")) return existsSync(bin);
  const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() !== "";
}

let told = false;

/** `{ skip }` for node:test: false when every program is there (or under CI); else the reason, said loudly once. */
export function needs(...bins: string[]): { skip: string | false } {
  const missing = bins.filter((b) => !present(b));
  if (missing.length === 0 || process.env.CI) return { skip: false };
  const packages = [...new Set(missing.map((b) => PACKAGE_OF[b] ?? b))];
  const reason = `needs ${missing.join(", ")} (Debian packages: ${packages.join(" ")}; install them with: ${INSTALL_COMMAND})`;
  if (!told) {
    told = true;
    process.stderr.write(`\n*** SKIPPED: tests that ${reason} ***\n\n`);
  }
  return { skip: reason };
}
