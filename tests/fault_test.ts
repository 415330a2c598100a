/**
 * Fault injection: `storeFiles` (in process, with the real log handlers) and the CLI (as a
 * subprocess) against a peer that refuses, rejects, aborts, goes silent, breaks the
 * connection, answers with odd statuses or sends malformed PDUs. Every run must end within
 * the relevant timeout plus a margin, give each file one outcome with a reason, log the
 * reference's lines, and exit with our documented code. Sanitizers stay on.
 */

import assert from "node:assert/strict";
import type { StoreOptions } from "../lib/send.ts";
import type { Level } from "../lib/log.ts";
import { encodePdu, type Pdu, PduType } from "../lib/pdu/mod.ts";
import { runCli } from "./peers.ts";
import {
  concat,
  deadPort,
  type FaultPeer,
  faults,
  firstOnly,
  type LoggedRun,
  makeFiles,
  type PeerScript,
  sendLogged,
  startFaultPeer,
} from "./fault_peer.ts";

/** Timeouts used everywhere (seconds). */
const T = 0.5;
/** Slack on top of a timeout for scheduling, abort writes and teardown (ms). */
const MARGIN = 1500;
/** Upper bound for runs that involve no timeout at all (ms). */
const QUICK = 1500;

type Run = LoggedRun;

function send(
  port: number,
  paths: string[],
  extra: Partial<StoreOptions> = {},
  level: Level = "error",
): Promise<Run> {
  return sendLogged(port, paths, T, extra, level);
}

/** Runs `body` with a fault peer and 3 small files; always stops the peer and removes files. */
async function withPeer(
  script: PeerScript,
  body: (peer: FaultPeer, paths: string[]) => Promise<void>,
  files = 3,
  pixelBytes?: number,
): Promise<void> {
  const { dir, paths } = await makeFiles(files, { pixelBytes });
  const peer = startFaultPeer(script);
  try {
    await body(peer, paths);
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
  assert.deepEqual(peer.scriptErrors, [], "the fault peer script itself failed");
}

function outcomes(r: Run): string[] {
  return r.report.results.map((x) => x.outcome);
}

/** Every non-stored file has its own E: line naming it (default level). */
function assertAccounted(r: Run): void {
  for (const res of r.report.results) {
    if (res.outcome === "success" || res.outcome === "warning") continue;
    const word = res.outcome === "failure" ? "Store failed" : "Not sent";
    const line = `E: ${word}: ${res.path}: ${res.reason}`;
    assert.ok(r.lines.includes(line), `missing line ${line}\n${r.lines.join("\n")}`);
    assert.ok(res.reason && res.reason.length > 0, `no reason for ${res.path}`);
  }
  assert.match(r.lines[r.lines.length - 1], /^Summary: \d+ files?: /);
}

/** The A-ABORTs the peer read, once its scripts have seen the end of their connections. */
async function abortsSeen(peer: FaultPeer): Promise<Pdu[]> {
  await peer.idle();
  return peer.connections.flatMap((c) => c.received.filter((p) => p.type === PduType.Abort));
}

const NOT_SENT_ALL = "Summary: 3 files: 0 success, 0 warning, 0 failed, 3 not sent";

// --- Association establishment ---------------------------------------------------------------

Deno.test("fault: nothing listening (connection refused)", async () => {
  const { dir, paths } = await makeFiles(3);
  try {
    const port = deadPort();
    const r = await send(port, paths);
    assert.deepEqual(r.lines.slice(0, 2), [
      "E: Association request failed: unable to connect to remote",
      `E: TCP Initialisation Error: Connection refused by 127.0.0.1:${port} (nothing is listening on that port)`,
    ]);
    assert.deepEqual(outcomes(r), ["not-sent", "not-sent", "not-sent"]);
    for (const x of r.report.results) assert.match(x.reason!, /unable to connect/);
    assertAccounted(r);
    assert.equal(r.lines.at(-1), NOT_SENT_ALL);
    assert.equal(r.code, 1);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fault: peer closes the TCP connection at once", async () => {
  await withPeer(faults.closeImmediately(), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.match(r.lines[0], /^E: Connection closed (while|by)/);
    assert.deepEqual(outcomes(r), ["not-sent", "not-sent", "not-sent"]);
    assertAccounted(r);
    assert.equal(r.code, 1);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
  });
});

const REJECTIONS: [number, number, number, string[]][] = [
  [1, 1, 7, [
    "E: Association Rejected",
    "E: Result: Rejected Permanent, Source: Service User",
    "E: Reason: Called AE title not recognised",
  ]],
  [1, 1, 3, [
    "E: Association Rejected",
    "E: Result: Rejected Permanent, Source: Service User",
    "E: Reason: Calling AE title not recognised",
  ]],
  [2, 2, 2, [
    "E: Association Rejected",
    "E: Result: Rejected Transient, Source: Service Provider (ACSE)",
    "E: Reason: Protocol version not supported",
  ]],
  [2, 3, 1, [
    "E: Association Rejected",
    "E: Result: Rejected Transient, Source: Service Provider (Presentation)",
    "E: Reason: Temporary congestion",
  ]],
  [1, 3, 2, [
    "E: Association Rejected",
    "E: Result: Rejected Permanent, Source: Service Provider (Presentation)",
    "E: Reason: Local limit exceeded",
  ]],
];

for (const [result, source, reason, expected] of REJECTIONS) {
  Deno.test(`fault: A-ASSOCIATE-RJ result ${result} source ${source} reason ${reason}`, async () => {
    await withPeer(faults.reject(result, source, reason), async (peer, paths) => {
      const r = await send(peer.port, paths);
      assert.deepEqual(r.lines.slice(0, 3), expected);
      assert.deepEqual(outcomes(r), ["not-sent", "not-sent", "not-sent"]);
      for (const x of r.report.results) assert.match(x.reason!, /association rejected/);
      assertAccounted(r);
      assert.equal(r.lines.at(-1), NOT_SENT_ALL);
      assert.equal(r.code, 1);
      assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
    });
  });
}

Deno.test("fault: A-ASSOCIATE-RJ with out-of-range values is still reported", async () => {
  await withPeer(faults.reject(9, 9, 9), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(r.lines[0], "E: Association Rejected");
    assert.match(r.lines[1], /^E: Result: .+, Source: .+/);
    assert.match(r.lines[2], /^E: Reason: .+/);
    assertAccounted(r);
    assert.equal(r.code, 1);
  });
});

