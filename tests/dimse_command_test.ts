/**
 * DIMSE command sets (lib/dimse/command.ts, lib/dimse/messages.ts), pinned against the
 * reference's P-DATA capture (captures/pdu_trace_cx_ct.txt) and PS3.7 annex E.
 */
import assert from "node:assert/strict";
import {
  CommandSetError,
  decodeCommandSet,
  encodeCommandSet,
  hexTag,
  NO_DATA_SET,
  Tag,
} from "../lib/dimse/command.ts";
import {
  CommandField,
  type CStoreRQ,
  decodeCommand,
  type DimseCommand,
  encodeCommand,
  Priority,
} from "../lib/dimse/messages.ts";
import { sharedDir } from "./peers.ts";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const INSTANCE = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";

/** The hex blocks of the capture, by their header line. */
async function captureBlocks(): Promise<{ header: string; bytes: Uint8Array }[]> {
  const text = await Deno.readTextFile(`${sharedDir}/reference/captures/pdu_trace_cx_ct.txt`);
  const blocks: { header: string; hex: string[] }[] = [];
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) blocks.push({ header: line, hex: [] });
    else if (/^\s+[0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(line)) blocks.at(-1)!.hex.push(line.trim());
  }
  return blocks.map((b) => ({
    header: b.header,
    bytes: new Uint8Array(b.hex.join(" ").split(" ").map((h) => parseInt(h, 16))),
  }));
}

/** The command set inside a single-PDV P-DATA-TF PDU: after the 6-byte PDU and 6-byte PDV headers. */
function commandSetOf(pdu: Uint8Array): Uint8Array {
  const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  assert.equal(pdu[0], 0x04);
  const pduLength = view.getUint32(2);
  assert.equal(pdu.length, 6 + pduLength, "capture block is complete");
  const pdvLength = view.getUint32(6);
  assert.equal(pdvLength, pduLength - 4, "one PDV");
  assert.equal(pdu[11] & 0x01, 0x01, "command fragment");
  assert.equal(pdu[11] & 0x02, 0x02, "last fragment");
  return pdu.subarray(12, 6 + pduLength);
}

Deno.test("C-STORE-RQ command set equals the reference's bytes (MsgID 1, CT)", async () => {
  const blocks = await captureBlocks();
  const rqBlock = blocks.find((b) => b.header.startsWith("SCU->SCP P-DATA-TF pdu_len=148"));
  assert.ok(rqBlock);
  const want = commandSetOf(rqBlock.bytes);
  assert.equal(want.length, 142); // PDV item length 144 = context id + control + 142
  const rq: CStoreRQ = {
    kind: "C-STORE-RQ",
    messageId: 1,
    affectedSopClassUid: CT,
    affectedSopInstanceUid: INSTANCE,
    priority: Priority.Low,
  };
  assert.deepEqual(encodeCommand(rq, true), want);
  // And it decodes back to the same request.
  assert.deepEqual(decodeCommand(want), { command: rq, hasDataSet: true });
  const set = decodeCommandSet(want);
  assert.equal(set.get(Tag.CommandGroupLength), 130);
  assert.equal(set.get(Tag.CommandDataSetType), 0x0001);
  assert.equal(set.get(Tag.Priority), 2);
});

Deno.test("C-STORE-RSP from the capture decodes to Success for MsgID 1", async () => {
  const blocks = await captureBlocks();
  const rspBlock = blocks.find((b) => b.header.startsWith("SCP->SCU P-DATA-TF"));
  assert.ok(rspBlock);
  const bytes = commandSetOf(rspBlock.bytes);
  const { command, hasDataSet } = decodeCommand(bytes);
  assert.equal(hasDataSet, false);
  assert.deepEqual(command, {
    kind: "C-STORE-RSP",
    messageIdBeingRespondedTo: 1,
    affectedSopClassUid: CT,
    affectedSopInstanceUid: INSTANCE,
    status: 0,
  });
  // Our encoder writes the very same bytes for that response.
  assert.deepEqual(encodeCommand(command), bytes);
});

Deno.test("encodeCommandSet: Implicit VR LE, sorted by tag, group length first", () => {
  const bytes = encodeCommandSet(
    new Map<number, string | number>([
      [Tag.MessageId, 7],
      [Tag.CommandField, 0x0030],
      [Tag.AffectedSopClassUid, "1.2.840.10008.1.1"], // 17 chars: padded with 0x00
      [Tag.CommandGroupLength, 999], // ignored and recomputed
    ]),
  );
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  assert.equal(
    hex,
    [
      "00 00 00 00 04 00 00 00 2e 00 00 00", // (0000,0000) UL 46 = 26 + 10 + 10
      "00 00 02 00 12 00 00 00 31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 31 00",
      "00 00 00 01 02 00 00 00 30 00",
      "00 00 10 01 02 00 00 00 07 00",
    ].join(" "),
  );
});

