/** Runs `queue-monitor run` as a child process (so tests can kill -9 it) and talks to its HTTP API. */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
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

/** How a monitor process ended: `expected` when kill9() or stop() ended it. */
export interface MonitorExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  expected: boolean;
  at: number;
}

export interface MonitorProcessOptions {
  /** More `run` flags (e.g. --state FILE, --clock emulator). */
  args?: string[];
  /** Added to the environment (e.g. GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET). */
  env?: NodeJS.ProcessEnv;
}

export class MonitorProcess {
  child?: ChildProcess;
  starts = 0;
  /** Every exit of a process this object started, in order. */
  readonly exits: MonitorExit[] = [];
  /** Called on every exit (after it is recorded). */
  onExit?: (e: MonitorExit) => void;
  readonly url: string;
  private ending = false;

  constructor(
    readonly configFile: string,
    readonly port: number,
    readonly logFile: string,
    readonly options: MonitorProcessOptions = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static write(file: string, config: unknown): void {
    writeFileSync(file, stringify(config));
  }

  /** Spawns `run`; its output goes straight to the log file (nothing is lost to a kill -9). */
  start(): void {
    this.starts++;
    this.ending = false;
    const fd = openSync(this.logFile, "a");
    const child = spawn(process.execPath, [CLI, "run", "--config", this.configFile, "--listen", `127.0.0.1:${this.port}`, ...(this.options.args ?? [])], {
      stdio: ["ignore", fd, fd],
      env: { ...process.env, LOG_LEVEL: "info", ...this.options.env },
    });
    closeSync(fd);
    this.child = child;
    child.once("error", () => {}); // reported as the exit that follows
    child.once("exit", (code, signal) => {
      const e: MonitorExit = { pid: child.pid ?? -1, code, signal, expected: this.ending, at: Date.now() };
      this.exits.push(e);
      this.onExit?.(e);
    });
  }

  /** True while the last process started has not exited. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  kill9(): Promise<void> {
    const c = this.child!;
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    this.ending = true;
    return new Promise((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  }

  stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    this.ending = true;
    return new Promise((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
      setTimeout(() => c.kill("SIGKILL"), 5000).unref();
    });
  }

  async get(path: string): Promise<any> {
    try {
      const r = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(30_000) });
      return await r.json();
    } catch {
      return undefined;
    }
  }
}
