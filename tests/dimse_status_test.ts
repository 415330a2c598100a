/**
 * C-STORE status classes and texts (lib/dimse/status.ts), as the reference logs them
 * (storescu-behaviour.md §7a) and as PS3.4 B.2.3 / PS3.7 annex C define them.
 */
import assert from "node:assert/strict";
import {
  hexStatus,
  statusCategory,
  statusMeaning,
  storeStatusCategory,
} from "../lib/dimse/status.ts";

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("statusCategory: the reference's table (§7a)", () => {
  assert.equal(statusCategory(0x0000), "Success");
  for (const s of [0xB000, 0xB006, 0xB007, 0x0107, 0x0116]) {
    assert.equal(statusCategory(s), "Warning", hexStatus(s));
  }
  const failures = [
    ...range(0xA700, 0xA7FF),
    ...range(0xA900, 0xA9FF),
    ...range(0xC000, 0xCFFF),
    0x0105,
    0x0106,
    ...range(0x0110, 0x0115),
    ...range(0x0117, 0x0119),
    ...range(0x0120, 0x0124),
    ...range(0x0210, 0x0213),
  ];
  for (const s of failures) assert.equal(statusCategory(s), "Failure", hexStatus(s));
  assert.equal(statusCategory(0xFE00), "Cancel");
  // Anything else, pending included, is Unknown.
  const unknown = [
    0xFF00,
    0xFF01,
    0x1234,
    ...range(0x011A, 0x011F),
    0x0001,
    0x0104,
    0x0108,
    0x0125,
    0x0214,
    0xA6FF,
    0xA800,
    0xAA00,
    0xB001,
    0xBFFF,
    0xD000,
    0xFFFF,
  ];
  for (const s of unknown) assert.equal(statusCategory(s), "Unknown", hexStatus(s));
});

Deno.test("statusCategory: the statuses seen in the reference's runs", () => {
  const seen: [number, string][] = [
    [0xA700, "Failure"],
    [0xB000, "Warning"],
    [0xC123, "Failure"],
    [0x0122, "Failure"],
    [0xFF00, "Unknown"],
    [0x1234, "Unknown"],
  ];
  for (const [s, c] of seen) {
    assert.equal(`${hexStatus(s)} - ${statusCategory(s)}`, `${hexStatus(s)} - ${c}`);
  }
});

Deno.test("storeStatusCategory: Pending is told apart for callers", () => {
  assert.equal(storeStatusCategory(0xFF00), "Pending");
  assert.equal(storeStatusCategory(0xFF01), "Pending");
  assert.equal(storeStatusCategory(0x0000), "Success");
  assert.equal(storeStatusCategory(0xA700), "Failure");
  assert.equal(storeStatusCategory(0xB007), "Warning");
  assert.equal(storeStatusCategory(0xFE00), "Cancel");
  assert.equal(storeStatusCategory(0x1234), "Unknown");
});

Deno.test("statusMeaning: specific texts, then range texts, then Unknown status", () => {
  assert.equal(statusMeaning(0x0000), "Success");
  assert.equal(statusMeaning(0xA700), "Refused: Out of Resources");
  assert.equal(statusMeaning(0xA7FF), "Refused: Out of Resources");
  assert.equal(statusMeaning(0xA900), "Error: Data Set does not match SOP Class");
  assert.equal(statusMeaning(0xC000), "Error: Cannot understand");
  assert.equal(statusMeaning(0xCFFF), "Error: Cannot understand");
  assert.equal(statusMeaning(0xB000), "Coercion of data elements");
  assert.equal(statusMeaning(0xB006), "Elements discarded");
  assert.equal(statusMeaning(0xB007), "Data set does not match SOP Class");
  assert.equal(statusMeaning(0x0122), "SOP Class not supported");
  assert.equal(statusMeaning(0x0111), "Duplicate SOP Instance");
  assert.equal(statusMeaning(0x0211), "Unrecognised operation");
  assert.equal(statusMeaning(0x0213), "Resource limitation");
  assert.equal(statusMeaning(0xFE00), "Cancel");
  assert.equal(statusMeaning(0xFF00), "Pending");
  assert.equal(statusMeaning(0x1234), "Unknown status");
});

Deno.test("hexStatus: 0x and four upper-case digits", () => {
  assert.equal(hexStatus(0), "0x0000");
  assert.equal(hexStatus(0xb000), "0xB000");
  assert.equal(hexStatus(0x107), "0x0107");
  assert.equal(hexStatus(0xffff), "0xFFFF");
});