Deno.test("fault: A-ABORT in answer to the A-ASSOCIATE-RQ", async () => {
  await withPeer(faults.abortOnRq(2, 0), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(r.lines[0], "E: Association Aborted");
    assert.deepEqual(outcomes(r), ["not-sent", "not-sent", "not-sent"]);
    for (const x of r.report.results) assert.match(x.reason!, /aborted/);
    assertAccounted(r);
    assert.equal(r.code, 1);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
  });
});

Deno.test("fault: A-ASSOCIATE-AC accepting no presentation context", async () => {
  await withPeer(faults.acceptNone(), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(r.lines[0], "E: No accepted presentation contexts");
    assert.deepEqual(outcomes(r), ["not-sent", "not-sent", "not-sent"]);
    for (const x of r.report.results) {
      assert.match(x.reason!, /refused (the context|all \d+ contexts)|no accepted/);
    }
    assertAccounted(r);
    assert.equal(r.code, 1);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
    assert.equal((await abortsSeen(peer)).length, 1, "the association is aborted");
  });
});

Deno.test("fault: no answer to the A-ASSOCIATE-RQ (ACSE timeout)", async () => {
  await withPeer(faults.silent(), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(
      r.lines[0],
      "E: ACSE timeout reached while waiting for response to association request",
    );
    assert.deepEqual(outcomes(r), ["not-sent", "not-sent", "not-sent"]);
    for (const x of r.report.results) assert.match(x.reason!, /ACSE timeout/);
    assertAccounted(r);
    assert.equal(r.code, 1);
    assert.ok(r.ms >= T * 1000 - 50 && r.ms < T * 1000 + MARGIN, `took ${r.ms} ms`);
    const aborts = await abortsSeen(peer);
    assert.equal(aborts.length, 1, "an A-ABORT goes out on ACSE timeout");
    assert.deepEqual(aborts[0], { type: PduType.Abort, source: 0, reason: 0 });
  });
});

Deno.test("fault: A-ASSOCIATE-AC trickled one byte per write is reassembled", async () => {
  await withPeer(faults.trickleAc(1), async (peer, paths) => {
    const r = await send(peer.port, paths, {
      requiredContexts: true,
      timeouts: { acse: 10, dimse: T, network: T },
    });
    assert.deepEqual(outcomes(r), ["success", "success", "success"]);
    assert.deepEqual(r.lines, ["Summary: 3 files: 3 success, 0 warning, 0 failed, 0 not sent"]);
    assert.equal(r.code, 0);
  });
});

