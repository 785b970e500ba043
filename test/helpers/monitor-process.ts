/** Runs `queue-monitor run` as a child process (so tests can kill -9 it) and talks to its HTTP API. */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

export const CLI = fileURLToPath(new URL("../../src/cli.js", import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class MonitorProcess {
  child?: ChildProcess;
  starts = 0;
  readonly url: string;

  constructor(
    readonly configFile: string,
    readonly port: number,
    readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static write(file: string, config: unknown): void {
    writeFileSync(file, stringify(config));
  }

  start(): void {
    this.starts++;
    const log = createWriteStream(this.logFile, { flags: "a" });
    this.child = spawn(process.execPath, [CLI, "run", "--config", this.configFile, "--listen", `127.0.0.1:${this.port}`], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "info" } });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
  }

  kill9(): Promise<void> {
    const c = this.child!;
    return new Promise((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  }

  stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
      setTimeout(() => c.kill("SIGKILL"), 5000).unref();
    });
  }

  async get(path: string): Promise<any> {
    try {
      const r = await fetch(`${this.url}${path}`);
      return await r.json();
    } catch {
      return undefined;
    }
  }
}
