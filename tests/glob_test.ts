/**
 * `--pattern` wildcards (lib/glob.ts): fnmatch's `*`, `?` and sets, on base names, everything
 * else literal.
 */
import assert from "node:assert/strict";
import { compileGlob, compileGlobs, GlobError } from "../lib/glob.ts";

Deno.test("compileGlob: * and ? match any run / any one character, case-sensitively", () => {
  const dcm = compileGlob("*.dcm");
  assert.ok(dcm("IM0001.dcm"));
  assert.ok(dcm(".dcm"));
  assert.ok(!dcm("IM0001.DCM"));
  assert.ok(!dcm("IM0001.dcm.bak"));
  assert.ok(!dcm("notes.txt"));
  const im = compileGlob("IM????");
  assert.ok(im("IM0001"));
  assert.ok(!im("IM001"));
  assert.ok(!im("IM00001"));
  assert.ok(compileGlob("*")("anything at all"));
  assert.ok(compileGlob("a*b*c")("a-x-b-y-c"));
  assert.ok(!compileGlob("a*b*c")("a-x-c-y-b"));
});

Deno.test("compileGlob: sets, ranges and negated sets", () => {
  const digit = compileGlob("IM[0-9]");
  assert.ok(digit("IM7"));
  assert.ok(!digit("IMx"));
  const notDigit = compileGlob("IM[!0-9]");
  assert.ok(notDigit("IMx"));
  assert.ok(!notDigit("IM7"));
  assert.ok(compileGlob("[]a]")("]"));
  assert.ok(compileGlob("[!]a]")("b"));
  assert.ok(!compileGlob("[!]a]")("]"));
  assert.ok(compileGlob("x[.]y")("x.y"));
  assert.ok(!compileGlob("x[.]y")("xay"));
});

Deno.test("compileGlob: regular-expression characters are literal", () => {
  assert.ok(compileGlob("a.b")("a.b"));
  assert.ok(!compileGlob("a.b")("axb"));
  assert.ok(compileGlob("(1)+$^{2}|x")("(1)+$^{2}|x"));
  assert.ok(compileGlob("a\\b")("a\\b"));
});

Deno.test("compileGlob: an unclosed set is a GlobError naming where", () => {
  assert.throws(() => compileGlob("IM[0-9"), (e) => {
    assert.ok(e instanceof GlobError);
    assert.equal(e.pattern, "IM[0-9");
    assert.equal(e.message, "'[' at position 3 is never closed");
    return true;
  });
});

Deno.test("compileGlobs: any of several patterns", () => {
  const pick = compileGlobs(["*.dcm", "IM*"]);
  assert.ok(pick("a.dcm"));
  assert.ok(pick("IM0001"));
  assert.ok(!pick("README"));
  assert.ok(!compileGlobs([])("a.dcm"));
});
