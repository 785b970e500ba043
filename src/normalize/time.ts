/** An ISO-8601 timestamp from a payload as epoch ms; undefined when absent or unreadable (never NaN). */
export function ms(iso: unknown): number | undefined {
  if (typeof iso !== "string") return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}
