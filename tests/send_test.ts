/**
 * `storeFiles()` end to end against our own SCP (lib/scp.ts, in-process) and against raw
 * peers that misbehave on purpose: what the SCP receives, what is proposed, and one honest
 * result per file for rejections, failure/warning statuses, timeouts, aborts and PDU limits.
 */
import assert from "node:assert/strict";
import { type FileResult, storeFiles, type StoreOptions } from "../lib/send.ts";
import { type Level, Logger, LogHandlers } from "../lib/log.ts";
import { ALL_TRANSFER_SYNTAXES, startStorageScp } from "../lib/scp.ts";
import { Association } from "../lib/association.ts";
import { negotiateAsAcceptor } from "../lib/acse.ts";
import { encodePdu, type Pdu, PduReader, PduType } from "../lib/pdu/mod.ts";
import { connectTcp } from "../lib/connect.ts";
import { type Transport, wrapConn } from "../lib/transport.ts";
import { encodeCommand } from "../lib/dimse/messages.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from "../lib/uids.ts";
import { exitCodeFor } from "../cli.ts";
import { corpusDir, sharedDir } from "./peers.ts";
import { concatBytes } from "../lib/bytes.ts";

const TF = `${corpusDir}/pydicom/test_files`;
const CT = `${TF}/CT_small.dcm`; // CT, Explicit VR LE
const MR = `${TF}/MR_small.dcm`; // MR, Explicit VR LE
const MR_IMPLICIT = `${TF}/MR_small_implicit.dcm`; // MR, Implicit VR LE
const RTPLAN = `${TF}/rtplan.dcm`; // RT Plan, Implicit VR LE
const CT_IMPLICIT = `${corpusDir}/variants/ct_small_implicit_le.dcm`;
const CT_RLE = `${corpusDir}/variants/ct_small_rle.dcm`;
const CT_UID = "1.2.840.10008.5.1.4.1.1.2";
const MR_UID = "1.2.840.10008.5.1.4.1.1.4";
const RLE = "1.2.840.10008.1.2.5";

/** A Logger that keeps lines, plus the handlers storeFiles wants. */
function logged(level: Level = "info") {
  const lines: string[] = [];
  const handlers = new LogHandlers(new Logger(level, (l) => lines.push(l)));
  return {
    lines,
    options: {
      onEvent: handlers.onStoreEvent,
      associationListener: handlers.onAssociationEvent,
    } satisfies Partial<StoreOptions>,
  };
}

/** The file's data set bytes as stored (after preamble and meta). */
async function storedDataset(path: string): Promise<Uint8Array> {
  const info = await readDicomFileInfo(path);
  return (await Deno.readFile(path)).subarray(info.datasetOffset);
}

function fast(port: number, paths: string[], extra: Partial<StoreOptions> = {}): StoreOptions {
  return {
    address: "127.0.0.1",
    port,
    paths,
    timeouts: { acse: 2, dimse: 2, network: 2 },
    ...extra,
  };
}

function outcomes(results: FileResult[]): string[] {
  return results.map((r) => r.outcome);
}

// ---------------------------------------------------------------------------------------------
// Raw peers

interface RawPeer {
  port: number;
  /** Resolves with whatever the behaviour returned, after the connection is closed. */
  done: Promise<Pdu[]>;
}

/**
 * A one-connection peer. `behave` gets the connection and a PDU reader, and returns the PDUs it
 * saw; the listener closes after the first connection.
 */
function rawPeer(
  behave: (conn: Deno.Conn, reader: PduReader) => Promise<Pdu[]>,
): RawPeer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    try {
      return await behave(conn, new PduReader(conn, { maxPduLength: 0 }));
    } finally {
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  })();
  return { port, done };
}

/** Reads PDUs until EOF (or an error), returning them. */
async function readAll(reader: PduReader, into: Pdu[] = []): Promise<Pdu[]> {
  for (;;) {
    let pdu: Pdu | null;
    try {
      pdu = await reader.read();
    } catch {
      return into;
    }
    if (pdu === null) return into;
    into.push(pdu);
  }
}

