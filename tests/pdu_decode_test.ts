import assert from "node:assert/strict";
import {
  type AssociateAC,
  type AssociateRQ,
  decodePdu,
  emptyUserInformation,
  encodePdu,
  type Pdu,
  PduError,
  type PduErrorCode,
  PduType,
  type UserInformation,
} from "../lib/pdu/mod.ts";

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const ascii = (s: string) => new TextEncoder().encode(s);

// captures/pdu_trace_cx_ct.txt
const RQ_HEX =
  "0100000000db00010000414e592d53435020202020202020202053544f52455343552020202020202020000000000000" +
  "000000000000000000000000000000000000000000000000000010000015312e322e3834302e31303030382e332e312e" +
  "312e31200000380100000030000019312e322e3834302e31303030382e352e312e342e312e312e3240000013312e322e" +
  "3834302e31303030382e312e322e315000003e510000040000100052000020312e322e3832362e302e312e3336383030" +
  "34332e392e333831312e332e312e305500000e50594e45544449434f4d5f333130";
const AC_HEX =
  "0200000000be00010000414e592d53435020202020202020202053544f52455343552020202020202020000000000000" +
  "000000000000000000000000000000000000000000000000000010000015312e322e3834302e31303030382e332e312e" +
  "312e312100001b0100000040000013312e322e3834302e31303030382e312e322e315000003e5100000400003ffe5200" +
  "0020312e322e3832362e302e312e333638303034332e392e333831312e332e312e305500000e50594e45544449434f4d" +
  "5f333130";
const PDATA_RSP_HEX =
  "040000000094000000900103000000000400000082000000000002001a000000312e322e3834302e31303030382e352e" +
  "312e342e312e312e32000000000102000000018000002001020000000100000000080200000001010000000902000000" +
  "00000000001030000000312e332e362e312e342e312e353936322e312e312e312e312e312e3230303430313139303732" +
  "3733302e313233323200";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const APP = "1.2.840.10008.3.1.1.1";
const PYNETDICOM_UID = "1.2.826.0.1.3680043.9.3811.3.1.0";

function ui(extra: Partial<UserInformation>): UserInformation {
  return { ...emptyUserInformation(), ...extra };
}

const captureRQ: AssociateRQ = {
  type: PduType.AssociateRQ,
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "STORESCU",
  applicationContext: APP,
  presentationContexts: [{ id: 1, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
  userInfo: ui({
    maxLength: 4096,
    implementationClassUid: PYNETDICOM_UID,
    implementationVersionName: "PYNETDICOM_310",
  }),
};

const captureAC: AssociateAC = {
  type: PduType.AssociateAC,
  protocolVersion: 1,
  calledAeTitle: "ANY-SCP",
  callingAeTitle: "STORESCU",
  applicationContext: APP,
  presentationContexts: [{ id: 1, result: 0, transferSyntax: EXPLICIT_LE }],
  userInfo: ui({
    maxLength: 16382,
    implementationClassUid: PYNETDICOM_UID,
    implementationVersionName: "PYNETDICOM_310",
  }),
};

/** An RQ using every user-information sub-item. */
const fullRQ: AssociateRQ = {
  ...captureRQ,
  presentationContexts: [
    { id: 1, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE, "1.2.840.10008.1.2"] },
    { id: 3, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] },
  ],
  userInfo: ui({
    maxLength: 0,
    implementationClassUid: "1.2.3.4",
    asyncOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 },
    roleSelections: [{ sopClassUid: CT, scuRole: true, scpRole: true }],
    implementationVersionName: "X_1",
    extendedNegotiation: [{ sopClassUid: CT, info: new Uint8Array([1, 0, 1]) }],
    commonExtendedNegotiation: [{
      sopClassUid: CT,
      serviceClassUid: "1.2.840.10008.4.2",
      relatedGeneralSopClassUids: ["1.2.3", "1.2.4"],
    }],
    userIdentity: {
      identityType: 2,
      positiveResponseRequested: true,
      primaryField: ascii("user"),
      secondaryField: ascii("pass"),
    },
    unknownItems: [{ itemType: 0x5f, data: new Uint8Array([1, 2, 3]) }],
  }),
};

