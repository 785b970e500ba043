/**
 * Alert state as the wallboard reads it: the alerting module's list, read defensively so a bad
 * entry never breaks the page.
 */
import { z } from "zod";

const alertSchema = z.object({
  rule: z.string().catch(""),
  queueId: z.string(),
  queueName: z.string().nullish().catch(null),
  /** null or absent: the alert concerns the whole queue (every media type). */
  mediaType: z.string().nullish().catch(null),
  state: z.enum(["pending", "firing", "resolved"]),
  since: z.string().nullish().catch(null),
  value: z.number().nullish().catch(null),
  threshold: z.number().nullish().catch(null),
  severity: z.string().nullish().catch(null),
});

export type WallboardAlert = z.infer<typeof alertSchema>;
export type TileAlertState = "firing" | "pending" | "none";

/** The alerts as /api/alerts lists them, read defensively: a bad entry is left out, never breaks the page. */
export function readAlerts(raw: unknown): WallboardAlert[] {
  if (!Array.isArray(raw)) return [];
  const out: WallboardAlert[] = [];
  for (const a of raw) {
    const p = alertSchema.safeParse(a);
    if (p.success) out.push(p.data);
  }
  return out;
}

/** A tile's colour state: firing wins over pending; resolved alerts leave no mark. */
export function tileAlert(alerts: WallboardAlert[], queueId: string, mediaType: string): { state: TileAlertState; rules: string[] } {
  let state: TileAlertState = "none";
  const rules: string[] = [];
  for (const a of alerts) {
    if (a.queueId !== queueId || (a.mediaType && a.mediaType !== mediaType) || a.state === "resolved") continue;
    rules.push(a.rule);
    if (a.state === "firing") state = "firing";
    else if (state === "none") state = "pending";
  }
  return { state, rules };
}
