/**
 * The one queue selector: whatever picks queues (discovery, alert rules, any per-queue setting)
 * speaks this shape and compiles it once, at config load.
 *
 *   ids        exact queue ids
 *   names      exact names, case-insensitive
 *   patterns   anchored, case-insensitive globs on the name: `*` any run, `?` one character
 *   regex      explicit regular expressions on the name (as written: unanchored, case-sensitive
 *              unless the expression says otherwise), for what a glob cannot say
 *   divisions  division ids, or names (case-insensitive)
 * A queue is selected when any list matches it (a union); all lists empty selects every queue.
 */
import { z } from "zod";

export interface QueueRef {
  id: string;
  name: string;
  divisionId?: string;
  divisionName?: string;
}

export interface SelectorSpec {
  ids: string[];
  names: string[];
  patterns: string[];
  regex: string[];
  divisions: string[];
}

export interface QueueSelector {
  /** The lists as configured (for logs and health). */
  readonly spec: SelectorSpec;
  /** Nothing configured: every queue. */
  readonly all: boolean;
  matches(q: QueueRef): boolean;
}

/** A glob as an anchored, case-insensitive regular expression. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

export function compileSelector(spec: SelectorSpec): QueueSelector {
  const ids = new Set(spec.ids);
  const names = new Set(spec.names.map((n) => n.toLowerCase()));
  const globs = spec.patterns.map(globToRegExp);
  const regexes = spec.regex.map((r) => new RegExp(r));
  const divisionIds = new Set(spec.divisions);
  const divisionNames = new Set(spec.divisions.map((d) => d.toLowerCase()));
  const all = ids.size + names.size + globs.length + regexes.length + divisionIds.size === 0;
  return {
    spec,
    all,
    matches(q) {
      if (all || ids.has(q.id) || names.has(q.name.toLowerCase())) return true;
      if (globs.some((g) => g.test(q.name)) || regexes.some((r) => r.test(q.name))) return true;
      if (q.divisionId !== undefined && divisionIds.has(q.divisionId)) return true;
      return q.divisionName !== undefined && divisionNames.has(q.divisionName.toLowerCase());
    },
  };
}

const regexSource = z.string().refine((p) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}, "not a valid regular expression");

const list = (item: z.ZodString = z.string().min(1)) => z.array(item).max(10_000).default([]);

/** The selector's config shape, compiled at parse time; `extra` adds keys a part owns (e.g. refreshSeconds). */
export const selectorFields = {
  ids: list(),
  names: list(),
  patterns: list(),
  regex: list(regexSource),
  divisions: list(),
};

export const selectorSchema = z
  .object(selectorFields)
  .strict()
  .prefault({})
  .transform((spec) => compileSelector(spec));

/** The queues a selector picks out of a list (in list order). */
export function selectQueues<Q extends QueueRef>(sel: QueueSelector, queues: Iterable<Q>): Q[] {
  const out: Q[] = [];
  for (const q of queues) if (sel.matches(q)) out.push(q);
  return out;
}