Deno.test("fault: an AC trickled slower than the ACSE timeout times out (total, not per byte)", async () => {
  await withPeer(faults.trickleAc(20), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(
      r.lines[0],
      "E: ACSE timeout reached while waiting for response to association request",
    );
    assert.equal(r.code, 1);
    assert.ok(r.ms < T * 1000 + MARGIN, `took ${r.ms} ms`);
  });
});

// --- Malformed answers to the A-ASSOCIATE-RQ -----------------------------------------------

function header(type: number, length: number, body: number[] = []): Uint8Array {
  const b = new Uint8Array(6 + body.length);
  b[0] = type;
  new DataView(b.buffer).setUint32(2, length >>> 0);
  b.set(body, 6);
  return b;
}

/** An AC whose first item (application context) claims more bytes than the PDU holds. */
function acWithOverrunningItem(): Uint8Array {
  const body = new Uint8Array(68 + 4 + 5);
  new DataView(body.buffer).setUint16(0, 1);
  body[68] = 0x10;
  new DataView(body.buffer).setUint16(70, 200); // item length beyond the PDU
  return concat([header(0x02, body.length), body]);
}

const MALFORMED_AC: [string, Uint8Array][] = [
  ["unknown PDU type 0x09", header(0x09, 4, [0, 0, 0, 0])],
  ["unknown PDU type 0x00", header(0x00, 0)],
  ["AC with an item overrunning the PDU", acWithOverrunningItem()],
  ["AC too short for its fixed fields", header(0x02, 10, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0])],
  ["AC declaring 2 MiB (beyond our limit)", header(0x02, 2 * 1024 * 1024)],
  ["AC declaring 0xFFFFFFFF bytes", header(0x02, 0xffffffff)],
  ["RJ with a wrong length", header(0x03, 2, [0, 1])],
  ["P-DATA-TF instead of an AC", encodePdu({ type: PduType.PData, pdvs: [] })],
  ["A-RELEASE-RP instead of an AC", encodePdu({ type: PduType.ReleaseRP })],
];

for (const [name, bytes] of MALFORMED_AC) {
  Deno.test(`fault: answer to the RQ is malformed: ${name}`, async () => {
    await withPeer(faults.answerRaw(bytes), async (peer, paths) => {
      const r = await send(peer.port, paths);
      assert.ok(
        r.lines.includes("E: Received an invalid A-ASSOCIATE response from the peer"),
        r.lines.join("\n"),
      );
      assert.deepEqual(outcomes(r), ["not-sent", "not-sent", "not-sent"]);
      assertAccounted(r);
      assert.equal(r.code, 1);
      assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
      // PS3.8 AA-8: an invalid PDU is answered with an A-ABORT from the service provider.
      const aborts = await abortsSeen(peer);
      assert.equal(aborts.length, 1, "A-ABORT sent");
      assert.equal((aborts[0] as { source: number }).source, 2);
    });
  });
}

Deno.test("fault: answer to the RQ cut short, then silence: ACSE timeout", async () => {
  await withPeer(faults.answerRaw(header(0x02, 300, [0, 1])), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(
      r.lines[0],
      "E: ACSE timeout reached while waiting for response to association request",
    );
    assert.equal(r.code, 1);
    assert.ok(r.ms < T * 1000 + MARGIN, `took ${r.ms} ms`);
  });
});

Deno.test("fault: answer to the RQ cut short, then close", async () => {
  const script: PeerScript = async (c) => {
    if (!(await c.associate())) return;
    await c.sendRaw(header(0x02, 300, [0, 1]));
    c.close();
  };
  await withPeer(script, async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.match(r.lines[0], /^E: (Received an invalid A-ASSOCIATE response|Connection closed)/);
    assertAccounted(r);
    assert.equal(r.code, 1);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
  });
});

// --- During the transfer ---------------------------------------------------------------------
//
// After a mid-run fault the association is gone; the files it never tried go over a fresh
// association (the peer scripts fault only on the first connection, see `firstOnly`), so the
// faulted file fails and the others are stored. Two connections prove the fresh start.

