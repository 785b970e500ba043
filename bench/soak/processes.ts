/**
 * The soak's process bookkeeping: the emulator as a child of the real CLI, peak memory of the
 * children from /proc, and one cleanup list that runs whatever happens (normal end, error,
 * Ctrl-C), with a last synchronous SIGKILL of every child on exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { CLI } from "../../test/helpers/monitor-process.js";
import { sample } from "../proc.js";

/** Polls `probe` every `everyMs` until it returns a value; null after `timeoutMs`. */
export async function until<T>(timeoutMs: number, everyMs: number, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1_000_000; i++) {
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch {
      // not there yet
    }
    if (Date.now() >= deadline) return null;
    await sleep(Math.min(everyMs, Math.max(1, deadline - Date.now())));
  }
  return null;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `queue-monitor <args>` with its output in `logFile`. */
export function spawnCli(args: string[], logFile: string, env: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  child.once("error", () => {});
  return child;
}

/** SIGTERM, SIGKILL after `graceMs`; resolves once it exited. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
}

/** Peak RSS of processes sampled once a second (VmHWM also catches peaks between samples). */
export class RssWatch {
  readonly peakMiB = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  start(): void {
    this.timer = setInterval(() => this.sampleNow(), 1000);
    this.timer.unref();
  }

  sampleNow(): void {
    for (const [name, pid] of Object.entries(this.pids())) {
      if (pid === undefined) continue;
      const s = sample(pid);
      // An exiting process has no VmRSS any more: such a reading says nothing.
      const peak = Math.max(...[s?.rssMiB, s?.peakRssMiB].filter((v): v is number => Number.isFinite(v)));
      if (!Number.isFinite(peak)) continue;
      this.peakMiB.set(name, Math.max(this.peakMiB.get(name) ?? 0, peak));
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** Cleanup steps, run once in reverse order of registration; children are also SIGKILLed on exit. */
export class Cleanup {
  private readonly steps: { name: string; run: () => Promise<void> | void }[] = [];
  private readonly children = new Set<() => ChildProcess | undefined>();
  private done: Promise<void> | null = null;

  constructor() {
    process.once("exit", () => {
      for (const c of this.children) {
        const child = c();
        if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    });
  }

  add(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  /** A child (looked up when needed: the monitor's changes on every restart) to SIGKILL on exit. */
  child(get: () => ChildProcess | undefined): void {
    this.children.add(get);
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const s of [...this.steps].reverse()) {
        try {
          await Promise.race([Promise.resolve(s.run()), sleep(20_000)]);
        } catch (e) {
          process.stderr.write(`cleanup ${s.name} failed: ${(e as Error).message}\n`);
        }
      }
    })();
    return this.done;
  }
}
