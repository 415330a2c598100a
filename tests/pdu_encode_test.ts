import assert from "node:assert/strict";
import {
  type AssociateAC,
  type AssociateRQ,
  emptyUserInformation,
  encodePdu,
  PduError,
  PduType,
  type UserInformation,
  writeSinglePdvHeaders,
} from "../lib/pdu/mod.ts";

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

// captures/pdu_trace_cx_ct.txt: pynetdicom storescu -cx with one CT file.
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
const PDATA_CMD_HEX =
  "040000000094000000900103000000000400000082000000000002001a000000312e322e3834302e31303030382e352e" +
  "312e342e312e312e32000000000102000000010000001001020000000100000000070200000002000000000802000000" +
  "01000000001030000000312e332e362e312e342e312e353936322e312e312e312e312e312e3230303430313139303732" +
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

Deno.test("encode: A-ASSOCIATE-RQ equals the pynetdicom capture byte for byte", () => {
  assert.deepStrictEqual(encodePdu(captureRQ), hex(RQ_HEX));
});

Deno.test("encode: A-ASSOCIATE-AC equals the pynetdicom capture byte for byte", () => {
  assert.deepStrictEqual(encodePdu(captureAC), hex(AC_HEX));
});

Deno.test("encode: P-DATA-TF command PDV equals the capture", () => {
  const whole = hex(PDATA_CMD_HEX);
  const pdu = encodePdu({
    type: PduType.PData,
    pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: whole.subarray(12) }],
  });
  assert.deepStrictEqual(pdu, whole);
});

Deno.test("encode: writeSinglePdvHeaders matches encodePdu for one PDV", () => {
  const whole = hex(PDATA_CMD_HEX);
  const buf = new Uint8Array(whole.length);
  const at = writeSinglePdvHeaders(buf, 0, whole.length - 12, 1, true, true);
  assert.equal(at, 12);
  buf.set(whole.subarray(12), at);
  assert.deepStrictEqual(buf, whole);
  // data set fragments: 0x00 and last 0x02
  const b2 = new Uint8Array(14);
  writeSinglePdvHeaders(b2, 2, 0, 3, false, true);
  assert.deepStrictEqual(b2, hex("0000 0400 00000006 00000002 03 02"));
});

Deno.test("encode: P-DATA-TF with several PDVs and control bits", () => {
  const pdu = encodePdu({
    type: PduType.PData,
    pdvs: [
      { contextId: 1, isCommand: false, isLast: false, data: new Uint8Array([0xaa]) },
      { contextId: 3, isCommand: false, isLast: true, data: new Uint8Array([]) },
    ],
  });
  assert.deepStrictEqual(pdu, hex("04 00 0000000d 00000003 01 00 aa 00000002 03 02"));
});

Deno.test("encode: A-RELEASE-RQ/RP equal the capture", () => {
  assert.deepStrictEqual(encodePdu({ type: PduType.ReleaseRQ }), hex("05000000000400000000"));
  assert.deepStrictEqual(encodePdu({ type: PduType.ReleaseRP }), hex("06000000000400000000"));
});

Deno.test("encode: A-ASSOCIATE-RJ (PS3.8 table 9-21)", () => {
  const pdu = encodePdu({ type: PduType.AssociateRJ, result: 1, source: 1, reason: 7 });
  assert.deepStrictEqual(pdu, hex("03 00 00000004 00 01 01 07"));
  const t = encodePdu({ type: PduType.AssociateRJ, result: 2, source: 3, reason: 1 });
  assert.deepStrictEqual(t, hex("03 00 00000004 00 02 03 01"));
});

Deno.test("encode: A-ABORT (PS3.8 table 9-26)", () => {
  assert.deepStrictEqual(
    encodePdu({ type: PduType.Abort, source: 0, reason: 0 }),
    hex("07 00 00000004 00 00 00 00"),
  );
  assert.deepStrictEqual(
    encodePdu({ type: PduType.Abort, source: 2, reason: 6 }),
    hex("07 00 00000004 00 00 02 06"),
  );
});

/** Encode an RQ with one context and the given user info; return the user-info item bytes. */
function userInfoBytes(info: UserInformation): Uint8Array {
  const pdu = encodePdu({ ...captureRQ, presentationContexts: [], userInfo: info });
  // header 6 + fixed 68 + app context item (4 + 21)
  return pdu.subarray(6 + 68 + 25);
}

Deno.test("encode: user info sub-item 0x53 asynchronous operations window", () => {
  const b = userInfoBytes(
    ui({ asyncOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 } }),
  );
  assert.deepStrictEqual(b, hex("50 00 0008 53 00 0004 0005 0003"));
});

Deno.test("encode: user info sub-item 0x54 SCP/SCU role selection", () => {
  const b = userInfoBytes(
    ui({ roleSelections: [{ sopClassUid: CT, scuRole: true, scpRole: false }] }),
  );
  assert.deepStrictEqual(b, hex("50 00 0021 54 00 001d 0019" + hexOf(CT) + "01 00"));
  const c = userInfoBytes(
    ui({ roleSelections: [{ sopClassUid: "1.2", scuRole: false, scpRole: true }] }),
  );
  assert.deepStrictEqual(c, hex("50 00 000b 54 00 0007 0003 312e32 00 01"));
});

Deno.test("encode: user info sub-item 0x56 SOP class extended negotiation", () => {
  const b = userInfoBytes(
    ui({ extendedNegotiation: [{ sopClassUid: "1.2.3", info: new Uint8Array([1, 0, 1]) }] }),
  );
  assert.deepStrictEqual(b, hex("50 00 000e 56 00 000a 0005 312e322e33 010001"));
});