/** Files big enough (4 MiB each) that the peer's action lands while we are still writing. */
const BIG = 4 * 1024 * 1024;
/** More than loopback socket buffers hold for a peer that doesn't read. */
const HUGE = 16 * 1024 * 1024;

/** The faulted first file failed with `reason`; the others went over a second association. */
function assertRecovered(r: Run, peer: FaultPeer, reason: RegExp): void {
  assert.deepEqual(outcomes(r), ["failure", "success", "success"], r.lines.join("\n"));
  assert.match(r.report.results[0].reason!, reason);
  assert.match(r.report.results[0].reason!, /not confirmed|sending failed/);
  assertAccounted(r);
  assert.equal(r.lines.at(-1), "Summary: 3 files: 2 success, 0 warning, 1 failed, 0 not sent");
  assert.equal(r.code, 3);
  assert.equal(peer.connections.length, 2);
}

Deno.test("fault: a peer that aborts every association is given up on after 3, not one per file", async () => {
  await withPeer(
    faults.midDataSet("abort", 0),
    async (peer, paths) => {
      const r = await send(peer.port, paths);
      assert.ok(
        r.lines.includes(
          "E: Giving up on this peer: it ended 3 associations in a row without storing a file",
        ),
        r.lines.join("\n"),
      );
      assert.equal(peer.connections.length, 3);
      const o = outcomes(r);
      assert.deepEqual(o.slice(0, 3), ["failure", "failure", "failure"]);
      assert.deepEqual(o.slice(3), Array(7).fill("not-sent"));
      for (const x of r.report.results.slice(3)) assert.match(x.reason!, /^Giving up on this peer/);
      assertAccounted(r);
      assert.equal(r.code, 3);
    },
    10,
  );
});

Deno.test("fault: peer A-ABORTs in the middle of a data set", async () => {
  await withPeer(
    firstOnly(faults.midDataSet("abort")),
    async (peer, paths) => {
      const r = await send(peer.port, paths);
      assertRecovered(r, peer, /aborted|connection closed/);
      assert.ok(r.ms < QUICK + 1000, `took ${r.ms} ms`);
    },
    3,
    BIG,
  );
});

Deno.test("fault: peer closes TCP in the middle of a data set", async () => {
  await withPeer(
    firstOnly(faults.midDataSet("close")),
    async (peer, paths) => {
      const r = await send(peer.port, paths);
      assertRecovered(r, peer, /connection closed|aborted/);
      assert.ok(r.ms < QUICK + 1000, `took ${r.ms} ms`);
    },
    3,
    BIG,
  );
});

Deno.test("fault: peer stops reading mid data set (network timeout): that file failed, the rest on a new association", async () => {
  await withPeer(
    firstOnly(faults.stopReading(T * 1000 + MARGIN)),
    async (peer, paths) => {
      const r = await send(peer.port, paths, {}, "info");
      const i = r.lines.indexOf("E: Network timeout reached");
      assert.ok(i >= 0, r.lines.join("\n"));
      assert.equal(r.lines[i + 1], "I: Aborting Association");
      assertRecovered(r, peer, /^sending failed: Network timeout reached$/);
      assert.ok(r.ms >= T * 1000 - 50 && r.ms < T * 1000 + MARGIN, `took ${r.ms} ms`);
    },
    3,
    HUGE,
  );
});

Deno.test("fault: peer A-ABORTs after the data set, before the C-STORE-RSP", async () => {
  await withPeer(firstOnly(faults.midDataSet("abort", 1, 16382)), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assertRecovered(r, peer, /^no C-STORE-RSP: .*aborted/);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
  });
});

Deno.test("fault: TCP closed while we wait for the C-STORE-RSP", async () => {
  await withPeer(firstOnly(faults.closeBeforeRsp()), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(r.lines[0], "E: Connection closed while waiting for DIMSE message");
    assertRecovered(r, peer, /^no C-STORE-RSP: connection closed/);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
  });
});