Deno.test("encodeCommandSet: AE and LO values are space-padded, UI with NUL", () => {
  const m = decodeCommandSet(encodeCommandSet(
    new Map<number, string | number>([
      [Tag.MoveOriginatorAeTitle, "ABC"],
      [Tag.ErrorComment, "odd"],
      [Tag.AffectedSopInstanceUid, "1.2.3"],
    ]),
  ));
  assert.equal(m.get(Tag.MoveOriginatorAeTitle), "ABC");
  assert.equal(m.get(Tag.ErrorComment), "odd");
  assert.equal(m.get(Tag.AffectedSopInstanceUid), "1.2.3");
  const raw = encodeCommandSet(new Map([[Tag.MoveOriginatorAeTitle, "ABC"]]));
  assert.deepEqual([...raw.subarray(-4)], [0x41, 0x42, 0x43, 0x20]);
  const ui = encodeCommandSet(new Map([[Tag.AffectedSopInstanceUid, "1.2.3"]]));
  assert.deepEqual([...ui.subarray(-6)], [0x31, 0x2e, 0x32, 0x2e, 0x33, 0x00]);
});

Deno.test("encodeCommandSet: rejects elements outside group 0000", () => {
  assert.throws(
    () => encodeCommandSet(new Map([[0x00080016, "1.2"]])),
    (e) => e instanceof CommandSetError && /\(0008,0016\)/.test(e.message),
  );
});

Deno.test("decodeCommandSet: malformed input throws CommandSetError", () => {
  const good = encodeCommand({
    kind: "C-ECHO-RQ",
    messageId: 1,
    affectedSopClassUid: "1.2.840.10008.1.1",
  });
  // Ends inside an element header.
  assert.throws(() => decodeCommandSet(good.subarray(0, good.length - 3 - 8)), CommandSetError);
  // A value running past the end.
  const overrun = good.slice();
  new DataView(overrun.buffer).setUint32(good.length - 6, 100, true);
  assert.throws(() => decodeCommandSet(overrun), CommandSetError);
  // A data set element in a command set.
  const data = new Uint8Array([0x08, 0x00, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00]);
  assert.throws(() => decodeCommandSet(data), /\(0008,0016\) in a command set/);
  // No Command Field.
  assert.throws(
    () => decodeCommand(encodeCommandSet(new Map([[Tag.MessageId, 1]]))),
    /Command Field/,
  );
  // A C-STORE-RSP without a Status.
  assert.throws(
    () =>
      decodeCommand(
        encodeCommandSet(
          new Map([[Tag.CommandField, CommandField.CStoreRSP], [Tag.MessageIdBeingRespondedTo, 1]]),
        ),
      ),
    /Status/,
  );
  assert.deepEqual(decodeCommandSet(new Uint8Array()), new Map());
});

Deno.test("C-ECHO-RQ is 68 bytes with no data set (PS3.7 9.3.5)", () => {
  const bytes = encodeCommand({
    kind: "C-ECHO-RQ",
    messageId: 1,
    affectedSopClassUid: "1.2.840.10008.1.1",
  });
  assert.equal(bytes.length, 68);
  const set = decodeCommandSet(bytes);
  assert.equal(set.get(Tag.CommandGroupLength), 56);
  assert.equal(set.get(Tag.CommandDataSetType), NO_DATA_SET);
  assert.equal(set.get(Tag.CommandField), 0x0030);
});

Deno.test("messages round-trip through their command sets", () => {
  const cases: [DimseCommand, boolean][] = [
    [{
      kind: "C-STORE-RQ",
      messageId: 65535,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: "1.2.3.4",
      priority: Priority.High,
      moveOriginatorAeTitle: "MOVER",
      moveOriginatorMessageId: 9,
    }, true],
    [{
      kind: "C-STORE-RSP",
      messageIdBeingRespondedTo: 3,
      affectedSopClassUid: CT,
      affectedSopInstanceUid: "1.2.3.4",
      status: 0xA700,
      errorComment: "disk full",
      offendingElement: new Uint8Array([0x08, 0x00, 0x18, 0x00]),
    }, false],
    [{ kind: "C-STORE-RSP", messageIdBeingRespondedTo: 3, status: 0xB000 }, false],
    [{ kind: "C-ECHO-RQ", messageId: 2, affectedSopClassUid: "1.2.840.10008.1.1" }, false],
    [{
      kind: "C-ECHO-RSP",
      messageIdBeingRespondedTo: 2,
      affectedSopClassUid: "1.2.840.10008.1.1",
      status: 0,
    }, false],
  ];
  for (const [command, hasDataSet] of cases) {
    const decoded = decodeCommand(encodeCommand(command, hasDataSet));
    assert.deepEqual(decoded, { command, hasDataSet });
  }
  // A C-STORE-RQ without a data set says so with 0x0101.
  const noData = encodeCommand(cases[0][0], false);
  assert.equal(decodeCommandSet(noData).get(Tag.CommandDataSetType), NO_DATA_SET);
  assert.equal(decodeCommand(noData).hasDataSet, false);
});

Deno.test("unknown command fields decode as Other with their elements", () => {
  const bytes = encodeCommandSet(new Map([[Tag.CommandField, 0x0020], [Tag.MessageId, 5]]));
  const { command } = decodeCommand(bytes);
  assert.equal(command.kind, "Other");
  if (command.kind !== "Other") return;
  assert.equal(command.commandField, 0x0020);
  assert.equal(command.elements.get(Tag.MessageId), 5);
  assert.deepEqual(encodeCommand(command), bytes);
});

Deno.test("hexTag formats (GGGG,EEEE)", () => {
  assert.equal(hexTag(0x00080016), "(0008,0016)");
  assert.equal(hexTag(0x7fe00010), "(7FE0,0010)");
  assert.equal(hexTag(Tag.AffectedSopInstanceUid), "(0000,1000)");
});
