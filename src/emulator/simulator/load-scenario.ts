/** Loads a scenario: one of the named ones (./scenarios.ts), or a YAML/JSON file of the same shape. */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { formatZodError } from "../../config/errors.js";
import { scenarioSchema, shiftProblems, type Scenario } from "./scenario.js";
import { named } from "./scenarios.js";

export const scenarioNames = Object.keys(named);

/** A named scenario, or a YAML/JSON file of the same shape. Errors name the field. */
export function loadScenario(nameOrFile: string): Scenario {
  const raw = named[nameOrFile] ?? readScenarioFile(nameOrFile);
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`scenario ${nameOrFile}: ${formatZodError(parsed.error)}`);
  const names = new Set(parsed.data.queues.map((q) => q.name));
  for (const q of parsed.data.queues) {
    for (const [field, target] of [["transferTo", q.transferTo], ["flowOutTo", q.flowOutTo], ...(q.alsoServes ?? []).map((n) => ["alsoServes", n])]) {
      if (target && !names.has(target)) throw new Error(`scenario ${nameOrFile}: queue ${q.name}: ${field} names unknown queue ${target}`);
    }
    const problems = shiftProblems(q, parsed.data.cycleMinutes);
    if (problems.length > 0) throw new Error(`scenario ${nameOrFile}: ${problems[0]}`);
  }
  for (const s of parsed.data.surges) {
    if (!names.has(s.queue)) throw new Error(`scenario ${nameOrFile}: surge names unknown queue ${s.queue}`);
  }
  return parsed.data;
}

function readScenarioFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`unknown scenario "${file}": not one of ${scenarioNames.join(", ")} and not a readable file`);
  }
  return parseYaml(text);
}
