/** Shared set-up of the alerting integration tests: the surge emulator and monitor processes paging its receiver. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { Emulator } from "../../src/emulator/server.js";
import { startTestEmulator } from "./emulator.js";
import { freePort, MonitorProcess } from "./monitor-process.js";

export const ROUTING_KEY = "0123456789abcdef0123456789abcdef";
export const RULE = "p90-answered-wait";

export interface ReceivedEvent {
  event_action: string;
  dedup_key: string;
  payload?: { source?: string; custom_details?: Record<string, unknown> };
}

export async function surgeEmulator(t: TestContext): Promise<{ emu: Emulator; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "qm-alerts-"));
  // 80 simulated minutes at x60: the surge runs from minute 10 to 30; Support's 15-minute p90 is back under 60 s by about minute 55.
  const emu = await startTestEmulator({ scenarioName: "surge", speed: 60, durationMinutes: 80, heartbeatSeconds: 0.5, ingestionDelaySeconds: 0.5 });
  t.after(() => emu.stop());
  return { emu, dir };
}

/** A monitor with the default rule (PAGERDUTY_ROUTING_KEY's) paging the emulator's receiver. */
export async function pagingMonitor(t: TestContext, emu: Emulator, dir: string, name: string): Promise<MonitorProcess> {
  const configFile = join(dir, `${name}.yaml`);
  MonitorProcess.write(configFile, {
    genesys: { baseUrl: emu.url, clientId: emu.options.clientId, clientSecret: emu.options.clientSecret },
    stream: { heartbeatSeconds: 0.5, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.2, reconnectMaxSeconds: 2 },
    backfill: { ingestionDelaySeconds: 1 },
    state: { file: join(dir, `${name}.sqlite`), commitIntervalMs: 200 },
    clock: "emulator",
    alerts: { tickSeconds: 10, pagerduty: { routingKey: ROUTING_KEY, eventsUrl: `${emu.url}/v2/enqueue`, source: name, retryMaxSeconds: 2 } },
  });
  const m = new MonitorProcess(configFile, await freePort(), join(dir, `${name}.log`));
  t.after(() => m.stop());
  return m;
}

export function cleanup(t: TestContext, dir: string): void {
  t.after(() => rmSync(dir, { recursive: true, force: true }));
}

/** The monitor's logged alert transitions that caused a PagerDuty event, in order. */
export function loggedEvents(m: MonitorProcess): { alert: string; event: string }[] {
  let text: string;
  try {
    text = readFileSync(m.logFile, "utf8");
  } catch {
    return [];
  }
  const out: { alert: string; event: string }[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes('"alert transition"')) continue;
    try {
      const j = JSON.parse(line) as { alert: string; event: string | null };
      if (j.event) out.push({ alert: j.alert, event: j.event });
    } catch {
      // a line cut by a kill
    }
  }
  return out;
}

export function byKey(events: ReceivedEvent[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of events) m.set(e.dedup_key, [...(m.get(e.dedup_key) ?? []), e.event_action]);
  return m;
}

/** Simulated minutes since the emulator started. */
export function minute(emu: Emulator): number {
  return (emu.clock.now() - emu.sim.options.start) / 60_000;
}
