/**
 * An ISO-8601 timestamp from a payload as epoch ms; undefined when absent or unreadable (never NaN).
 * Published analytics data holds unpadded dates (`2021-04-2T15:30:51.418Z`, which Date.parse
 * rejects): those are padded and read, rather than losing the visit.
 */
export function ms(iso: unknown): number | undefined {
  if (typeof iso !== "string") return undefined;
  const t = Date.parse(iso);
  if (Number.isFinite(t)) return t;
  const m = LOOSE.exec(iso);
  if (!m) return undefined;
  const pad = (s: string) => s.padStart(2, "0");
  const fixed = Date.parse(`${m[1]}-${pad(m[2])}-${pad(m[3])}T${pad(m[4])}:${pad(m[5])}:${pad(m[6])}${m[7] ?? ""}${m[8]}`);
  return Number.isFinite(fixed) ? fixed : undefined;
}

const LOOSE = /^(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;
