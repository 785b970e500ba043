#!/usr/bin/env node
/**
 * queue-monitor command line: `emulate` (the Genesys Cloud emulator), `run` (the monitor),
 * `demo` (both, with simulated callers), `replay` (re-read what a monitor received).
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { emulateCommand } from "./commands/emulate.js";
import { runCommand } from "./commands/run.js";
import { demoCommand } from "./commands/demo.js";
import { replayCommand } from "./commands/replay.js";
import { installCrashHandlers } from "./util/crash.js";
import { redact } from "./util/redact.js";

installCrashHandlers("queue-monitor");

/** The package's own version (dist/src/cli.js -> package.json two levels up, in a checkout and when installed). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

const program = new Command()
  .name("queue-monitor")
  .description("Watches Genesys Cloud CX queues in real time: wait-time percentiles, service level, alerts.")
  .version(packageVersion(), "-V, --version", "print the version and exit")
  .showHelpAfterError();

emulateCommand(program);
runCommand(program);
demoCommand(program);
replayCommand(program);

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`queue-monitor: ${redact(e instanceof Error ? e.message : String(e))}\n`);
  process.exit(1);
});