Deno.test("fault: no C-STORE-RSP (DIMSE timeout): A-ABORT, the rest on a new association", async () => {
  await withPeer(firstOnly(faults.noRsp()), async (peer, paths) => {
    const r = await send(peer.port, paths, {}, "info");
    const errors = r.lines.filter((l) => l.startsWith("E: "));
    assert.equal(errors[0], "E: DIMSE timeout reached while waiting for message response");
    const i = r.lines.indexOf(errors[0]);
    assert.equal(r.lines[i + 1], "I: Aborting Association");
    assertRecovered(r, peer, /^no C-STORE-RSP: DIMSE timeout/);
    assert.ok(r.ms >= T * 1000 - 50 && r.ms < T * 1000 + MARGIN, `took ${r.ms} ms`);
    const aborts = await abortsSeen(peer);
    assert.equal(aborts.length, 1);
    assert.deepEqual(aborts[0], { type: PduType.Abort, source: 0, reason: 0 });
  });
});

Deno.test("fault: a peer that never answers any C-STORE: one timeout per file, then the end", async () => {
  await withPeer(faults.noRsp(), async (peer, paths) => {
    const r = await send(peer.port, paths);
    // Each association gets one file further; no file is stored and the run ends.
    for (const x of r.report.results) {
      assert.ok(x.outcome === "failure" || x.outcome === "not-sent", x.outcome);
    }
    assert.equal(r.report.results[0].outcome, "failure");
    assertAccounted(r);
    assert.equal(r.code, 3);
    assert.ok(r.ms < 3 * T * 1000 + MARGIN, `took ${r.ms} ms`);
  });
});

const STATUSES: [number, "success" | "warning" | "failure", RegExp][] = [
  [0xA700, "failure", /^Failure status 0xA700 - Refused: Out of Resources$/],
  [0xA7FF, "failure", /^Failure status 0xA7FF - Refused: Out of Resources$/],
  [0xA900, "failure", /^Failure status 0xA900 - Error: Data Set does not match SOP Class$/],
  [0xC000, "failure", /^Failure status 0xC000 - Error: Cannot understand$/],
  [0xB000, "warning", /^Warning status 0xB000 - Coercion of data elements$/],
  [0xB006, "warning", /^Warning status 0xB006 - Elements discarded$/],
  [0xB007, "warning", /^Warning status 0xB007 - Data set does not match SOP Class$/],
  [0x1234, "failure", /^Unknown status 0x1234/],
  [0xFF00, "failure", /status 0xFF00/],
  [0xFE00, "failure", /^Cancel status 0xFE00/],
];

for (const [status, outcome, reason] of STATUSES) {
  const hex = `0x${status.toString(16).toUpperCase().padStart(4, "0")}`;
  Deno.test(`fault: C-STORE-RSP status ${hex} is a ${outcome}`, async () => {
    await withPeer(faults.status(status), async (peer, paths) => {
      const r = await send(peer.port, paths);
      assert.deepEqual(outcomes(r), [outcome, outcome, outcome]);
      for (const x of r.report.results) {
        assert.equal(x.status, status);
        assert.match(x.reason!, reason);
      }
      assertAccounted(r);
      if (outcome === "warning") {
        // Stored: nothing at the default level but the summary.
        assert.deepEqual(r.lines, ["Summary: 3 files: 0 success, 3 warning, 0 failed, 0 not sent"]);
        assert.equal(r.code, 0);
      } else {
        assert.equal(
          r.lines.at(-1),
          "Summary: 3 files: 0 success, 0 warning, 3 failed, 0 not sent",
        );
        assert.equal(r.code, 3);
      }
      assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
    });
  });
}

Deno.test("fault: a status's error comment is part of the reason", async () => {
  const script: PeerScript = async (c) => {
    if (!(await c.acceptAll())) return;
    const s = await c.readStore();
    if (!s) return;
    await c.respond(s.contextId, s.rq, 0xC001, { errorComment: "disk on fire" });
    await c.serve();
  };
  await withPeer(script, async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.deepEqual(outcomes(r), ["failure", "success", "success"]);
    assert.match(r.report.results[0].reason!, /0xC001.*disk on fire/);
    assertAccounted(r);
    assert.equal(r.code, 3);
  });
});

