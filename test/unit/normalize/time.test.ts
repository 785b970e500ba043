/**
 * Timestamps: the canonical-form fast path reads exactly what Date.parse reads, and everything
 * else still goes through Date.parse (and the unpadded-date repair).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalUtc, ms } from "../../../src/normalize/time.js";
import { mulberry32 } from "../../../src/util/random.js";

const expected = (s: string): number | undefined => {
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
};

test("canonical timestamps: the fast path equals Date.parse over the whole range", () => {
  const rnd = mulberry32(12);
  // Epoch ms spread over years 0000..9999, plus the days around leap days and century years.
  const times: number[] = [];
  for (let i = 0; i < 20_000; i++) times.push(Math.floor(-62_167_219_200_000 + rnd() * (253_402_300_799_999 + 62_167_219_200_000)));
  for (const y of [1600, 1700, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 2400]) {
    for (const md of ["02-28", "02-29", "03-01", "12-31", "01-01"]) times.push(Date.parse(`${y}-${md}T23:59:59.999Z`), Date.parse(`${y}-${md}T00:00:00.000Z`));
  }
  for (const t of times) {
    if (!Number.isFinite(t)) continue;
    const s = new Date(t).toISOString();
    if (s.length !== 24) continue; // expanded years are not the canonical form
    assert.equal(canonicalUtc(s), t, s);
    assert.equal(ms(s), t, s);
  }
});

test("canonical-looking timestamps out of range agree with Date.parse (rollover, hour 24, rejects)", () => {
  const cases = [
    "2026-02-29T00:00:00.000Z",
    "2026-02-30T12:00:00.000Z",
    "2026-02-31T00:00:00.000Z",
    "2026-04-31T00:00:00.000Z",
    "2024-02-29T10:11:12.131Z",
    "2026-01-01T24:00:00.000Z",
    "2026-01-01T23:60:00.000Z",
    "2026-01-01T23:59:60.000Z",
    "2026-00-01T00:00:00.000Z",
    "2026-13-01T00:00:00.000Z",
    "2026-01-00T00:00:00.000Z",
    "2026-01-32T00:00:00.000Z",
    "0000-01-01T00:00:00.000Z",
    "0000-02-29T00:00:00.000Z",
    "9999-12-31T23:59:59.999Z",
    "2026-01-01T00:00:00.00aZ",
    "2026-01-01T00:00:00.000z",
    "2026-01-01t00:00:00.000Z",
    "2026-01-01T00:00:00,000Z",
    "2026/01/01T00:00:00.000Z",
    "2026-01-01T00:00:00.0000",
    "2026-01-01 00:00:00.000Z",
    "２026-01-01T00:00:00.000Z",
    "-026-01-01T00:00:00.000Z",
  ];
  for (const s of cases) assert.equal(ms(s), expected(s), s);
});

test("other forms go to Date.parse; unpadded dates are repaired; junk is undefined", () => {
  for (const s of ["2026-05-04T08:00:00Z", "2026-05-04T08:00:00.1Z", "2026-05-04T08:00:00.123456Z", "2026-05-04T10:00:00.000+02:00", "2026-05-04"]) {
    assert.equal(ms(s), Date.parse(s), s);
    assert.ok(Number.isNaN(canonicalUtc(s)), s);
  }
  assert.equal(ms("2021-04-2T15:30:51.418Z"), Date.parse("2021-04-02T15:30:51.418Z"));
  for (const v of [undefined, null, 5, {}, "", "yesterday", "2026-05-04T08:00:00.000Q"]) assert.equal(ms(v), undefined, String(v));
});
