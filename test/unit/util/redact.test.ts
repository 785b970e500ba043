import { test } from "node:test";
import assert from "node:assert/strict";
import { excerpt, redact, registerSecret } from "../../../src/util/redact.js";

test("credentials never leave as text: URL user info, Authorization values, token fields, registered secrets", () => {
  assert.equal(redact("POST http://user:pa55word@127.0.0.1:8428/api failed"), "POST http://[redacted]@127.0.0.1:8428/api failed");
  assert.equal(redact('{"url":"https://a:b@x.example/v2/enqueue"}'), '{"url":"https://[redacted]@x.example/v2/enqueue"}');
  assert.equal(redact("see http://example.com/a@b"), "see http://example.com/a@b", "an @ in the path is not user info");
  assert.equal(redact("Authorization: Bearer abc.def-123"), "Authorization: Bearer [redacted]");
  assert.equal(redact('{"access_token":"zzz","x":1}'), '{"access_token":"[redacted]","x":1}');
  registerSecret("my-client-secret-value");
  assert.equal(redact("oops my-client-secret-value leaked"), "oops [redacted] leaked");
  assert.doesNotMatch(excerpt({ url: "http://u:secretpass@h/" }), /secretpass/);
});