const INVALID_RSP: [string, Parameters<typeof faults.answerStoreRaw>[0]][] = [
  [
    "with the wrong message ID",
    (rq, ctx, c) =>
      c.commandPdu(ctx, c.storeRsp(rq, 0, { messageIdBeingRespondedTo: rq.messageId + 7 })),
  ],
  [
    "for another SOP instance",
    (rq, ctx, c) =>
      c.commandPdu(ctx, c.storeRsp(rq, 0, { affectedSopInstanceUid: "1.2.3.4.5.6.7" })),
  ],
  [
    // PS3.7 9.1.1.1.3: the response's Affected SOP Class UID equals the request's.
    "for another SOP class",
    (rq, ctx, c) =>
      c.commandPdu(
        ctx,
        c.storeRsp(rq, 0, { affectedSopClassUid: "1.2.840.10008.5.1.4.1.1.4" }),
      ),
  ],
  [
    "that is a C-ECHO-RSP",
    (rq, ctx, c) =>
      c.commandPdu(ctx, { kind: "C-ECHO-RSP", messageIdBeingRespondedTo: rq.messageId, status: 0 }),
  ],
];

for (const [name, answer] of INVALID_RSP) {
  Deno.test(`fault: C-STORE-RSP ${name} is not believed`, async () => {
    await withPeer(firstOnly(faults.answerStoreRaw(answer)), async (peer, paths) => {
      const r = await send(peer.port, paths);
      assert.equal(r.lines[0], "E: Received an invalid C-STORE-RSP response from the peer");
      assertRecovered(r, peer, /invalid C-STORE-RSP/);
      assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
      assert.equal((await abortsSeen(peer)).length, 1);
    });
  });
}

function pdata(contextId: number, control: number, data: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + data.length);
  const v = new DataView(b.buffer);
  b[0] = 0x04;
  v.setUint32(2, 6 + data.length);
  v.setUint32(6, 2 + data.length);
  b[10] = contextId;
  b[11] = control;
  b.set(data, 12);
  return b;
}

const MALFORMED_RSP: [string, (ctx: number) => Uint8Array, RegExp][] = [
  ["unknown PDU type 0x0A", () => header(0x0a, 4, [0, 0, 0, 0]), /Unknown PDU type 0x0A/i],
  ["P-DATA declaring more than our max PDU", () => header(0x04, 100000), /100000|limit/],
  ["P-DATA declaring 0xFFFFFFFF bytes", () => header(0x04, 0xffffffff), /4294967295|limit/],
  [
    "P-DATA whose PDV overruns the PDU",
    () => {
      const b = pdata(1, 3, new Uint8Array(8));
      new DataView(b.buffer).setUint32(6, 500);
      return b;
    },
    /invalid PDU/,
  ],
  ["P-DATA with a PDV shorter than 2 bytes", () => header(0x04, 4, [0, 0, 0, 1]), /invalid PDU/],
  // Context IDs are odd (PS3.8 9.3.2.2): 2 was never proposed.
  [
    "P-DATA on an unknown presentation context",
    () => pdata(2, 3, new Uint8Array(10)),
    /context 2\b/,
  ],
  [
    "P-DATA with a garbage command set",
    (ctx) => pdata(ctx, 3, new Uint8Array(10).fill(0xee)),
    /command/i,
  ],
  ["data set fragment with no command", (ctx) => pdata(ctx, 2, new Uint8Array(4)), /command/i],
  ["A-ASSOCIATE-RQ in mid-association", () => header(0x01, 0), /invalid PDU|Unexpected/],
  ["A-RELEASE-RP without a request", () => encodePdu({ type: PduType.ReleaseRP }), /RELEASE-RP/],
];

for (const [name, make, why] of MALFORMED_RSP) {
  Deno.test(`fault: malformed answer to the C-STORE-RQ: ${name}`, async () => {
    const script = firstOnly(faults.answerStoreRaw((_rq, ctx) => make(ctx)));
    await withPeer(script, async (peer, paths) => {
      const r = await send(peer.port, paths);
      assertRecovered(r, peer, why);
      assert.match(r.report.results[0].reason!, /^no C-STORE-RSP: .*storage not confirmed$/);
      assert.match(r.lines[0], /^E: /);
      assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
      const aborts = await abortsSeen(peer);
      assert.equal(aborts.length, 1, "we A-ABORT a peer that breaks the protocol");
      assert.equal((aborts[0] as { source: number }).source, 2, "as the service provider");
    });
  });
}

// --- Release ---------------------------------------------------------------------------------