/** Reads the RQ and accepts it (uncompressed TS, our max 16382); returns the RQ. */
async function acceptRaw(conn: Deno.Conn, reader: PduReader): Promise<Pdu> {
  const rq = await reader.read();
  assert.ok(rq && rq.type === PduType.AssociateRQ);
  const ac = negotiateAsAcceptor(rq, {
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
    maxPduLength: 16382,
  });
  await conn.write(encodePdu(ac));
  return rq;
}

/** Reads P-DATA PDUs until the last fragment of a data set; returns them. */
async function readUntilDataSetEnd(reader: PduReader): Promise<Pdu[]> {
  const seen: Pdu[] = [];
  for (;;) {
    const pdu = await reader.read();
    assert.ok(pdu, "connection closed before the data set ended");
    seen.push(pdu);
    if (pdu.type === PduType.PData && pdu.pdvs.some((v) => !v.isCommand && v.isLast)) return seen;
  }
}

// ---------------------------------------------------------------------------------------------
// Default mode and what the SCP sees

Deno.test("storeFiles: default mode stores files byte-identical when the TS matches", async () => {
  const scp = startStorageScp();
  try {
    const report = await storeFiles(fast(scp.port, [MR, CT]));
    assert.deepEqual(report.counts, {
      success: 2,
      warning: 0,
      failure: 0,
      "not-sent": 0,
      skipped: 0,
    });
    assert.equal(report.associations, 1);
    assert.equal(report.noAssociation, false);
    assert.equal(exitCodeFor(report), 0);
    // Sent in sorted order, message IDs from 1.
    assert.deepEqual(report.results.map((r) => r.path), [CT, MR]);
    assert.deepEqual(scp.received.map((o) => [o.sopClassUid, o.messageId]), [
      [CT_UID, 1],
      [MR_UID, 2],
    ]);
    assert.equal(scp.received[0].contextId, 69);
    for (const [i, path] of [CT, MR].entries()) {
      const got = scp.received[i];
      const info = await readDicomFileInfo(path);
      assert.equal(got.transferSyntaxUid, EXPLICIT_VR_LE);
      assert.equal(got.sopInstanceUid, info.sopInstanceUid);
      assert.equal(got.callingAeTitle, "STORESCU");
      assert.deepEqual(got.dataSet, await storedDataset(path), `${path} data set differs`);
      const r = report.results[i];
      assert.equal(r.sentTransferSyntaxUid, EXPLICIT_VR_LE);
      assert.equal(r.transferSyntaxUid, EXPLICIT_VR_LE);
      assert.equal(r.status, 0);
      assert.equal(r.bytes, got.length);
    }
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: an Implicit file goes unchanged to an SCP that prefers Implicit", async () => {
  const scp = startStorageScp({
    transferSyntaxes: [IMPLICIT_VR_LE, EXPLICIT_VR_LE],
    preferOwnOrder: true,
  });
  try {
    const report = await storeFiles(fast(scp.port, [CT_IMPLICIT, CT]));
    assert.deepEqual(outcomes(report.results), ["success", "success"]);
    const [a, b] = scp.received; // CT_small.dcm sorts first (pydicom/ < variants/)
    assert.equal(a.transferSyntaxUid, IMPLICIT_VR_LE);
    assert.equal(b.transferSyntaxUid, IMPLICIT_VR_LE);
    assert.deepEqual(b.dataSet, await storedDataset(CT_IMPLICIT));
    // The Explicit file was converted on the fly; same elements, implicit encoding.
    assert.notDeepEqual(a.dataSet, await storedDataset(CT));
    assert.equal(report.results[0].sentTransferSyntaxUid, IMPLICIT_VR_LE);
    assert.equal(report.results[0].transferSyntaxUid, EXPLICIT_VR_LE);
  } finally {
    await scp.close();
  }
});

function readContextsTable(text: string): [number, string][] {
  return text.split("\n")
    .map((l) => l.match(/^\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => [Number(m[1]), m[2]]);
}

Deno.test("storeFiles: the SCP sees the reference's 120 default contexts, ids 1..239", async () => {
  const table = readContextsTable(
    await Deno.readTextFile(`${sharedDir}/reference/captures/default_contexts_table.md`),
  );
  assert.equal(table.length, 120);
  const scp = startStorageScp();
  try {
    await storeFiles(fast(scp.port, [CT]));
    assert.equal(scp.requests.length, 1);
    const rq = scp.requests[0];
    assert.deepEqual(rq.presentationContexts.map((c) => [c.id, c.abstractSyntax]), table);
    for (const c of rq.presentationContexts) {
      assert.deepEqual(c.transferSyntaxes, [
        EXPLICIT_VR_LE,
        IMPLICIT_VR_LE,
        DEFLATED_EXPLICIT_VR_LE,
        EXPLICIT_VR_BE,
      ]);
    }
    assert.equal(rq.callingAeTitle, "STORESCU");
    assert.equal(rq.calledAeTitle, "ANY-SCP");
    assert.equal(rq.userInfo.maxLength, 16382);
    assert.ok(rq.userInfo.implementationClassUid);
    assert.ok(rq.userInfo.implementationVersionName);
    assert.equal(rq.userInfo.asyncOperationsWindow, undefined);
    assert.deepEqual(rq.userInfo.roleSelections, []);
    assert.deepEqual(rq.userInfo.extendedNegotiation, []);
    assert.equal(rq.userInfo.userIdentity, undefined);
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: AE titles and -pdu reach the SCP", async () => {
  const scp = startStorageScp({ aeTitle: "ARCHIVE", allowedCallingAeTitles: ["MODALITY"] });
  try {
    const report = await storeFiles(fast(scp.port, [CT], {
      callingAeTitle: "MODALITY",
      calledAeTitle: "ARCHIVE",
      maxPduLength: 0,
    }));
    assert.equal(report.counts.success, 1);
    assert.equal(scp.requests[0].callingAeTitle, "MODALITY");
    assert.equal(scp.requests[0].calledAeTitle, "ARCHIVE");
    assert.equal(scp.requests[0].userInfo.maxLength, 0);
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: -xe/-xi/-xb propose 120 contexts with the one TS and convert", async () => {
  for (const ts of [EXPLICIT_VR_LE, IMPLICIT_VR_LE, EXPLICIT_VR_BE]) {
    const scp = startStorageScp();
    try {
      const report = await storeFiles(fast(scp.port, [CT, RTPLAN], { transferSyntaxes: [ts] }));
      assert.deepEqual(outcomes(report.results), ["success", "success"], ts);
      const cx = scp.requests[0].presentationContexts;
      assert.equal(cx.length, 120);
      assert.deepEqual(cx.map((c) => c.id), Array.from({ length: 120 }, (_, i) => 2 * i + 1));
      for (const c of cx) assert.deepEqual(c.transferSyntaxes, [ts]);
      assert.deepEqual(scp.received.map((o) => o.transferSyntaxUid), [ts, ts]);
      assert.deepEqual(report.results.map((r) => r.sentTransferSyntaxUid), [ts, ts]);
    } finally {
      await scp.close();
    }
  }
});

Deno.test("storeFiles: requiredContexts proposes one context per (SOP class, TS) pair", async () => {
  const scp = startStorageScp();
  try {
    const files = [CT_IMPLICIT, MR_IMPLICIT, MR, CT, CT]; // CT twice: de-duplicated
    const report = await storeFiles(fast(scp.port, files, { requiredContexts: true }));
    // Sorted: CT_small, MR_small, MR_small_implicit, (variants/)ct_small_implicit_le
    assert.deepEqual(report.results.map((r) => r.path), [CT, MR, MR_IMPLICIT, CT_IMPLICIT]);
    assert.deepEqual(outcomes(report.results), ["success", "success", "success", "success"]);
    assert.deepEqual(
      scp.requests[0].presentationContexts.map((c) => [c.id, c.abstractSyntax, c.transferSyntaxes]),
      [
        [1, CT_UID, [EXPLICIT_VR_LE]],
        [3, CT_UID, [IMPLICIT_VR_LE]],
        [5, MR_UID, [EXPLICIT_VR_LE]],
        [7, MR_UID, [IMPLICIT_VR_LE]],
      ],
    );
    assert.deepEqual(scp.received.map((o) => o.contextId), [1, 5, 7, 3]);
    // Every file went on its own TS, unchanged.
    for (const [i, path] of [CT, MR, MR_IMPLICIT, CT_IMPLICIT].entries()) {
      assert.deepEqual(scp.received[i].dataSet, await storedDataset(path), path);
    }
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: default mode opens an extra association for a compressed file", async () => {
  const scp = startStorageScp({ transferSyntaxes: ALL_TRANSFER_SYNTAXES });
  try {
    const report = await storeFiles(fast(scp.port, [CT, CT_RLE]));
    assert.deepEqual(outcomes(report.results), ["success", "success"]);
    assert.equal(report.associations, 2);
    assert.equal(scp.requests[0].presentationContexts.length, 120);
    // Its own syntax, and in another context what it could be decoded to.
    assert.deepEqual(
      scp.requests[1].presentationContexts.map((c) => [c.id, c.abstractSyntax, c.transferSyntaxes]),
      [[1, CT_UID, [RLE]], [3, CT_UID, [EXPLICIT_VR_LE, IMPLICIT_VR_LE]]],
    );
    // Both accepted: sent in its own syntax, unchanged.
    assert.deepEqual(scp.received.map((o) => o.transferSyntaxUid), [EXPLICIT_VR_LE, RLE]);
    assert.deepEqual(scp.received[1].dataSet, await storedDataset(CT_RLE));
  } finally {
    await scp.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Rejection, statuses, no contexts

const REJECTIONS: [[number, number, number], string, string][] = [
  [[1, 1, 7], "Rejected Permanent, Source: Service User", "Called AE title not recognised"],
  [[1, 1, 1], "Rejected Permanent, Source: Service User", "No reason given"],
  [[1, 1, 2], "Rejected Permanent, Source: Service User", "Application context name not supported"],
  [[1, 1, 3], "Rejected Permanent, Source: Service User", "Calling AE title not recognised"],
  [[2, 1, 5], "Rejected Transient, Source: Service User", "Reserved"],
  [[2, 2, 1], "Rejected Transient, Source: Service Provider (ACSE)", "No reason given"],
  [
    [1, 2, 2],
    "Rejected Permanent, Source: Service Provider (ACSE)",
    "Protocol version not supported",
  ],
  [
    [2, 3, 1],
    "Rejected Transient, Source: Service Provider (Presentation)",
    "Temporary congestion",
  ],
  [
    [2, 3, 2],
    "Rejected Transient, Source: Service Provider (Presentation)",
    "Local limit exceeded",
  ],
];

Deno.test("storeFiles: a rejected association leaves every file not sent, with the reference's lines", async () => {
  for (const [[result, source, reason], resultText, reasonText] of REJECTIONS) {
    const scp = startStorageScp({ reject: { result, source, reason } });
    const log = logged("error");
    try {
      const report = await storeFiles(fast(scp.port, [CT, MR], log.options));
      assert.deepEqual(outcomes(report.results), ["not-sent", "not-sent"]);
      assert.equal(report.noAssociation, true);
      assert.equal(report.associations, 0);
      assert.equal(exitCodeFor(report), 1);
      assert.deepEqual(log.lines.slice(0, 3), [
        "E: Association Rejected",
        `E: Result: ${resultText}`,
        `E: Reason: ${reasonText}`,
      ]);
      for (const r of report.results) {
        assert.match(r.reason!, /^association rejected \(/);
        assert.match(r.reason!, new RegExp(`source ${source}, reason ${reason}\\)`));
      }
      assert.deepEqual(log.lines.slice(3), [
        `E: Not sent: ${CT}: ${report.results[0].reason}`,
        `E: Not sent: ${MR}: ${report.results[1].reason}`,
      ]);
      assert.equal(scp.received.length, 0);
    } finally {
      await scp.close();
    }
  }
});

Deno.test("storeFiles: a called AE title the SCP does not know is rejected (reason 7)", async () => {
  const scp = startStorageScp({ aeTitle: "ARCHIVE" });
  const log = logged("error");
  try {
    const report = await storeFiles(fast(scp.port, [CT], log.options));
    assert.equal(report.counts["not-sent"], 1);
    assert.deepEqual(log.lines.slice(0, 3), [
      "E: Association Rejected",
      "E: Result: Rejected Permanent, Source: Service User",
      "E: Reason: Called AE title not recognised",
    ]);
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: failure status 0xA700 → failure, exit 3; later files still sent", async () => {
  const scp = startStorageScp({ status: (rq) => rq.affectedSopClassUid === CT_UID ? 0xA700 : 0 });
  const log = logged("info");
  try {
    const report = await storeFiles(fast(scp.port, [CT, MR], log.options));
    assert.deepEqual(outcomes(report.results), ["failure", "success"]);
    assert.equal(report.results[0].status, 0xA700);
    assert.equal(report.results[0].reason, "Failure status 0xA700 - Refused: Out of Resources");
    assert.equal(exitCodeFor(report), 3);
    assert.ok(log.lines.includes("I: Received Store Response (Status: 0xA700 - Failure)"));
    assert.ok(
      log.lines.includes(
        `E: Store failed: ${CT}: Failure status 0xA700 - Refused: Out of Resources`,
      ),
    );
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: warning status 0xB000 → warning outcome, exit 0", async () => {
  const scp = startStorageScp({ status: 0xB000 });
  const log = logged("warn");
  try {
    const report = await storeFiles(fast(scp.port, [CT], log.options));
    assert.deepEqual(outcomes(report.results), ["warning"]);
    assert.equal(report.results[0].status, 0xB000);
    assert.equal(exitCodeFor(report), 0);
    assert.deepEqual(log.lines, [
      `W: Stored with warning: ${CT}: Warning status 0xB000 - Coercion of data elements`,
    ]);
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: other statuses: 0xC123 and 0xFF00 are not stored", async () => {
  for (const status of [0xC123, 0xFF00, 0x1234]) {
    const scp = startStorageScp({ status });
    try {
      const report = await storeFiles(fast(scp.port, [CT]));
      assert.deepEqual(outcomes(report.results), ["failure"], status.toString(16));
      assert.equal(exitCodeFor(report), 3);
    } finally {
      await scp.close();
    }
  }
});

Deno.test("storeFiles: an SCP that accepts no context → 'No accepted presentation contexts'", async () => {
  const scp = startStorageScp({ sopClasses: [] });
  const log = logged("error");
  try {
    const report = await storeFiles(fast(scp.port, [CT, MR], log.options));
    assert.deepEqual(outcomes(report.results), ["not-sent", "not-sent"]);
    assert.equal(exitCodeFor(report), 1);
    assert.equal(log.lines[0], "E: No accepted presentation contexts");
    assert.ok(log.lines[1].startsWith(`E: Not sent: ${CT}: `), log.lines[1]);
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: a file whose SOP class was not accepted fails, the others are stored", async () => {
  const scp = startStorageScp({ sopClasses: [CT_UID] });
  const log = logged("error");
  try {
    const report = await storeFiles(fast(scp.port, [CT, MR], log.options));
    assert.deepEqual(outcomes(report.results), ["success", "not-sent"]);
    assert.equal(exitCodeFor(report), 3);
    assert.equal(
      log.lines[0],
      "E: No presentation context for 'MR Image Storage' has been accepted by the peer with " +
        "'Explicit VR Little Endian' transfer syntax for the SCU role",
    );
    assert.match(log.lines[1], new RegExp(`^E: Not sent: ${MR.replaceAll(".", "\\.")}: `));
  } finally {
    await scp.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Timeouts and aborts

Deno.test("storeFiles: ACSE timeout → error line, A-ABORT sent, quick finish", async () => {
  const peer = rawPeer(async (_conn, reader) => await readAll(reader));
  const log = logged("info");
  const t0 = performance.now();
  const report = await storeFiles({
    address: "127.0.0.1",
    port: peer.port,
    paths: [CT, MR],
    timeouts: { acse: 0.5, dimse: 5, network: 5 },
    ...log.options,
  });
  const ms = performance.now() - t0;
  const seen = await peer.done;
  assert.ok(ms < 3000, `took ${ms} ms`);
  assert.deepEqual(outcomes(report.results), ["not-sent", "not-sent"]);
  assert.equal(exitCodeFor(report), 1);
  assert.deepEqual(seen.map((p) => p.type), [PduType.AssociateRQ, PduType.Abort]);
  assert.deepEqual(seen[1], { type: PduType.Abort, source: 0, reason: 0 });
  assert.deepEqual(log.lines.slice(0, 3), [
    "I: Requesting Association",
    "E: ACSE timeout reached while waiting for response to association request",
    "I: Aborting Association",
  ]);
  assert.ok(log.lines[3].startsWith(`E: Not sent: ${CT}: `), log.lines[3]);
  assert.match(log.lines[3], /ACSE timeout/);
});

Deno.test("storeFiles: ACSE timeout -d lines match the reference capture", async () => {
  const capture = (await Deno.readTextFile(
    `${sharedDir}/reference/captures/acse_timeout_debug.txt`,
  )).split("\n");
  const at = capture.indexOf(
    "E: ACSE timeout reached while waiting for response to association request",
  );
  assert.ok(at > 0);
  const want = capture.slice(at, at + 7);
  assert.equal(
    want.at(-1),
    "D: ============================= END A-ABORT PDU ==============================",
  );
  const peer = rawPeer(async (_conn, reader) => await readAll(reader));
  const log = logged("debug");
  await storeFiles({
    address: "127.0.0.1",
    port: peer.port,
    paths: [CT],
    timeouts: { acse: 0.3, dimse: 5, network: 5 },
    ...log.options,
  });
  await peer.done;
  const i = log.lines.indexOf(want[0]);
  assert.ok(i > 0, log.lines.join("\n"));
  assert.deepEqual(log.lines.slice(i, i + 7), want);
  // Before it: the A-ASSOCIATE-RQ dump's last line, as in the capture.
  assert.equal(log.lines[i - 1], capture[at - 1]);
});

Deno.test("storeFiles: DIMSE timeout → that file failed, later files not sent, no hang", async () => {
  const peer = rawPeer(async (conn, reader) => {
    await acceptRaw(conn, reader);
    const seen = await readUntilDataSetEnd(reader);
    return await readAll(reader, seen); // never answer
  });
  const log = logged("info");
  const t0 = performance.now();
  const report = await storeFiles({
    address: "127.0.0.1",
    port: peer.port,
    paths: [CT, MR, RTPLAN],
    timeouts: { acse: 5, dimse: 0.5, network: 5 },
    ...log.options,
  });
  const ms = performance.now() - t0;
  const seen = await peer.done;
  assert.ok(ms < 3000, `took ${ms} ms`);
  assert.deepEqual(outcomes(report.results), ["failure", "not-sent", "not-sent"]);
  assert.match(report.results[0].reason!, /DIMSE timeout/);
  assert.match(report.results[0].reason!, /storage not confirmed/);
  assert.equal(exitCodeFor(report), 3);
  assert.deepEqual(seen.at(-1), { type: PduType.Abort, source: 0, reason: 0 });
  assert.ok(log.lines.includes("E: DIMSE timeout reached while waiting for message response"));
  assert.ok(log.lines.includes("I: Aborting Association"));
  // The later files were never offered to the peer.
  assert.equal(log.lines.filter((l) => l.startsWith("I: Sending Store Request")).length, 1);
});

Deno.test("storeFiles: peer A-ABORT while we wait for the response", async () => {
  const peer = rawPeer(async (conn) => {
    const assoc = await Association.accept(
      wrapConn(conn),
      (rq) =>
        negotiateAsAcceptor(rq, {
          transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
          maxPduLength: 16382,
        }),
      { timeouts: { acse: 5, dimse: 5, network: 5 }, maxPduLength: 16382 },
    );
    assert.ok(assoc);
    const first = await assoc.receiveMessage();
    assert.equal(first.command.kind, "C-STORE-RQ");
    if (first.command.kind !== "C-STORE-RQ") throw new Error("unreachable");
    const rsp = {
      kind: "C-STORE-RSP",
      messageIdBeingRespondedTo: first.command.messageId,
      affectedSopClassUid: first.command.affectedSopClassUid,
      affectedSopInstanceUid: first.command.affectedSopInstanceUid,
      status: 0,
    } as const;
    await assoc.sendMessage(first.contextId, encodeCommand(rsp), rsp);
    await assoc.receiveMessage();
    await assoc.abort();
    return [];
  });
  const log = logged("info");
  const report = await storeFiles(fast(peer.port, [CT, MR, RTPLAN], log.options));
  await peer.done;
  assert.deepEqual(outcomes(report.results), ["success", "failure", "not-sent"]);
  assert.match(report.results[1].reason!, /^no C-STORE-RSP: association aborted/);
  assert.match(report.results[1].reason!, /storage not confirmed/);
  assert.equal(exitCodeFor(report), 3);
  assert.ok(log.lines.includes("I: Association Aborted"), log.lines.join("\n"));
  assert.ok(log.lines.some((l) => l.startsWith(`E: Store failed: ${MR}: `)));
  assert.ok(log.lines.some((l) => l.startsWith(`E: Not sent: ${RTPLAN}: `)));
});

Deno.test("storeFiles: peer A-ABORT in answer to the A-ASSOCIATE-RQ", async () => {
  const peer = rawPeer(async (conn, reader) => {
    await reader.read();
    await conn.write(encodePdu({ type: PduType.Abort, source: 0, reason: 0 }));
    return [];
  });
  const log = logged("error");
  const report = await storeFiles(fast(peer.port, [CT], log.options));
  await peer.done;
  assert.deepEqual(outcomes(report.results), ["not-sent"]);
  assert.equal(exitCodeFor(report), 1);
  assert.equal(log.lines[0], "E: Association Aborted");
});

// ---------------------------------------------------------------------------------------------
// PDU sizes

/** Splits a recorded byte stream into PDUs: [type, length field, body]. */
function splitPdus(bytes: Uint8Array): { type: number; length: number; body: Uint8Array }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let p = 0;
  while (p + 6 <= bytes.length) {
    const length = view.getUint32(p + 2, false);
    out.push({ type: bytes[p], length, body: bytes.subarray(p + 6, p + 6 + length) });
    p += 6 + length;
  }
  assert.equal(p, bytes.length, "stream ends inside a PDU");
  return out;
}

/** A connect() that records every byte we write. */
function recordingConnect(sink: Uint8Array[]): StoreOptions["connect"] {
  return async (o) => {
    const t = await connectTcp(o);
    const rec: Transport = {
      read: (p) => t.read(p),
      write: async (p) => {
        const n = await t.write(p);
        sink.push(p.slice(0, n));
        return n;
      },
      close: () => t.close(),
    };
    return rec;
  };
}

Deno.test("storeFiles: P-DATA PDUs never exceed the SCP's max PDU (4096), data intact", async () => {
  const scp = startStorageScp({ maxPduLength: 4096 });
  const written: Uint8Array[] = [];
  try {
    const report = await storeFiles(
      fast(scp.port, [CT, MR], { connect: recordingConnect(written) }),
    );
    assert.deepEqual(outcomes(report.results), ["success", "success"]);
    assert.deepEqual(scp.received[0].dataSet, await storedDataset(CT));
    assert.deepEqual(scp.received[1].dataSet, await storedDataset(MR));
    const pdata = splitPdus(concatBytes(written)).filter((p) => p.type === PduType.PData);
    assert.ok(pdata.length >= 12, `only ${pdata.length} P-DATA PDUs`);
    for (const p of pdata) {
      assert.ok(p.length <= 4096, `P-DATA PDU of ${p.length} bytes`);
      // One PDV per PDU: its item length is the PDU length minus the 4-byte length field.
      assert.equal(new DataView(p.body.buffer, p.body.byteOffset).getUint32(0), p.length - 4);
    }
    // Full-size fragments are used: the data set PDUs before the last are exactly 4096.
    const full = pdata.filter((p) => p.length === 4096).length;
    assert.ok(full >= 10, `${full} full-size PDUs`);
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: a peer with no maximum gets each part in one PDV", async () => {
  const scp = startStorageScp({ maxPduLength: 0 });
  const written: Uint8Array[] = [];
  try {
    const report = await storeFiles(fast(scp.port, [CT], { connect: recordingConnect(written) }));
    assert.deepEqual(outcomes(report.results), ["success"]);
    const pdata = splitPdus(concatBytes(written)).filter((p) => p.type === PduType.PData);
    const ds = await storedDataset(CT);
    assert.deepEqual(pdata.map((p) => p.body[5]), [0x03, 0x02]);
    assert.equal(pdata[1].length, ds.length + 6);
    assert.deepEqual(scp.received[0].dataSet, ds);
  } finally {
    await scp.close();
  }
});

Deno.test("storeFiles: a P-DATA PDU over our -pdu limit → we abort, file failed, no allocation", async () => {
  const peer = rawPeer(async (conn, reader) => {
    await acceptRaw(conn, reader);
    const seen = await readUntilDataSetEnd(reader);
    // A P-DATA-TF header declaring ~4 GB, and only a few body bytes.
    await conn.write(new Uint8Array([0x04, 0, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10]));
    return await readAll(reader, seen);
  });
  const log = logged("info");
  const t0 = performance.now();
  const report = await storeFiles(
    fast(peer.port, [CT, MR], { maxPduLength: 16382, ...log.options }),
  );
  const ms = performance.now() - t0;
  const seen = await peer.done;
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.deepEqual(outcomes(report.results), ["failure", "not-sent"]);
  assert.equal(exitCodeFor(report), 3);
  const abort = seen.at(-1);
  assert.ok(abort && abort.type === PduType.Abort, JSON.stringify(abort));
  assert.equal(abort.source, 2);
  assert.ok(
    log.lines.some((l) => /^E: Received an invalid PDU from the peer: .*limit of 16382/.test(l)),
    log.lines.join("\n"),
  );
  assert.ok(log.lines.includes("I: Aborting Association"));
});

Deno.test("storeFiles leaves nothing running: a script that sends and returns exits at once", async () => {
  // Default timeouts (30 s) are armed and cancelled on the way; none may keep a process alive.
  const scp = startStorageScp();
  try {
    const send = new URL("../lib/send.ts", import.meta.url).href;
    const testdata = new URL("../testdata/", import.meta.url).pathname;
    const t0 = performance.now();
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { storeFiles } from "${send}";
         const r = await storeFiles({ address: "127.0.0.1", port: ${scp.port}, paths: ["${testdata}"] });
         console.log(r.counts.success);`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ms = performance.now() - t0;
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    assert.equal(new TextDecoder().decode(r.stdout).trim(), "6");
    assert.ok(ms < 10_000, `the script lived ${ms} ms`);
  } finally {
    await scp.close();
  }
});
