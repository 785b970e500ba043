/**
 * What the wallboard shows, from the engine's snapshot: one tile per queue x media, the banner
 * when the stream is down or catching up, and which configured windows the tiles and the chart
 * read (the closest to 15 minutes for the tiles, the shortest for the chart), named as they are.
 * Pure.
 */
import type { SeriesSnapshot } from "../aggregate/series.js";
import { tileAlert, type TileAlertState, type WallboardAlert } from "./alerts.js";

export interface Tile {
  key: string;
  queueId: string;
  queueName: string;
  mediaType: string;
  waiting: number;
  longestWaitingSeconds: number | null;
  serviceLevel: number | null;
  serviceLevelTarget: { percentage: number; thresholdSeconds: number };
  p50: number | null;
  p90: number | null;
  p95: number | null;
  offered: number;
  answered: number;
  abandoned: number;
  interval: { start: string; end: string };
  alert: TileAlertState;
  alertRules: string[];
}

export interface Banner {
  kind: "disconnected" | "catching-up";
  text: string;
}

export interface WallboardState {
  generatedAt: string;
  /** The window the tiles' percentiles are over, e.g. "15m". */
  window: string;
  /** The window of the chart's p90 line, e.g. "5m". */
  chartWindow: string;
  banner: Banner | null;
  tiles: Tile[];
}

export interface BoardWindows {
  tile: string;
  chart: string;
}

/** The tile window (the configured one closest to 15 minutes, shorter on a tie) and the chart's (the shortest). */
export function boardWindows(windowsMinutes: number[]): BoardWindows {
  const sorted = [...windowsMinutes].sort((a, b) => a - b);
  let tile = sorted[0];
  for (const w of sorted) if (Math.abs(w - 15) < Math.abs(tile - 15)) tile = w;
  return { tile: `${tile}m`, chart: `${sorted[0]}m` };
}

export const tileKey = (queueId: string, mediaType: string) => `${queueId}|${mediaType}`;

export function toTile(s: SeriesSnapshot, alerts: WallboardAlert[], window: string): Tile {
  const w = s.windows[window];
  const cur = s.intervals.current;
  const a = tileAlert(alerts, s.queueId, s.mediaType);
  return {
    key: tileKey(s.queueId, s.mediaType),
    queueId: s.queueId,
    queueName: s.queueName,
    mediaType: s.mediaType,
    waiting: s.now.waiting,
    longestWaitingSeconds: s.now.longestWaitingSeconds,
    serviceLevel: cur.serviceLevel,
    serviceLevelTarget: s.serviceLevelTarget,
    p50: w?.answeredWaitSeconds.p50 ?? null,
    p90: w?.answeredWaitSeconds.p90 ?? null,
    p95: w?.answeredWaitSeconds.p95 ?? null,
    offered: cur.offered,
    answered: cur.answered,
    abandoned: cur.abandoned,
    interval: { start: cur.start, end: cur.end },
    alert: a.state,
    alertRules: a.rules,
  };
}

export function boardState(
  snapshot: SeriesSnapshot[],
  alerts: WallboardAlert[],
  health: { connected: boolean; caughtUp: boolean; reasons: string[] },
  now: number,
  windows: BoardWindows,
): WallboardState {
  const tiles = snapshot.map((s) => toTile(s, alerts, windows.tile)).sort((a, b) => a.queueName.localeCompare(b.queueName) || a.mediaType.localeCompare(b.mediaType));
  let banner: Banner | null = null;
  if (!health.connected) banner = { kind: "disconnected", text: `Not connected to Genesys Cloud: figures may be stale (${health.reasons.join("; ") || "connecting"})` };
  else if (!health.caughtUp) banner = { kind: "catching-up", text: "Catching up: recovering missed events from Genesys Cloud" };
  return { generatedAt: new Date(now).toISOString(), window: windows.tile, chartWindow: windows.chart, banner, tiles };
}