Deno.test("fault: A-RELEASE-RQ never answered: abort after the ACSE timeout, files stay stored", async () => {
  await withPeer(faults.ignoreRelease(), async (peer, paths) => {
    const r = await send(peer.port, paths, {}, "info");
    assert.deepEqual(outcomes(r), ["success", "success", "success"]);
    assert.deepEqual(r.lines.slice(-3), [
      "I: Releasing Association",
      "I: Aborting Association",
      "Summary: 3 files: 3 success, 0 warning, 0 failed, 0 not sent",
    ]);
    assert.equal(r.code, 0);
    assert.ok(r.ms >= T * 1000 - 50 && r.ms < T * 1000 + MARGIN, `took ${r.ms} ms`);
    assert.equal((await abortsSeen(peer)).length, 1);
  });
});

Deno.test("fault: peer sends its own A-RELEASE-RQ mid-run", async () => {
  await withPeer(firstOnly(faults.releaseAfter(1)), async (peer, paths) => {
    const r = await send(peer.port, paths);
    assert.equal(r.report.results[0].outcome, "success");
    for (const x of r.report.results.slice(1)) {
      // Either tried on the released association (and failed, saying so) or sent on a new one.
      if (x.outcome !== "success") assert.match(x.reason!, /released/);
    }
    assertAccounted(r);
    assert.ok(r.ms < QUICK, `took ${r.ms} ms`);
    // We answered the peer's release.
    await peer.idle();
    const c = peer.connections[0];
    assert.ok(c.received.some((p) => p.type === PduType.ReleaseRP), "A-RELEASE-RP sent");
  });
});

// --- The real CLI: exit codes, one line per file, no stack traces ----------------------------

function assertCleanStderr(stderr: string): void {
  assert.doesNotMatch(stderr, /error: Uncaught/);
  assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
  assert.doesNotMatch(stderr, /Unhandled|Traceback/);
}

const CLI_CASES: [string, () => PeerScript | null, number, RegExp][] = [
  [
    "connection refused",
    () => null,
    1,
    /^E: TCP Initialisation Error: Connection refused by 127\.0\.0\.1:\d+ \(nothing is listening/m,
  ],
  [
    "A-ASSOCIATE-RJ",
    () => faults.reject(1, 1, 7),
    1,
    /^E: Reason: Called AE title not recognised$/m,
  ],
  ["A-ABORT on the RQ", () => faults.abortOnRq(), 1, /^E: Association Aborted$/m],
  ["ACSE timeout", () => faults.silent(), 1, /^E: ACSE timeout reached/m],
  ["malformed AC", () => faults.answerRaw(header(0x02, 0xffffffff)), 1, /invalid A-ASSOCIATE/],
  ["DIMSE timeout", () => firstOnly(faults.noRsp()), 3, /^E: DIMSE timeout reached/m],
  [
    "close before RSP",
    () => firstOnly(faults.closeBeforeRsp()),
    3,
    /^E: Connection closed while waiting/m,
  ],
  ["status 0xA700", () => faults.status(0xA700), 3, /^E: Store failed: .*0xA700/m],
  ["status 0xB000", () => faults.status(0xB000), 0, /^Summary: 3 files: 0 success, 3 warning/m],
  ["release ignored", () => faults.ignoreRelease(), 0, /^Summary: 3 files: 3 success/m],
];

for (const [name, make, code, line] of CLI_CASES) {
  Deno.test(`fault (CLI): ${name} exits ${code}`, async () => {
    const script = make();
    const { dir, paths } = await makeFiles(3);
    const peer = script ? startFaultPeer(script) : undefined;
    try {
      const t0 = performance.now();
      const r = await runCli([
        "127.0.0.1",
        String(peer?.port ?? deadPort()),
        ...paths,
        "-ta",
        String(T),
        "-td",
        String(T),
        "-tn",
        String(T),
      ]);
      const ms = performance.now() - t0;
      assert.equal(r.code, code, r.stderr);
      assert.match(r.stderr, line);
      assertCleanStderr(r.stderr);
      assert.match(r.lines.at(-1)!, /^Summary: 3 files: /);
      // Each file not stored is named with its reason.
      const named = paths.filter((p) =>
        new RegExp(`^E: (Store failed|Not sent): ${p}: .+`, "m").test(r.stderr)
      );
      const m = r.lines.at(-1)!.match(/(\d+) failed, (\d+) not sent$/)!;
      assert.equal(named.length, Number(m[1]) + Number(m[2]), r.stderr);
      if (code !== 0) assert.ok(named.length > 0);
      assert.equal(r.stdout, "");
      // Deno start-up included.
      assert.ok(ms < T * 1000 + MARGIN + 3000, `took ${ms} ms`);
    } finally {
      await peer?.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
