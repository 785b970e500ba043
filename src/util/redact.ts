/**
 * Secret scrubbing for everything that leaves the process as text (log lines, error messages).
 * Two nets: patterns that look like credentials whoever they belong to (Authorization schemes,
 * token fields in JSON or form bodies), and the exact values registered by whoever holds them
 * (the client secret, its Basic form, each access token), wherever they show up.
 */
const CENSOR = "[redacted]";
/** Long-lived secrets (client secret, its Basic form): kept for the life of the process. */
const permanent = new Set<string>();
/** Access tokens come and go: only the most recent ones are kept (a bounded set). */
const tokens = new Set<string>();
const MAX_TOKENS = 64;

/**
 * Registers a secret value so `redact` removes it from any text (values under 6 chars are
 * ignored: too common). `transient` ones (access tokens) are bounded; the others never leave.
 */
export function registerSecret(value: string | undefined | null, transient = false): void {
  if (!value || value.length < 6 || permanent.has(value) || tokens.has(value)) return;
  const into = transient ? tokens : permanent;
  into.add(value);
  // Also its JSON-escaped form, as it would appear inside a serialized log line.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) into.add(escaped);
  while (tokens.size > MAX_TOKENS) tokens.delete(tokens.values().next().value!);
}

const PATTERNS: [RegExp, string][] = [
  // Authorization header values: "Bearer x", "Basic x" (also inside JSON strings).
  [/\b(Bearer|Basic)(\s+|%20)[A-Za-z0-9._~+/=-]+/gi, `$1 ${CENSOR}`],
  // Token and secret fields in JSON: "access_token":"x", "client_secret": "x", "authorization":"x".
  [/("(?:access_token|refresh_token|id_token|client_secret|clientSecret|accessToken|password|authorization)"\s*:\s*")(?:[^"\\]|\\.)*"/gi, `$1${CENSOR}"`],
  // ... and in form bodies / query strings: client_secret=x&...
  [/\b(access_token|refresh_token|client_secret|password)=[^&\s"]+/gi, `$1=${CENSOR}`],
  // User info in any URL: scheme://user:password@host (refused in config, but never printed either).
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']+@/gi, `$1${CENSOR}@`],
];

/** `text` with every credential-looking part and every registered secret replaced by [redacted]. */
export function redact(text: string): string {
  let out = text;
  for (const [re, by] of PATTERNS) out = out.replace(re, by);
  for (const set of [permanent, tokens]) for (const s of set) if (out.includes(s)) out = out.split(s).join(CENSOR);
  return out;
}

/** A short, redacted excerpt of untrusted text for logs and errors (at most `max` characters). */
export function excerpt(text: unknown, max = 200): string {
  let s: string;
  try {
    s = typeof text === "string" ? text : text === undefined ? "undefined" : (JSON.stringify(text) ?? String(text));
  } catch {
    s = Object.prototype.toString.call(text);
  }
  // Redact before cutting so a cut cannot split a secret out of its pattern; cut generously first.
  const r = redact(s.length > max * 4 ? s.slice(0, max * 4) : s);
  return r.length > max ? `${r.slice(0, max)}…(${s.length} chars)` : r;
}
