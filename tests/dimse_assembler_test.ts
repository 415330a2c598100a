/**
 * DIMSE messages from PDVs (lib/dimse/assembler.ts): a command set and its data set in
 * fragments, each ending with one marked last (PS3.8 Annex E: message control header bit 0
 * command/data, bit 1 last), on one accepted presentation context; every rule broken is named.
 */
import assert from "node:assert/strict";
import { MessageAssembler, type ReceivedMessage } from "../lib/dimse/assembler.ts";
import { type DimseCommand, encodeCommand, Priority } from "../lib/dimse/messages.ts";
import type { Pdv } from "../lib/pdu/types.ts";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const STORE: DimseCommand = {
  kind: "C-STORE-RQ",
  messageId: 7,
  affectedSopClassUid: CT,
  affectedSopInstanceUid: "1.2.3.4",
  priority: Priority.Medium,
};
const ECHO: DimseCommand = {
  kind: "C-ECHO-RQ",
  messageId: 8,
  affectedSopClassUid: "1.2.840.10008.1.1",
};

/** An assembler accepting contexts 1 and 3, and what it handed on, in order. */
function assembler() {
  const got: (string | ReceivedMessage)[] = [];
  const a = new MessageAssembler((id) => id === 1 || id === 3, {
    command: (c, contextId, hasDataSet) =>
      got.push(`${c.kind} on ${contextId}, data ${hasDataSet}`),
    message: (m) => got.push(m),
  });
  return { a, got };
}

const pdv = (contextId: number, isCommand: boolean, isLast: boolean, data: Uint8Array): Pdv => ({
  contextId,
  isCommand,
  isLast,
  data,
});

Deno.test("assembler: a command set and its data set, each in two fragments, make one message; the command is handed on when it completes", () => {
  const { a, got } = assembler();
  const command = encodeCommand(STORE, true);
  const cut = 20;
  assert.equal(a.push(pdv(3, true, false, command.subarray(0, cut))), undefined);
  assert.deepEqual(got, []);
  assert.equal(a.push(pdv(3, true, true, command.subarray(cut))), undefined);
  assert.deepEqual(got, ["C-STORE-RQ on 3, data true"]);
  assert.equal(a.push(pdv(3, false, false, new Uint8Array([1, 2, 3]))), undefined);
  assert.equal(a.push(pdv(3, false, true, new Uint8Array([4, 5]))), undefined);
  assert.equal(got.length, 2);
  const m = got[1] as ReceivedMessage;
  assert.equal(m.contextId, 3);
  assert.equal(m.command.kind, "C-STORE-RQ");
  assert.deepEqual(m.dataSet, new Uint8Array([1, 2, 3, 4, 5]));
  // The next message starts afresh, on another context.
  assert.equal(a.push(pdv(1, true, true, encodeCommand(ECHO))), undefined);
  assert.equal(got.length, 4);
  assert.equal((got[3] as ReceivedMessage).dataSet, undefined);
});

Deno.test("assembler: fragments out of order, on another context or one not accepted, and a bad command set are named", () => {
  const cases: [string, Pdv[], RegExp][] = [
    ["data first", [pdv(1, false, true, new Uint8Array(2))], /Data set fragment without a command/],
    [
      "data inside a command",
      [pdv(1, true, false, new Uint8Array(4)), pdv(1, false, true, new Uint8Array(2))],
      /Data set fragment inside a command/,
    ],
    [
      "command inside a data set",
      [pdv(1, true, true, encodeCommand(STORE, true)), pdv(1, true, true, new Uint8Array(2))],
      /Command fragment inside a data set/,
    ],
    [
      "context changed",
      [pdv(1, true, false, new Uint8Array(4)), pdv(3, true, true, new Uint8Array(2))],
      /Presentation context changed inside a message/,
    ],
    [
      "not accepted",
      [pdv(5, true, true, encodeCommand(ECHO))],
      /P-DATA on presentation context 5, not accepted/,
    ],
    [
      "not a command set",
      [pdv(1, true, true, new Uint8Array([1, 2, 3]))],
      /Invalid command set/,
    ],
  ];
  for (const [name, pdvs, reason] of cases) {
    const { a, got } = assembler();
    const results = pdvs.map((p) => a.push(p));
    assert.match(results.at(-1) ?? "", reason, name);
    for (const r of results.slice(0, -1)) assert.equal(r, undefined, name);
    assert.ok(!got.some((g) => typeof g !== "string"), `${name}: no message handed on`);
  }
});