Deno.test("encode: user info sub-item 0x57 SOP class common extended negotiation", () => {
  const b = userInfoBytes(ui({
    commonExtendedNegotiation: [{
      sopClassUid: "1.2.3",
      serviceClassUid: "1.2.4",
      relatedGeneralSopClassUids: ["1.2.5.6"],
    }],
  }));
  assert.deepStrictEqual(
    b,
    hex("50 00 001d 57 00 0019 0005 312e322e33 0005 312e322e34 0009 0007 312e322e352e36"),
  );
  const none = userInfoBytes(ui({
    commonExtendedNegotiation: [{
      sopClassUid: "1",
      serviceClassUid: "2",
      relatedGeneralSopClassUids: [],
    }],
  }));
  assert.deepStrictEqual(none, hex("50 00 000c 57 00 0008 0001 31 0001 32 0000"));
});

Deno.test("encode: user info sub-item 0x58 user identity request", () => {
  const b = userInfoBytes(ui({
    userIdentity: {
      identityType: 2,
      positiveResponseRequested: true,
      primaryField: ascii("user"),
      secondaryField: ascii("pass"),
    },
  }));
  assert.deepStrictEqual(b, hex("50 00 0012 58 00 000e 02 01 0004 75736572 0004 70617373"));
  const u = userInfoBytes(ui({
    userIdentity: {
      identityType: 1,
      positiveResponseRequested: false,
      primaryField: ascii("bob"),
      secondaryField: new Uint8Array(),
    },
  }));
  assert.deepStrictEqual(u, hex("50 00 000d 58 00 0009 01 00 0003 626f62 0000"));
});

Deno.test("encode: user info sub-item 0x59 user identity response", () => {
  const b = userInfoBytes(ui({ userIdentityResponse: { serverResponse: ascii("ok") } }));
  assert.deepStrictEqual(b, hex("50 00 0008 59 00 0004 0002 6f6b"));
});

Deno.test("encode: unknown sub-items are written raw, after the known ones", () => {
  const b = userInfoBytes(ui({
    maxLength: 0,
    unknownItems: [{ itemType: 0x5f, data: new Uint8Array([9, 8]) }],
  }));
  assert.deepStrictEqual(b, hex("50 00 000e 51 00 0004 00000000 5f 00 0002 0908"));
});

Deno.test("encode: user info sub-items follow PS3.7 order", () => {
  const b = userInfoBytes(ui({
    implementationVersionName: "V",
    userIdentity: {
      identityType: 1,
      positiveResponseRequested: false,
      primaryField: ascii("u"),
      secondaryField: new Uint8Array(),
    },
    commonExtendedNegotiation: [{
      sopClassUid: "1",
      serviceClassUid: "2",
      relatedGeneralSopClassUids: [],
    }],
    extendedNegotiation: [{ sopClassUid: "1", info: new Uint8Array([7]) }],
    roleSelections: [{ sopClassUid: "1", scuRole: true, scpRole: true }],
    asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
    implementationClassUid: "1.2",
    maxLength: 1,
  }));
  const order: number[] = [];
  for (let off = 4; off < b.length; off += 4 + ((b[off + 2] << 8) | b[off + 3])) order.push(b[off]);
  assert.deepStrictEqual(order, [0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58]);
});

Deno.test("encode: A-ASSOCIATE-AC rejected context keeps an empty transfer syntax sub-item", () => {
  const pdu = encodePdu({
    ...captureAC,
    presentationContexts: [{ id: 3, result: 3, transferSyntax: "" }],
    userInfo: emptyUserInformation(),
  });
  assert.deepStrictEqual(
    pdu.subarray(6 + 68 + 25),
    hex("21 00 0008 03 00 03 00 40 00 0000 50 00 0000"),
  );
});

Deno.test("encode: AE titles are space padded; multiple transfer syntaxes", () => {
  const pdu = encodePdu({
    ...captureRQ,
    calledAeTitle: "A",
    callingAeTitle: "0123456789ABCDEF",
    presentationContexts: [{ id: 255, abstractSyntax: "1", transferSyntaxes: ["2", "3"] }],
    userInfo: emptyUserInformation(),
  });
  assert.deepStrictEqual(pdu.subarray(10, 42), ascii("A               0123456789ABCDEF"));
  assert.deepStrictEqual(
    pdu.subarray(6 + 68 + 25),
    hex("20 00 0013 ff 000000 30 00 0001 31 40 00 0001 32 40 00 0001 33 50 00 0000"),
  );
  const len = new DataView(pdu.buffer).getUint32(2);
  assert.equal(len, pdu.length - 6);
});

Deno.test("encode: values that cannot be encoded throw PduError invalid-value", () => {
  const bad = (f: () => unknown) =>
    assert.throws(f, (e: unknown) => e instanceof PduError && e.code === "invalid-value");
  bad(() => encodePdu({ ...captureRQ, calledAeTitle: "ABCDEFGHIJKLMNOPQ" }));
  bad(() => encodePdu({ ...captureRQ, callingAeTitle: "ÄB" }));
  bad(() => encodePdu({ ...captureRQ, applicationContext: "1.2.€" }));
  bad(() =>
    encodePdu({
      ...captureRQ,
      userInfo: ui({
        extendedNegotiation: [{ sopClassUid: "1", info: new Uint8Array(70000) }],
      }),
    })
  );
});

function hexOf(s: string): string {
  return Array.from(ascii(s), (b) => b.toString(16).padStart(2, "0")).join("");
}
