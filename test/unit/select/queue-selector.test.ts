import { test } from "node:test";
import assert from "node:assert/strict";
import { compileSelector, globToRegExp, selectorSchema, selectQueues, type SelectorSpec } from "../../../src/select/queue-selector.js";

const none: SelectorSpec = { ids: [], names: [], patterns: [], regex: [], divisions: [] };
const queues = [
  { id: "1", name: "Sales", divisionId: "d-na", divisionName: "North America" },
  { id: "2", name: "Presales Support", divisionId: "d-na", divisionName: "North America" },
  { id: "3", name: "Billing", divisionId: "d-fin", divisionName: "Finance" },
  { id: "4", name: "Sales (EN)" },
];
const names = (spec: Partial<SelectorSpec>) => selectQueues(compileSelector({ ...none, ...spec }), queues).map((q) => q.name);

test("nothing configured selects every queue; the lists are a union", () => {
  assert.deepEqual(names({}), ["Sales", "Presales Support", "Billing", "Sales (EN)"]);
  assert.deepEqual(names({ ids: ["3"], names: ["sales"] }), ["Sales", "Billing"]);
});

test("names are exact and case-insensitive; patterns are anchored, case-insensitive globs", () => {
  assert.deepEqual(names({ names: ["presales support"] }), ["Presales Support"]);
  assert.deepEqual(names({ names: ["Sales Support"] }), []);
  assert.deepEqual(names({ patterns: ["sales*"] }), ["Sales", "Sales (EN)"], "not Presales Support");
  assert.deepEqual(names({ patterns: ["*support"] }), ["Presales Support"]);
  assert.deepEqual(names({ patterns: ["Sales (??)"] }), ["Sales (EN)"], "glob characters only; parentheses are literal");
  assert.equal(globToRegExp("a.b*").test("aXb"), false, "a dot is literal");
});

test("regex is an explicit regular expression, as written; divisions match by id or name", () => {
  assert.deepEqual(names({ regex: ["sales"] }), ["Presales Support"], "case-sensitive, unanchored, as written");
  assert.deepEqual(names({ regex: ["^S"] }), ["Sales", "Sales (EN)"]);
  assert.deepEqual(names({ divisions: ["finance"] }), ["Billing"]);
  assert.deepEqual(names({ divisions: ["d-na"] }), ["Sales", "Presales Support"]);
});

test("the config shape compiles once at parse time and refuses a broken regular expression", () => {
  const sel = selectorSchema.parse({ patterns: ["Bill*"] });
  assert.equal(sel.all, false);
  assert.deepEqual(sel.spec.patterns, ["Bill*"]);
  assert.equal(sel.matches(queues[2]), true);
  assert.equal(selectorSchema.parse(undefined).all, true);
  assert.throws(() => selectorSchema.parse({ regex: ["("] }), /not a valid regular expression/);
  assert.throws(() => selectorSchema.parse({ pattern: ["x"] }), /unrecognized|pattern/i, "unknown keys are refused");
});
