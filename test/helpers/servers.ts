/**
 * Starts the real time-series servers from their Debian packages on free loopback ports, each in
 * its own temporary directory, and stops them by PID. A missing binary is an error naming the
 * package to install; tests guard with `needs` (./needs.ts) so a fresh clone skips them loudly.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./monitor-process.js";

const PACKAGES: Record<string, string> = {
  "victoria-metrics": "victoria-metrics",
  prometheus: "prometheus",
  promtool: "prometheus",
  "prometheus-pushgateway": "prometheus-pushgateway",
  influxd: "influxdb",
};

/** The binary's path, or an Error telling which Debian package provides it. */
export function requireBinary(bin: string): string {
  const r = spawnSync("sh", ["-c", `command -v ${bin}`], { encoding: "utf8" });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) {
    throw new Error(`${bin} is not installed: install the Debian package "${PACKAGES[bin] ?? bin}" (apt-get install -y --no-install-recommends ${PACKAGES[bin] ?? bin}; .ci/run does this)`);
  }
  return path;
}

export class ServerProcess {
  child?: ChildProcess;
  readonly url: string;
  /** Remove `dir` on dispose (set when the helper made it). */
  ownsDir = false;

  constructor(
    readonly name: string,
    readonly bin: string,
    readonly args: string[],
    readonly port: number,
    readonly healthPath: string,
    readonly dir: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Spawns and waits (bounded) for the health URL to answer 2xx. */
  async start(timeoutMs = 20_000): Promise<void> {
    try {
      await this.spawnAndWait(timeoutMs);
    } catch (e) {
      await this.stop(); // never leave a half-started server behind (it would hold the test open)
      throw e;
    }
  }

  private async spawnAndWait(timeoutMs: number): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const log = createWriteStream(join(this.dir, `${this.name}.log`), { flags: "a" });
    const child = spawn(this.bin, this.args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.once("error", () => {}); // reported through exitCode / the health wait
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode}: ${this.logTail()}`);
      try {
        const r = await fetch(`${this.url}${this.healthPath}`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.name} not ready on ${this.url} within ${timeoutMs} ms: ${this.logTail()}`);
  }

  /** SIGTERM by PID, SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => c.kill("SIGKILL"), 5000);
      c.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      c.kill("SIGTERM");
    });
  }

  /** Stops the server and removes its temporary directory (if the helper created it). */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(): string {
    try {
      return readFileSync(join(this.dir, `${this.name}.log`), "utf8").slice(-1500);
    } catch {
      return "(no log)";
    }
  }
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `qm-${prefix}-`));
}

/** `bin`: another build than the installed package's (the soak's --vm-binary). */
export async function startVictoriaMetrics(given?: string, port?: number, bin?: string): Promise<ServerProcess> {
  bin ??= requireBinary("victoria-metrics");
  const dir = given ?? tempDir("vm");
  const p = port ?? (await freePort());
  const s = new ServerProcess(
    "victoria-metrics",
    bin,
    [`-httpListenAddr=127.0.0.1:${p}`, `-storageDataPath=${join(dir, "data")}`, "-retentionPeriod=100y", "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR"],
    p,
    "/health",
    dir,
  );
  s.ownsDir = given === undefined;
  await s.start();
  return s;
}

export async function startPushgateway(given?: string): Promise<ServerProcess> {
  const dir = given ?? tempDir("pgw");
  const bin = requireBinary("prometheus-pushgateway");
  const p = await freePort();
  const s = new ServerProcess("pushgateway", bin, [`--web.listen-address=127.0.0.1:${p}`, "--persistence.file=", "--log.level=warn"], p, "/-/ready", dir);
  s.ownsDir = given === undefined;
  await s.start();
  return s;
}

/** InfluxDB 1.x with every listener on loopback; `database` is created. */
export async function startInfluxDb(database: string, given?: string): Promise<ServerProcess> {
  const dir = given ?? tempDir("influx");
  const bin = requireBinary("influxd");
  const p = await freePort();
  const rpc = await freePort();
  for (const d of ["meta", "data", "wal"]) mkdirSync(join(dir, d), { recursive: true });
  const conf = join(dir, "influxdb.conf");
  writeFileSync(
    conf,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpc}"
[meta]
  dir = "${join(dir, "meta")}"
[data]
  dir = "${join(dir, "data")}"
  wal-dir = "${join(dir, "wal")}"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:${p}"
  log-enabled = false
[logging]
  level = "warn"
`,
  );
  const s = new ServerProcess("influxdb", bin, ["run", "-config", conf], p, "/ping", dir);
  s.ownsDir = given === undefined;
  await s.start();
  const r = await fetch(`${s.url}/query`, { method: "POST", body: new URLSearchParams({ q: `CREATE DATABASE "${database}"` }) });
  if (!r.ok) throw new Error(`influxdb CREATE DATABASE answered ${r.status}: ${await r.text()}`);
  return s;
}

/** Prometheus with the remote-write receiver; scrapes nothing unless `scrape` targets are given. */
export async function startPrometheus(given?: string, port?: number, scrape: string[] = []): Promise<ServerProcess> {
  const dir = given ?? tempDir("prom");
  const bin = requireBinary("prometheus");
  const p = port ?? (await freePort());
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, "prometheus.yml");
  const jobs = scrape.length ? `scrape_configs:\n  - job_name: monitor\n    honor_labels: true\n    static_configs:\n      - targets: [${scrape.map((t) => `"${t}"`).join(", ")}]\n` : "";
  writeFileSync(conf, `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n${jobs}`);
  const s = new ServerProcess(
    "prometheus",
    bin,
    [
      `--config.file=${conf}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${p}`,
      "--web.enable-remote-write-receiver",
      "--log.level=warn",
    ],
    p,
    "/-/ready",
    dir,
  );
  s.ownsDir = given === undefined;
  await s.start();
  return s;
}
