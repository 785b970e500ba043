/**
 * The monitor's configuration for the soak: the emulator as Genesys, backfill waiting 4 s for
 * analytics, a VictoriaMetrics sink (when there is one), PagerDuty pointed at the emulator's
 * receiver, and two alert rules on the surging queue (one on a "now" figure, one on a window)
 * that fire and clear with its surges.
 */
import { SURGE_QUEUE } from "./scenario.js";

/** A routing key of the 32 characters PagerDuty wants; the emulator's receiver checks the length. */
export const ROUTING_KEY = "soak0routing0key000000000000000a";

export interface MonitorConfigInput {
  emulatorUrl: string;
  queueNames: string[];
  vmUrl: string | null;
  intervalMinutes: 15 | 30;
  flushSeconds: number;
}

export const alertRules = [
  { name: "priority-waiting", figure: "waiting", comparison: ">", threshold: 5, clearThreshold: 2, forSeconds: 30, clearForSeconds: 60, severity: "warning", queues: { names: [SURGE_QUEUE] } },
  {
    name: "priority-abandons",
    figure: "abandonRate",
    window: "5m",
    comparison: ">",
    threshold: 0.25,
    clearThreshold: 0.15,
    forSeconds: 60,
    clearForSeconds: 120,
    minSamples: 10,
    severity: "error",
    queues: { names: [SURGE_QUEUE] },
  },
];

export function monitorConfig(i: MonitorConfigInput): Record<string, unknown> {
  return {
    genesys: { baseUrl: i.emulatorUrl },
    queues: { names: i.queueNames, refreshSeconds: 30 },
    stream: { heartbeatSeconds: 1, latencyAllowanceSeconds: 30, reconnectInitialSeconds: 0.2, reconnectMaxSeconds: 2, rolloverMarginMinutes: 10 },
    backfill: { ingestionDelaySeconds: 4, overlapSeconds: 60 },
    stats: { intervalMinutes: i.intervalMinutes },
    // The audit trail lets the soak name the visits a loss or a double concerns.
    state: { recordEvents: true, commitIntervalMs: 200 },
    export: { flushSeconds: i.flushSeconds, sinks: i.vmUrl ? [{ type: "victoriametrics", url: i.vmUrl }] : [] },
    alerts: {
      tickSeconds: 5,
      rules: alertRules,
      pagerduty: { routingKey: ROUTING_KEY, eventsUrl: `${i.emulatorUrl}/v2/enqueue`, source: "queue-monitor-soak", retryMaxSeconds: 5 },
    },
  };
}
