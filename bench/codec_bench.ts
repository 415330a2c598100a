/**
 * Micro-benchmarks of the codecs on the hot paths: `deno bench -A bench/codec_bench.ts`.
 *
 * - A-ASSOCIATE-RQ with the default 120-context proposal (4 transfer syntaxes each): encode
 *   and decode.
 * - A C-STORE-RQ command set and a C-STORE-RSP: encode and decode.
 * - P-DATA-TF PDU with one 16 KB PDV: encode and decode.
 * - `readDicomFileInfo` on a generated 0.5 MB CT file (page cache).
 *
 * @module
 */

import { buildAssociateRQ } from "../lib/acse.ts";
import { defaultContexts } from "../lib/plan.ts";
import { decodePdu, encodePdu, type PDataTF, PduType } from "../lib/pdu/mod.ts";
import { decodeCommand, encodeCommand } from "../lib/dimse/messages.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { DEFAULT_TRANSFER_SYNTAXES } from "../lib/send.ts";
import { writeCtSeries } from "./gen.ts";

// ---------------------------------------------------------------------------------------------
// Fixtures

const rq = buildAssociateRQ({
  callingAeTitle: "STORESCU",
  calledAeTitle: "ANY-SCP",
  presentationContexts: defaultContexts(DEFAULT_TRANSFER_SYNTAXES),
  maxPduLength: 16382,
});
const rqBytes = encodePdu(rq);

const SOP_CLASS = "1.2.840.10008.5.1.4.1.1.2";
const SOP_INSTANCE = "2.25.176020146170955700000335627271234567890.1000005";
const storeRq = {
  kind: "C-STORE-RQ",
  messageId: 4242,
  affectedSopClassUid: SOP_CLASS,
  affectedSopInstanceUid: SOP_INSTANCE,
  priority: 2,
} as const;
const storeRqBytes = encodeCommand(storeRq, true);
const storeRsp = {
  kind: "C-STORE-RSP",
  messageIdBeingRespondedTo: 4242,
  affectedSopClassUid: SOP_CLASS,
  affectedSopInstanceUid: SOP_INSTANCE,
  status: 0,
} as const;
const storeRspBytes = encodeCommand(storeRsp);

const pdataPdu: PDataTF = {
  type: PduType.PData,
  pdvs: [{ contextId: 69, isCommand: false, isLast: false, data: new Uint8Array(16372) }],
};
const pdataBytes = encodePdu(pdataPdu);

const dir = Deno.makeTempDirSync({ prefix: "storescu-codec-bench-" });
const { paths } = await writeCtSeries(dir, 1);
const ctPath = paths[0];
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // already gone
  }
});

// ---------------------------------------------------------------------------------------------
// Benchmarks

Deno.bench({
  name: `encode A-ASSOCIATE-RQ, ${rq.presentationContexts.length} contexts (${rqBytes.length} B)`,
  group: "associate",
  baseline: true,
  fn() {
    encodePdu(rq);
  },
});

Deno.bench({
  name: "decode A-ASSOCIATE-RQ, 120 contexts",
  group: "associate",
  fn() {
    decodePdu(rqBytes);
  },
});

Deno.bench({
  name: `encode C-STORE-RQ command set (${storeRqBytes.length} B)`,
  group: "dimse",
  baseline: true,
  fn() {
    encodeCommand(storeRq, true);
  },
});

Deno.bench({
  name: "decode C-STORE-RQ command set",
  group: "dimse",
  fn() {
    decodeCommand(storeRqBytes);
  },
});

Deno.bench({
  name: `encode C-STORE-RSP command set (${storeRspBytes.length} B)`,
  group: "dimse",
  fn() {
    encodeCommand(storeRsp);
  },
});

Deno.bench({
  name: "decode C-STORE-RSP command set",
  group: "dimse",
  fn() {
    decodeCommand(storeRspBytes);
  },
});

Deno.bench({
  name: `encode P-DATA-TF, one 16 KB PDV (${pdataBytes.length} B)`,
  group: "pdata",
  baseline: true,
  fn() {
    encodePdu(pdataPdu);
  },
});

Deno.bench({
  name: "decode P-DATA-TF, one 16 KB PDV",
  group: "pdata",
  fn() {
    decodePdu(pdataBytes);
  },
});

Deno.bench({
  name: "readDicomFileInfo, 0.5 MB CT file (page cache)",
  group: "part10",
  baseline: true,
  async fn() {
    await readDicomFileInfo(ctPath);
  },
});
