/**
 * `npm pack` gives an installable package: the tarball holds the compiled output and the
 * wallboard's assets (no tests, no TypeScript sources), installs into an empty folder, and the
 * installed `queue-monitor` answers --version and --help and runs against the emulator (the
 * 40-queue `floor` scenario), serving /api/queues and the wallboard from the installed files.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { it } from "node:test";
import { stringify } from "yaml";
import { startTestEmulator } from "../helpers/emulator.js";
import { freePort } from "../helpers/monitor-process.js";
import { needs } from "../helpers/needs.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; engines: { node: string } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("npm pack installs into an empty folder and runs from there", { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "queue-monitor-pack-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // dist/ is already built by `npm test`; --ignore-scripts skips prepack's second build.
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info.files.map((f) => f.path);
  for (const f of ["package.json", "README.md", "dist/src/cli.js", "web/wallboard/index.html", "web/wallboard/app.js", "web/wallboard/style.css", "deploy/systemd/queue-monitor.service"]) assert.ok(files.includes(f), `${f} is packed`);
  assert.ok(!files.some((f) => f.startsWith("dist/test/") || f.startsWith("test/") || (f.startsWith("src/") && f.endsWith(".ts"))), "no tests or sources in the package");

  const app = join(dir, "app");
  rmSync(app, { recursive: true, force: true });
  await run("mkdir", ["-p", app]);
  // better-sqlite3 builds its native addon on install: the installing project allows its script.
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "pack-test", private: true, allowScripts: { "better-sqlite3": true } }));
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, info.filename)], { cwd: app, timeout: 480_000, maxBuffer: 16 * 1024 * 1024 });
  const bin = join(app, "node_modules", ".bin", "queue-monitor");

  const version = await run(bin, ["--version"], { cwd: app });
  assert.equal(version.stdout.trim(), pkg.version);
  const help = await run(bin, ["--help"], { cwd: app });
  for (const c of ["run", "emulate", "demo", "replay"]) assert.match(help.stdout, new RegExp(`^\\s+${c}\\b`, "m"), `--help lists ${c}`);

  // The systemd unit passes `systemd-analyze verify` with ExecStart pointing at this installed command.
  const unit = readFileSync(join(ROOT, "deploy/systemd/queue-monitor.service"), "utf8");
  assert.match(unit, /^Restart=on-failure$/m);
  assert.match(unit, /^StateDirectory=queue-monitor$/m);
  assert.match(unit, /^EnvironmentFile=/m);
  const systemd = needs("systemd-analyze");
  if (systemd.skip) t.diagnostic(`the unit's systemd-analyze check is skipped: ${systemd.skip}`);
  else {
    const unitDir = join(dir, "unit");
    await run("mkdir", ["-p", unitDir]);
    writeFileSync(join(unitDir, "queue-monitor.service"), unit.replace("/usr/local/bin/queue-monitor", bin));
    const verify = await run("systemd-analyze", ["verify", join(unitDir, "queue-monitor.service")]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
    assert.equal(verify.code, 0, `systemd-analyze verify: ${verify.out}`);
    assert.doesNotMatch(verify.out, /queue-monitor\.service/, `no complaint about the unit: ${verify.out}`);
  }

  // A short run against the emulator, from the installed package (cwd: the empty folder).
  const emu = await startTestEmulator({ scenarioName: "floor", start: Date.parse("2026-05-04T09:00:00Z") });
  t.after(() => emu.stop());
  const port = await freePort();
  const config = join(app, "monitor.yaml");
  writeFileSync(config, stringify({ genesys: { baseUrl: emu.url }, stream: { heartbeatSeconds: 1 }, backfill: { ingestionDelaySeconds: 1.5 }, state: { file: join(app, "state.sqlite") }, clock: "emulator" }));
  const child = spawn(bin, ["run", "--config", config, "--listen", `127.0.0.1:${port}`], {
    cwd: app,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, GENESYS_CLIENT_ID: emu.options.clientId, GENESYS_CLIENT_SECRET: emu.options.clientSecret },
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  t.after(() => child.exitCode === null && child.kill("SIGKILL"));
  const url = `http://127.0.0.1:${port}`;
  let names = new Set<string>();
  for (let i = 0; i < 120 && names.size < 20; i++) {
    await sleep(500);
    const body = await fetch(`${url}/api/queues`).then((r) => (r.ok ? (r.json() as Promise<{ queues: { queueName: string }[] }>) : null), () => null);
    if (body) names = new Set(body.queues.map((q) => q.queueName));
  }
  assert.ok(names.size >= 20, `the floor scenario's queues reach /api/queues (saw ${names.size}); stderr: ${stderr.slice(-2000)}`);
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /assets\/app\.js/);
  assert.equal((await fetch(`${url}/assets/uPlot.iife.min.js`)).status, 200, "uPlot served from the installed dependency");
  child.kill("SIGTERM");
  assert.equal(await Promise.race([exited, sleep(15_000).then(() => "timeout")]), 0, "clean exit on SIGTERM");
});

it("engines names the Node line the tests run on", () => {
  const m = /^>=(\d+)\.(\d+) <(\d+)$/.exec(pkg.engines.node);
  assert.ok(m, `engines.node ${pkg.engines.node} has the form ">=MAJOR.MINOR <NEXT"`);
  const [major, minor] = process.versions.node.split(".").map(Number);
  assert.ok(major > Number(m[1]) || (major === Number(m[1]) && minor >= Number(m[2])), `node ${process.versions.node} below ${pkg.engines.node}`);
  assert.ok(major < Number(m[3]), `node ${process.versions.node} above ${pkg.engines.node}`);
});
