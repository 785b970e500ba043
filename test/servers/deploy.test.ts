/**
 * The shipped operations files: the Prometheus rules pass `promtool check rules` and their unit
 * tests (`promtool test rules`), and the rules and the Grafana dashboard only name metrics the
 * monitor exports.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { FAMILIES } from "../../src/sinks/samples.js";
import { requireBinary } from "../helpers/servers.js";
import { needs } from "../helpers/needs.js";

const DEPLOY = fileURLToPath(new URL("../../../deploy/", import.meta.url));
const RULES = `${DEPLOY}prometheus/queue-monitor-rules.yml`;

const known = new Set(FAMILIES.flatMap((f) => (f.type === "summary" ? [f.name, `${f.name}_sum`, `${f.name}_count`] : [f.name])));

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNames(expr: string): string[] {
  const stripped = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, "{}").replace(/\[[^\]]*\]/g, "[]").replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  return [...stripped.matchAll(/\b([a-z_:][a-z0-9_:]*)\b(?!\s*\()/gi)].map((m) => m[1]).filter((n) => /^(genesys_queue_|queue_monitor_)/.test(n));
}

test("Prometheus rules: promtool check rules and promtool test rules pass", needs("promtool"), () => {
  const promtool = requireBinary("promtool");
  const check = spawnSync(promtool, ["check", "rules", RULES], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unit = spawnSync(promtool, ["test", "rules", "queue-monitor-rules.test.yml"], { cwd: `${DEPLOY}prometheus`, encoding: "utf8" });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
});

test("rules and the Grafana dashboard only use exported metric names", () => {
  const rules = parse(readFileSync(RULES, "utf8")) as { groups: { rules: { expr: string; record?: string }[] }[] };
  const recorded = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.record).filter(Boolean)));
  const exprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
  const dash = JSON.parse(readFileSync(`${DEPLOY}grafana/queue-monitor-dashboard.json`, "utf8"));
  assert.ok(dash.panels.length >= 10 && dash.uid && dash.title);
  for (const p of dash.panels) for (const t of p.targets) exprs.push(t.expr);
  for (const v of dash.templating.list) if (v.type === "query") exprs.push(v.definition.replace(/^label_values\(([^,]+),.*$/, "$1"));
  let names = 0;
  for (const e of exprs) {
    for (const n of metricNames(e)) {
      names++;
      assert.ok(known.has(n) || recorded.has(n), `${n} (in ${e}) is not an exported metric`);
    }
  }
  assert.ok(names > 30, `found ${names} metric references`);
});

test("a missing server binary fails with the Debian package to install", needs("promtool"), () => {
  assert.throws(() => requireBinary("influxd-not-installed-here"), /is not installed: install the Debian package "influxd-not-installed-here"/);
  assert.ok(requireBinary("promtool").startsWith("/"), "the installed ones are found");
});