function throwsCode(f: () => unknown, code: PduErrorCode): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof PduError, `expected PduError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

Deno.test("decode: A-ASSOCIATE-RQ capture gives the expected object", () => {
  assert.deepStrictEqual(decodePdu(hex(RQ_HEX)), captureRQ);
});

Deno.test("decode: A-ASSOCIATE-AC capture gives the expected object", () => {
  assert.deepStrictEqual(decodePdu(hex(AC_HEX)), captureAC);
});

Deno.test("decode: P-DATA-TF capture (C-STORE-RSP command)", () => {
  const bytes = hex(PDATA_RSP_HEX);
  const pdu = decodePdu(bytes);
  assert.equal(pdu.type, PduType.PData);
  if (pdu.type !== PduType.PData) return;
  assert.equal(pdu.pdvs.length, 1);
  const [pdv] = pdu.pdvs;
  assert.equal(pdv.contextId, 1);
  assert.equal(pdv.isCommand, true);
  assert.equal(pdv.isLast, true);
  assert.deepStrictEqual(pdv.data, bytes.subarray(12));
  // The data is a view, not a copy.
  assert.equal(pdv.data.buffer, bytes.buffer);
});

Deno.test("decode: several PDVs, data set control bits", () => {
  const pdu = decodePdu(hex("04 00 0000000d 00000003 01 00 aa 00000002 03 02"));
  assert.deepStrictEqual(pdu, {
    type: PduType.PData,
    pdvs: [
      { contextId: 1, isCommand: false, isLast: false, data: new Uint8Array([0xaa]) },
      { contextId: 3, isCommand: false, isLast: true, data: new Uint8Array([]) },
    ],
  });
});

Deno.test("decode: release, reject and abort", () => {
  assert.deepStrictEqual(decodePdu(hex("05000000000400000000")), { type: PduType.ReleaseRQ });
  assert.deepStrictEqual(decodePdu(hex("06000000000400000000")), { type: PduType.ReleaseRP });
  assert.deepStrictEqual(decodePdu(hex("03 00 00000004 00 01 01 07")), {
    type: PduType.AssociateRJ,
    result: 1,
    source: 1,
    reason: 7,
  });
  assert.deepStrictEqual(decodePdu(hex("07 00 00000004 00 00 02 06")), {
    type: PduType.Abort,
    source: 2,
    reason: 6,
  });
});

Deno.test("decode: round trip of every PDU type and every sub-item", () => {
  const pdus: Pdu[] = [
    fullRQ,
    captureRQ,
    captureAC,
    {
      ...captureAC,
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: EXPLICIT_LE },
        { id: 3, result: 4, transferSyntax: "" },
      ],
      userInfo: ui({
        maxLength: 32768,
        roleSelections: [{ sopClassUid: CT, scuRole: false, scpRole: true }],
        extendedNegotiation: [{ sopClassUid: CT, info: new Uint8Array([1]) }],
        asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
        userIdentityResponse: { serverResponse: ascii("token") },
      }),
    },
    { type: PduType.AssociateRJ, result: 2, source: 3, reason: 2 },
    {
      type: PduType.PData,
      pdvs: [{ contextId: 255, isCommand: true, isLast: false, data: new Uint8Array(300) }],
    },
    { type: PduType.ReleaseRQ },
    { type: PduType.ReleaseRP },
    { type: PduType.Abort, source: 0, reason: 0 },
  ];
  for (const pdu of pdus) {
    const bytes = encodePdu(pdu);
    const back = decodePdu(bytes);
    assert.deepStrictEqual(back, pdu);
    assert.deepStrictEqual(encodePdu(back), bytes);
  }
});

Deno.test("decode: capture bytes round-trip through decode and encode", () => {
  for (const h of [RQ_HEX, AC_HEX, PDATA_RSP_HEX]) {
    const bytes = hex(h);
    assert.deepStrictEqual(encodePdu(decodePdu(bytes)), bytes);
  }
});

Deno.test("decode: AE titles and UIDs lose trailing spaces/NULs", () => {
  const bytes = encodePdu({
    ...captureRQ,
    calledAeTitle: " LEAD",
    applicationContext: APP + "\0",
    presentationContexts: [{ id: 1, abstractSyntax: "1.2\0", transferSyntaxes: ["1.2 "] }],
    userInfo: ui({ implementationClassUid: "1.2.3\0", implementationVersionName: "V " }),
  });
  const pdu = decodePdu(bytes);
  assert.equal(pdu.type, PduType.AssociateRQ);
  if (pdu.type !== PduType.AssociateRQ) return;
  assert.equal(pdu.calledAeTitle, " LEAD");
  assert.equal(pdu.applicationContext, APP);
  assert.deepStrictEqual(pdu.presentationContexts, [
    { id: 1, abstractSyntax: "1.2", transferSyntaxes: ["1.2"] },
  ]);
  assert.equal(pdu.userInfo.implementationClassUid, "1.2.3");
  assert.equal(pdu.userInfo.implementationVersionName, "V");
});

Deno.test("decode: even or zero context IDs decode (the association layer judges)", () => {
  const pdu = decodePdu(encodePdu({
    type: PduType.PData,
    pdvs: [{ contextId: 0, isCommand: false, isLast: true, data: new Uint8Array(1) }],
  }));
  assert.equal(pdu.type === PduType.PData && pdu.pdvs[0].contextId, 0);
  const rq = decodePdu(encodePdu({
    ...captureRQ,
    presentationContexts: [{ id: 2, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] }],
  }));
  assert.equal(rq.type === PduType.AssociateRQ && rq.presentationContexts[0].id, 2);
});

Deno.test("decode: unknown top-level items in A-ASSOCIATE are skipped", () => {
  const base = hex(RQ_HEX);
  const extra = hex("77 00 0003 010203");
  const bytes = new Uint8Array(base.length + extra.length);
  bytes.set(base.subarray(0, 74));
  bytes.set(extra, 74);
  bytes.set(base.subarray(74), 74 + extra.length);
  new DataView(bytes.buffer).setUint32(2, bytes.length - 6);
  assert.deepStrictEqual(decodePdu(bytes), captureRQ);
});

Deno.test("decode: every truncation point of a valid RQ throws PduError", () => {
  const bytes = encodePdu(fullRQ);
  for (let k = 0; k < bytes.length; k++) {
    throwsCode(() => decodePdu(bytes.subarray(0, k)), "truncated");
  }
});

Deno.test("decode: an RQ whose PDU length cuts an item gives PduError, never RangeError", () => {
  const full = encodePdu(fullRQ);
  let failures = 0;
  for (let k = 6; k < full.length; k++) {
    const bytes = full.slice(0, k);
    new DataView(bytes.buffer).setUint32(2, k - 6);
    try {
      decodePdu(bytes);
    } catch (e) {
      assert.ok(e instanceof PduError, `cut at ${k}: ${e}`);
      assert.equal(e.code, "malformed");
      failures++;
    }
  }
  assert.ok(failures > full.length / 2);
});

Deno.test("decode: unknown PDU types are rejected", () => {
  throwsCode(() => decodePdu(hex("08 00 00000004 00000000")), "unknown-type");
  throwsCode(() => decodePdu(hex("00 00 00000000")), "unknown-type");
  throwsCode(() => decodePdu(hex("ff 00 ffffffff")), "unknown-type");
});

Deno.test("decode: a length of 0xFFFFFFFF is truncated, not allocated", () => {
  throwsCode(() => decodePdu(hex("04 00 ffffffff 00000002 01 00")), "truncated");
});

Deno.test("decode: trailing bytes after the PDU are malformed", () => {
  throwsCode(() => decodePdu(hex("05 00 00000004 00000000 00")), "malformed");
});

Deno.test("decode: fixed-size PDUs must have length 4", () => {
  throwsCode(() => decodePdu(hex("05 00 00000003 000000")), "malformed");
  throwsCode(() => decodePdu(hex("07 00 00000005 0000000000")), "malformed");
  throwsCode(() => decodePdu(hex("03 00 00000000")), "malformed");
});

Deno.test("decode: P-DATA PDV errors", () => {
  throwsCode(() => decodePdu(hex("04 00 00000005 00000001 01")), "malformed"); // length < 2
  throwsCode(() => decodePdu(hex("04 00 00000006 00000003 01 00")), "malformed"); // overrun
  throwsCode(() => decodePdu(hex("04 00 00000003 000000")), "malformed"); // length cut
  assert.deepStrictEqual(decodePdu(hex("04 00 00000000")), { type: PduType.PData, pdvs: [] });
});

/** The capture RQ with its user info item replaced by `userInfo` (hex, with header). */
function rqWithUserInfo(userInfoHex: string): Uint8Array {
  const base = hex(RQ_HEX);
  const start = 6 + 68 + 25 + 4 + 0x38; // after the presentation context item
  const u = hex(userInfoHex);
  const out = new Uint8Array(start + u.length);
  out.set(base.subarray(0, start));
  out.set(u, start);
  new DataView(out.buffer).setUint32(2, out.length - 6);
  return out;
}

Deno.test("decode: each user-info sub-item from its PS3.7 byte layout", () => {
  const cases: [string, Partial<UserInformation>][] = [
    ["50 00 0008 51 00 0004 00004000", { maxLength: 16384 }],
    ["50 00 0008 53 00 0004 0005 0003", {
      asyncOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 },
    }],
    ["50 00 000b 54 00 0007 0003 312e32 00 01", {
      roleSelections: [{ sopClassUid: "1.2", scuRole: false, scpRole: true }],
    }],
    ["50 00 000e 56 00 000a 0005 312e322e33 010001", {
      extendedNegotiation: [{ sopClassUid: "1.2.3", info: new Uint8Array([1, 0, 1]) }],
    }],
    ["50 00 001d 57 00 0019 0005 312e322e33 0005 312e322e34 0009 0007 312e322e352e36", {
      commonExtendedNegotiation: [{
        sopClassUid: "1.2.3",
        serviceClassUid: "1.2.4",
        relatedGeneralSopClassUids: ["1.2.5.6"],
      }],
    }],
    ["50 00 0012 58 00 000e 02 01 0004 75736572 0004 70617373", {
      userIdentity: {
        identityType: 2,
        positiveResponseRequested: true,
        primaryField: ascii("user"),
        secondaryField: ascii("pass"),
      },
    }],
    // Secondary length absent (some peers omit it for type 1): tolerated.
    ["50 00 000b 58 00 0007 01 00 0003 626f62", {
      userIdentity: {
        identityType: 1,
        positiveResponseRequested: false,
        primaryField: ascii("bob"),
        secondaryField: new Uint8Array(),
      },
    }],
    ["50 00 0008 59 00 0004 0002 6f6b", { userIdentityResponse: { serverResponse: ascii("ok") } }],
    ["50 00 0007 5f 00 0003 010203", {
      unknownItems: [{ itemType: 0x5f, data: new Uint8Array([1, 2, 3]) }],
    }],
  ];
  for (const [h, expected] of cases) {
    const pdu = decodePdu(rqWithUserInfo(h));
    assert.equal(pdu.type, PduType.AssociateRQ);
    if (pdu.type !== PduType.AssociateRQ) continue;
    assert.deepStrictEqual(pdu.userInfo, ui(expected), h);
  }
});

Deno.test("decode: sub-item lengths that overrun their parent are malformed", () => {
  const bad = [
    "50 00 0008 51 00 0005 00004000", // sub-item overruns user info
    "50 00 0009 51 00 0005 0000400000", // max length item of 5 bytes
    "50 00 0007 53 00 0003 000500", // async window of 3 bytes
    "50 00 000b 54 00 0007 0009 312e32 00 01", // UID overruns role item
    "50 00 000c 54 00 0008 0003 312e32 00 01 00", // trailing byte in role item
    "50 00 0009 56 00 0005 0009 312e322e33", // UID overruns ext neg item
    "50 00 001d 57 00 0019 0005 312e322e33 0005 312e322e34 000a 0007 312e322e352e36",
    "50 00 001d 57 00 0019 0005 312e322e33 0005 312e322e34 0009 0008 312e322e352e36",
    "50 00 0012 58 00 000e 02 01 0009 75736572 0004 70617373",
    "50 00 0012 58 00 000e 02 01 0004 75736572 0005 70617373",
    "50 00 0005 58 00 0001 02",
    "50 00 0008 59 00 0004 0003 6f6b",
    "50 00 0003 51 00 00", // sub-item header cut
  ];
  for (const h of bad) {
    throwsCode(() => decodePdu(rqWithUserInfo(h)), "malformed");
  }
  // The user info item itself overrunning the PDU.
  const b = rqWithUserInfo("50 00 0008 51 00 0004 00004000");
  b[b.length - 9] = 0x09;
  throwsCode(() => decodePdu(b), "malformed");
});

Deno.test("decode: presentation context items overrunning are malformed", () => {
  const bytes = hex(RQ_HEX);
  bytes[6 + 68 + 25 + 3] = 0xff; // context item length 0x38 -> 0xff
  throwsCode(() => decodePdu(bytes), "malformed");
  const sub = hex(RQ_HEX);
  sub[6 + 68 + 25 + 8 + 3] = 0x40; // abstract syntax length past the context item
  throwsCode(() => decodePdu(sub), "malformed");
});

Deno.test("decode: missing user info and application context decode as empty", () => {
  const bytes = hex(RQ_HEX).slice(0, 74);
  new DataView(bytes.buffer).setUint32(2, 68);
  assert.deepStrictEqual(decodePdu(bytes), {
    ...captureRQ,
    applicationContext: "",
    presentationContexts: [],
    userInfo: emptyUserInformation(),
  });
  throwsCode(() => {
    const short = hex(RQ_HEX).slice(0, 73);
    new DataView(short.buffer).setUint32(2, 67);
    decodePdu(short);
  }, "malformed");
});
