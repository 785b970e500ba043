import { test } from "node:test";
import assert from "node:assert/strict";
import { BackfillTooLargeError } from "../../../src/sources/genesys/backfill/query.js";
import { notReadyReasons } from "../../../src/app/health.js";
import { areaOf, permanentStatus, Problems, type Problem } from "../../../src/app/problems.js";
import { HttpError } from "../../../src/delivery/transport.js";

const httpError = (status: number, url = "/api/v2/analytics/conversations/details/query") => new HttpError({ method: "POST", url, status, message: `POST ${url} answered ${status}` });

test("permanent errors are told by the status field: 4xx but 408 and 429; a backfill too large", () => {
  assert.equal(permanentStatus(httpError(403)), 403);
  assert.equal(permanentStatus(httpError(400, "https://login.x/oauth/token")), 400);
  assert.equal(permanentStatus(httpError(429)), undefined);
  assert.equal(permanentStatus(httpError(408)), undefined);
  assert.equal(permanentStatus(httpError(503)), undefined);
  assert.equal(permanentStatus(new Error("answered 403")), undefined, "never parsed from a message");
  assert.equal(permanentStatus(new BackfillTooLargeError("q", [0, 1], 200_000, 100_000)), null);
  assert.equal(areaOf(httpError(401, "https://login.x/oauth/token"), "queues"), "token");
  assert.equal(areaOf(httpError(403), "backfill"), "backfill");
});

test("a standing problem is logged once a minute, not on every retry, and clears", () => {
  const logged: Problem[] = [];
  const p = new Problems((x) => logged.push(x));
  const t0 = 1_000_000;
  for (let i = 0; i < 10; i++) assert.equal(p.report("backfill", httpError(403), t0 + i * 5000), true);
  assert.equal(logged.length, 1);
  p.report("backfill", httpError(403), t0 + 61_000);
  assert.equal(logged.length, 2);
  assert.equal(p.report("backfill", httpError(503), t0), false, "transient: not a standing problem");
  assert.deepEqual(p.list().map((x) => [x.area, x.status, x.occurrences]), [["backfill", 403, 11]]);
  const reasons = notReadyReasons({ channels: 1, connected: true, caughtUp: true, problems: p.list() });
  assert.equal(reasons.length, 1);
  assert.match(reasons[0], /^backfill: HTTP 403: /);
  p.clear("backfill");
  assert.deepEqual(notReadyReasons({ channels: 1, connected: true, caughtUp: true, problems: p.list() }), []);
});
