import assert from "node:assert/strict";
import {
  type AssociateAC,
  type AssociateRQ,
  banner,
  contextResultText,
  dumpAbort,
  dumpAssociateAC,
  dumpAssociateRJ,
  dumpAssociateRQ,
  emptyUserInformation,
  PduType,
  type PresentationContextAC,
  type PresentationContextRQ,
  rejectReasonText,
  rejectResultText,
  rejectSourceText,
  type UserInformation,
} from "../lib/pdu/mod.ts";
import { DEFAULT_STORAGE_SOP_CLASSES } from "../lib/uids.ts";

// Lines copied from /work/shared/reference/captures (the "D: " prefix removed).
// ct_small_debug.stderr lines 4-33: the start of the outgoing A-ASSOCIATE-RQ.
const RQ_HEAD = [
  "Request Parameters:",
  "======================= OUTGOING A-ASSOCIATE-RQ PDU ========================",
  "Our Implementation Class UID:      1.2.826.0.1.3680043.9.3811.3.1.0",
  "Our Implementation Version Name:   PYNETDICOM_310",
  "Application Context Name:    1.2.840.10008.3.1.1.1",
  "Calling Application Name:    STORESCU",
  "Called Application Name:     ANY-SCP",
  "Our Max PDU Receive Size:    16382",
  "Presentation Contexts:",
  "  Context ID:        1 (Proposed)",
  "    Abstract Syntax: =Stored Print Storage SOP Class",
  "    Proposed SCP/SCU Role: Default",
  "    Proposed Transfer Syntaxes:",
  "      =Explicit VR Little Endian",
  "      =Implicit VR Little Endian",
  "      =Deflated Explicit VR Little Endian",
  "      =Explicit VR Big Endian",
  "  Context ID:        3 (Proposed)",
  "    Abstract Syntax: =Hardcopy Grayscale Image Storage SOP Class",
  "    Proposed SCP/SCU Role: Default",
  "    Proposed Transfer Syntaxes:",
  "      =Explicit VR Little Endian",
  "      =Implicit VR Little Endian",
  "      =Deflated Explicit VR Little Endian",
  "      =Explicit VR Big Endian",
  "  Context ID:        5 (Proposed)",
  "    Abstract Syntax: =Hardcopy Color Image Storage SOP Class",
  "    Proposed SCP/SCU Role: Default",
  "    Proposed Transfer Syntaxes:",
  "      =Explicit VR Little Endian",
];
// ct_small_debug.stderr lines 973-977: the end of the outgoing A-ASSOCIATE-RQ.
const RQ_TAIL = [
  "Requested Extended Negotiation: None",
  "Requested Common Extended Negotiation: None",
  "Requested Asynchronous Operations Window Negotiation: None",
  "Requested User Identity Negotiation: None",
  "========================== END A-ASSOCIATE-RQ PDU ==========================",
];
// ct_small_debug.stderr lines 978-1008: the start of the incoming A-ASSOCIATE-AC.
const AC_HEAD = [
  "Accept Parameters:",
  "======================= INCOMING A-ASSOCIATE-AC PDU ========================",
  "Their Implementation Class UID:    1.2.826.0.1.3680043.9.3811.3.1.0",
  "Their Implementation Version Name: PYNETDICOM_310",
  "Application Context Name:    1.2.840.10008.3.1.1.1",
  "Calling Application Name:    STORESCU",
  "Called Application Name:     ANY-SCP",
  "Their Max PDU Receive Size:  16382",
  "Presentation Contexts:",
  "  Context ID:        1 (Rejected - Abstract Syntax Not Supported)",
  "    Abstract Syntax: =Stored Print Storage SOP Class",
  "  Context ID:        3 (Rejected - Abstract Syntax Not Supported)",
  "    Abstract Syntax: =Hardcopy Grayscale Image Storage SOP Class",
  "  Context ID:        5 (Rejected - Abstract Syntax Not Supported)",
  "    Abstract Syntax: =Hardcopy Color Image Storage SOP Class",
  "  Context ID:        7 (Accepted)",
  "    Abstract Syntax: =Computed Radiography Image Storage",
  "    Accepted SCP/SCU Role: Default",
  "    Accepted Transfer Syntax: =Implicit VR Little Endian",
  "  Context ID:        9 (Accepted)",
  "    Abstract Syntax: =Digital X-Ray Image Storage - For Presentation",
  "    Accepted SCP/SCU Role: Default",
  "    Accepted Transfer Syntax: =Implicit VR Little Endian",
  "  Context ID:        11 (Accepted)",
  "    Abstract Syntax: =Digital X-Ray Image Storage - For Processing",
  "    Accepted SCP/SCU Role: Default",
  "    Accepted Transfer Syntax: =Implicit VR Little Endian",
  "  Context ID:        13 (Accepted)",
  "    Abstract Syntax: =Digital Mammography X-Ray Image Storage - For Presentation",
  "    Accepted SCP/SCU Role: Default",
  "    Accepted Transfer Syntax: =Implicit VR Little Endian",
];
// ct_small_debug.stderr lines 1439-1442: the end of the incoming A-ASSOCIATE-AC.
const AC_TAIL = [
  "Accepted Extended Negotiation: None",
  "Accepted Asynchronous Operations Window Negotiation: None",
  "User Identity Negotiation Response: None",
  "========================== END A-ASSOCIATE-AC PDU ==========================",
];
// reject_debug.txt lines 982-987.
const RJ_BLOCK = [
  "Reject Parameters:",
  "======================= INCOMING A-ASSOCIATE-RJ PDU ========================",
  "Result:    Rejected (Permanent)",
  "Source:    DUL service-user",
  "Reason:    Called AE title not recognised",
  "========================== END A-ASSOCIATE-RJ PDU ==========================",
];
// acse_timeout_debug.txt lines 984-988.
const ABORT_BLOCK = [
  "Abort Parameters:",
  "=========================== OUTGOING A-ABORT PDU ===========================",
  "Abort Source: DUL service-user",
  "Abort Reason: (no value available)",
  "============================= END A-ABORT PDU ==============================",
];

const APP = "1.2.840.10008.3.1.1.1";
const PYNETDICOM_UID = "1.2.826.0.1.3680043.9.3811.3.1.0";
const IMPLICIT = "1.2.840.10008.1.2";
const DEFAULT_TS = [
  "1.2.840.10008.1.2.1",
  IMPLICIT,
  "1.2.840.10008.1.2.1.99",
  "1.2.840.10008.1.2.2",
];
const CT = "1.2.840.10008.5.1.4.1.1.2";
const ascii = (s: string) => new TextEncoder().encode(s);

function ui(extra: Partial<UserInformation>): UserInformation {
  return { ...emptyUserInformation(), ...extra };
}

/** The 120 default contexts storescu proposes (ids 1, 3, 5, ...). */
const defaultContexts: PresentationContextRQ[] = DEFAULT_STORAGE_SOP_CLASSES.map(([uid], i) => ({
  id: 2 * i + 1,
  abstractSyntax: uid,
  transferSyntaxes: [...DEFAULT_TS],
}));

function rq(contexts: PresentationContextRQ[], extra: Partial<UserInformation> = {}): AssociateRQ {
  return {
    type: PduType.AssociateRQ,
    protocolVersion: 1,
    calledAeTitle: "ANY-SCP",
    callingAeTitle: "STORESCU",
    applicationContext: APP,
    presentationContexts: contexts,
    userInfo: ui({
      maxLength: 16382,
      implementationClassUid: PYNETDICOM_UID,
      implementationVersionName: "PYNETDICOM_310",
      ...extra,
    }),
  };
}

function ac(contexts: PresentationContextAC[], extra: Partial<UserInformation> = {}): AssociateAC {
  return {
    type: PduType.AssociateAC,
    protocolVersion: 1,
    calledAeTitle: "ANY-SCP",
    callingAeTitle: "STORESCU",
    applicationContext: APP,
    presentationContexts: contexts,
    userInfo: ui({
      maxLength: 16382,
      implementationClassUid: PYNETDICOM_UID,
      implementationVersionName: "PYNETDICOM_310",
      ...extra,
    }),
  };
}

Deno.test("dump: banners are centred in 76 '=' like Python's :=^76", () => {
  assert.equal(banner("OUTGOING A-ASSOCIATE-RQ PDU"), RQ_HEAD[1]);
  assert.equal(banner("END A-ASSOCIATE-RQ PDU"), RQ_TAIL[4]);
  assert.equal(banner("END A-ABORT PDU"), ABORT_BLOCK[4]);
  assert.equal(banner("OUTGOING A-ABORT PDU"), ABORT_BLOCK[1]);
  for (const t of ["X", "XY", "END DIMSE MESSAGE"]) assert.equal(banner(t).length, 76);
});

Deno.test("dump: outgoing A-ASSOCIATE-RQ matches the capture's first 30 lines and its end", () => {
  const lines = dumpAssociateRQ(rq(defaultContexts));
  assert.deepStrictEqual(lines.slice(0, RQ_HEAD.length), RQ_HEAD);
  assert.deepStrictEqual(lines.slice(-RQ_TAIL.length), RQ_TAIL);
  // header (9 lines) + 120 contexts of 8 lines + tail (5 lines), as in the capture
  assert.equal(lines.length, 9 + 120 * 8 + 5);
});

Deno.test("dump: incoming A-ASSOCIATE-AC matches the capture", () => {
  const results = [3, 3, 3, 0, 0, 0, 0];
  const contexts = results.map((result, i) => ({
    id: 2 * i + 1,
    result,
    transferSyntax: result === 0 ? IMPLICIT : "",
  }));
  // Given out of order: the dump sorts by context ID.
  const lines = dumpAssociateAC(ac(contexts.toReversed()), defaultContexts);
  assert.deepStrictEqual(lines, [...AC_HEAD, ...AC_TAIL]);
});

const CAPTURE = new URL(
  "file:///work/shared/reference/captures/ct_small_debug.stderr",
);
let capture: string[] | undefined;
try {
  capture = Deno.readTextFileSync(CAPTURE).split("\n");
} catch {
  capture = undefined;
}

Deno.test({
  name: "dump: the whole RQ and AC blocks of ct_small_debug.stderr (when the capture is present)",
  ignore: capture === undefined,
  fn() {
    const lines = capture!.filter((l) => l.startsWith("D: ")).map((l) => l.slice(3));
    const rqStart = lines.indexOf("Request Parameters:");
    const rqEnd = lines.indexOf(banner("END A-ASSOCIATE-RQ PDU"));
    assert.deepStrictEqual(dumpAssociateRQ(rq(defaultContexts)), lines.slice(rqStart, rqEnd + 1));
    const acStart = lines.indexOf("Accept Parameters:");
    const acEnd = lines.indexOf(banner("END A-ASSOCIATE-AC PDU"));
    const expected = lines.slice(acStart, acEnd + 1);
    // Rebuild the AC's results from the capture's own context lines.
    const contexts: PresentationContextAC[] = [];
    for (const l of expected) {
      const m = /^ {2}Context ID: +(\d+) \((.*)\)$/.exec(l);
      if (!m) continue;
      const result = [0, 1, 2, 3, 4].find((r) => contextResultText(r) === m[2]);
      assert.notEqual(result, undefined, l);
      contexts.push({ id: Number(m[1]), result: result!, transferSyntax: IMPLICIT });
    }
    assert.equal(contexts.length, 120);
    assert.deepStrictEqual(dumpAssociateAC(ac(contexts), defaultContexts), expected);
  },
});

Deno.test("dump: singular context and transfer syntax wording", () => {
  const lines = dumpAssociateRQ(rq([{ id: 1, abstractSyntax: CT, transferSyntaxes: [IMPLICIT] }]));
  assert.deepStrictEqual(lines.slice(8, 14), [
    "Presentation Context:",
    "  Context ID:        1 (Proposed)",
    "    Abstract Syntax: =CT Image Storage",
    "    Proposed SCP/SCU Role: Default",
    "    Proposed Transfer Syntax:",
    "      =Implicit VR Little Endian",
  ]);
});

Deno.test("dump: unknown UIDs print bare after '='; missing values print None", () => {
  const r = rq([{ id: 1, abstractSyntax: "1.2.3.4", transferSyntaxes: ["1.2.3.5"] }]);
  r.userInfo = ui({});
  const lines = dumpAssociateRQ(r);
  assert.equal(lines[2], "Our Implementation Class UID:      None");
  assert.equal(lines[3], "Application Context Name:    1.2.840.10008.3.1.1.1");
  assert.equal(lines[6], "Our Max PDU Receive Size:    None");
  assert.equal(lines[7], "Presentation Context:");
  assert.equal(lines[8], "  Context ID:        1 (Proposed)");
  assert.equal(lines[9], "    Abstract Syntax: =1.2.3.4");
  assert.equal(lines[12], "      =1.2.3.5");
});

Deno.test("dump: role selection, extended negotiation, async window and user identity (RQ)", () => {
  const VERIFICATION = "1.2.840.10008.1.1";
  const r = rq([
    { id: 1, abstractSyntax: CT, transferSyntaxes: [IMPLICIT] },
    { id: 3, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
    { id: 5, abstractSyntax: "1.2.840.10008.5.1.4.1.1.4", transferSyntaxes: [IMPLICIT] },
  ], {
    roleSelections: [
      { sopClassUid: CT, scuRole: true, scpRole: true },
      { sopClassUid: VERIFICATION, scuRole: false, scpRole: true },
    ],
    extendedNegotiation: [{ sopClassUid: CT, info: new Uint8Array(18).map((_, i) => i) }],
    commonExtendedNegotiation: [
      { sopClassUid: CT, serviceClassUid: "1.2.840.10008.4.2", relatedGeneralSopClassUids: [] },
      {
        sopClassUid: CT,
        serviceClassUid: "1.2.3",
        relatedGeneralSopClassUids: ["1.2.840.10008.5.1.4.1.1.4"],
      },
    ],
    asyncOperationsWindow: { maxOperationsInvoked: 5, maxOperationsPerformed: 3 },
    userIdentity: {
      identityType: 2,
      positiveResponseRequested: true,
      primaryField: ascii("user"),
      secondaryField: ascii("pass"),
    },
  });
  const lines = dumpAssociateRQ(r);
  assert.equal(lines[11], "    Proposed SCP/SCU Role: SCP/SCU");
  assert.equal(lines[16], "    Proposed SCP/SCU Role: SCP");
  assert.equal(lines[21], "    Proposed SCP/SCU Role: Default");
  assert.deepStrictEqual(lines.slice(24), [
    "Requested Extended Negotiation:",
    "  SOP Class: =1.2.840.10008.5.1.4.1.1.2",
    "    00  01  02  03  04  05  06  07  08  09  0a  0b  0c  0d  0e  0f",
    "    10  11",
    "Requested Common Extended Negotiation:",
    "  SOP Class: =CT Image Storage",
    "    Service Class: =1.2.840.10008.4.2",
    "    Related General SOP Classes: None",
    "  SOP Class: =CT Image Storage",
    "    Service Class: =1.2.3",
    "    Related General SOP Class(es):",
    "      =MR Image Storage",
    "Requested Asynchronous Operations Window Negotiation:",
    "  Maximum Invoked Operations:     5",
    "  Maximum Performed Operations:   3",
    "Requested User Identity Negotiation:",
    "  Authentication Mode: 2 - Username/Password",
    "  Username: [user]",
    "  Password (not dumped) length: 4",
    "  Positive Response Requested: Yes",
    "========================== END A-ASSOCIATE-RQ PDU ==========================",
  ]);
});

Deno.test("dump: user identity types and the response-requested wording by direction", () => {
  const lines = (type: number, pos: boolean, dir: "outgoing" | "incoming") => {
    const all = dumpAssociateRQ(
      rq([], {
        userIdentity: {
          identityType: type,
          positiveResponseRequested: pos,
          primaryField: ascii("abc"),
          secondaryField: new Uint8Array(),
        },
      }),
      dir,
    );
    return all.slice(all.indexOf("Requested User Identity Negotiation:") + 1, -1);
  };
  assert.deepStrictEqual(lines(1, false, "outgoing"), [
    "  Authentication Mode: 1 - Username",
    "  Username: [abc]",
    "  Positive Response Requested: No",
  ]);
  assert.deepStrictEqual(lines(1, false, "incoming").at(-1), "  Positive Response Requested: None");
  assert.deepStrictEqual(lines(3, true, "outgoing").slice(0, 2), [
    "  Authentication Mode: 3 - Kerberos",
    "  Kerberos Service Ticket (not dumped) length: 3",
  ]);
  assert.equal(lines(4, true, "outgoing")[1], "  SAML Assertion (not dumped) length: 3");
  assert.equal(lines(5, true, "outgoing")[1], "  JSON Web Token (not dumped) length: 3");
  assert.equal(lines(9, true, "outgoing")[0], "  Authentication Mode: 9 - (no value available)");
});

Deno.test("dump: extended negotiation over 512 bytes is cut like pynetdicom", () => {
  const lines = dumpAssociateRQ(
    rq([], { extendedNegotiation: [{ sopClassUid: "1.2", info: new Uint8Array(520) }] }),
  );
  const i = lines.indexOf("Requested Extended Negotiation:");
  assert.equal(lines[i + 2], "    Only dumping 512 bytes.");
  assert.equal(lines.filter((l) => l.startsWith("    00  00")).length, 32);
});

Deno.test("dump: incoming A-ASSOCIATE-RQ (our SCP) uses 'Their' wording and sorts contexts", () => {
  const r = rq([
    { id: 3, abstractSyntax: CT, transferSyntaxes: [IMPLICIT] },
    { id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: [IMPLICIT] },
  ]);
  r.userInfo = ui({ maxLength: 0 });
  const lines = dumpAssociateRQ(r, "incoming");
  assert.deepStrictEqual(lines.slice(0, 10), [
    "Request Parameters:",
    "======================= INCOMING A-ASSOCIATE-RQ PDU ========================",
    "Their Implementation Class UID:      unknown",
    "Their Implementation Version Name:   unknown",
    "Application Context Name:    1.2.840.10008.3.1.1.1",
    "Calling Application Name:    STORESCU",
    "Called Application Name:     ANY-SCP",
    "Their Max PDU Receive Size:  0",
    "Presentation Contexts:",
    "  Context ID:        1 (Proposed)",
  ]);
  assert.equal(lines[10], "    Abstract Syntax: =Verification SOP Class");
});

Deno.test("dump: outgoing A-ASSOCIATE-AC (our SCP) wording", () => {
  const requested: PresentationContextRQ[] = [
    { id: 1, abstractSyntax: CT, transferSyntaxes: [IMPLICIT] },
    { id: 3, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: [IMPLICIT] },
  ];
  const a = ac([
    { id: 3, result: 1, transferSyntax: "" },
    { id: 1, result: 0, transferSyntax: IMPLICIT },
  ], {
    roleSelections: [{ sopClassUid: CT, scuRole: true, scpRole: false }],
    asyncOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
    userIdentityResponse: { serverResponse: new Uint8Array() },
  });
  assert.deepStrictEqual(dumpAssociateAC(a, requested, "outgoing"), [
    "Accept Parameters:",
    "======================= OUTGOING A-ASSOCIATE-AC PDU ========================",
    "Our Implementation Class UID:      1.2.826.0.1.3680043.9.3811.3.1.0",
    "Our Implementation Version Name:   PYNETDICOM_310",
    "Application Context Name:    1.2.840.10008.3.1.1.1",
    "Responding Application Name: resp. AE Title",
    "Our Max PDU Receive Size:    16382",
    "Presentation Contexts:",
    "  Context ID:        1 (Accepted)",
    "    Abstract Syntax: =CT Image Storage",
    "    Accepted SCP/SCU Role: SCU",
    "    Accepted Transfer Syntax: =Implicit VR Little Endian",
    "  Context ID:        3 (User Rejection)",
    "    Abstract Syntax: =Verification SOP Class",
    "Accepted Extended Negotiation: None",
    "Accepted Asynchronous Operations Window Negotiation:",
    "  Maximum Invoked Operations:     1",
    "  Maximum Performed Operations:   1",
    "User Identity Negotiation Response: Yes",
    "========================== END A-ASSOCIATE-AC PDU ==========================",
  ]);
  const empty = dumpAssociateAC(ac([]), [], "outgoing");
  assert.equal(empty[7], "Presentation Contexts: None");
  assert.equal(dumpAssociateAC(ac([]), [])[8], "Presentation Contexts:");
});

Deno.test("dump: incoming AC without implementation UID/version says unknown", () => {
  const a = ac([{ id: 9, result: 0, transferSyntax: IMPLICIT }]);
  a.userInfo = ui({ maxLength: 0 });
  const lines = dumpAssociateAC(a, []);
  assert.equal(lines[2], "Their Implementation Class UID:    unknown");
  assert.equal(lines[3], "Their Implementation Version Name: unknown");
  assert.equal(lines[10], "    Abstract Syntax: =(unknown)");
});

Deno.test("dump: presentation context result texts", () => {
  assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map(contextResultText), [
    "Accepted",
    "User Rejection",
    "Provider Rejection",
    "Rejected - Abstract Syntax Not Supported",
    "Rejected - Transfer Syntax Not Supported",
    "(no value available)",
  ]);
});

Deno.test("dump: A-ASSOCIATE-RJ matches reject_debug.txt", () => {
  assert.deepStrictEqual(
    dumpAssociateRJ({ type: PduType.AssociateRJ, result: 1, source: 1, reason: 7 }),
    RJ_BLOCK,
  );
  assert.deepStrictEqual(
    dumpAssociateRJ({ type: PduType.AssociateRJ, result: 2, source: 3, reason: 1 }, "outgoing"),
    [
      "Reject Parameters:",
      "======================= OUTGOING A-ASSOCIATE-RJ PDU ========================",
      "Result:    Rejected (Transient)",
      "Source:    DUL service-provider (presentation related)",
      "Reason:    Temporary congestion",
      "========================== END A-ASSOCIATE-RJ PDU ==========================",
    ],
  );
  const odd = dumpAssociateRJ({ type: PduType.AssociateRJ, result: 9, source: 2, reason: 2 });
  assert.deepStrictEqual(odd.slice(2, 5), [
    "Result:    (no value available)",
    "Source:    DUL service-provider (ACSE related)",
    "Reason:    Protocol version not supported",
  ]);
});

Deno.test("dump: A-ABORT matches acse_timeout_debug.txt, both directions", () => {
  assert.deepStrictEqual(dumpAbort({ type: PduType.Abort, source: 0, reason: 0 }), ABORT_BLOCK);
  assert.deepStrictEqual(dumpAbort({ type: PduType.Abort, source: 2, reason: 2 }, "incoming"), [
    "Abort Parameters:",
    "=========================== INCOMING A-ABORT PDU ===========================",
    "Abort Source: DUL service-provider",
    "Abort Reason: Unexpected PDU",
    "============================= END A-ABORT PDU ==============================",
  ]);
  const odd = dumpAbort({ type: PduType.Abort, source: 5, reason: 9 });
  assert.equal(odd[2], "Abort Source: (no value available)");
  assert.equal(odd[3], "Abort Reason: (no value available)");
  assert.equal(
    dumpAbort({ type: PduType.Abort, source: 1, reason: 0 })[2],
    "Abort Source: Reserved",
  );
});

Deno.test("dump: rejection text tables for the non-debug log lines", () => {
  // reject_debug.txt: "E: Result: Rejected Permanent, Source: Service User"
  assert.equal(
    `Result: ${rejectResultText(1)}, Source: ${rejectSourceText(1)}`,
    "Result: Rejected Permanent, Source: Service User",
  );
  assert.equal(rejectReasonText(1, 7), "Called AE title not recognised");
  assert.equal(rejectResultText(2), "Rejected Transient");
  assert.equal(rejectResultText(7), "(no value available)");
  assert.equal(rejectSourceText(2), "Service Provider (ACSE)");
  assert.equal(rejectSourceText(3), "Service Provider (Presentation)");
  assert.equal(rejectSourceText(0), "(no value available)");
  assert.deepStrictEqual([1, 2, 3, 4, 7, 10, 11].map((r) => rejectReasonText(1, r)), [
    "No reason given",
    "Application context name not supported",
    "Calling AE title not recognised",
    "Reserved",
    "Called AE title not recognised",
    "Reserved",
    "(no value available)",
  ]);
  assert.deepStrictEqual([1, 2, 3].map((r) => rejectReasonText(2, r)), [
    "No reason given",
    "Protocol version not supported",
    "(no value available)",
  ]);
  assert.deepStrictEqual([0, 1, 2, 7, 8].map((r) => rejectReasonText(3, r)), [
    "Reserved",
    "Temporary congestion",
    "Local limit exceeded",
    "Reserved",
    "(no value available)",
  ]);
  assert.equal(rejectReasonText(4, 1), "(no value available)");
});

Deno.test("dump: no secret of any identity type appears, only its length", () => {
  const secret = "pa55-w0rd-secret";
  for (const type of [2, 3, 4, 5]) {
    const lines = [
      ...dumpAssociateRQ(
        rq([], {
          userIdentity: {
            identityType: type,
            positiveResponseRequested: true,
            primaryField: ascii(type === 2 ? "alice" : secret),
            secondaryField: type === 2 ? ascii(secret) : new Uint8Array(),
          },
        }),
        "outgoing",
      ),
      ...dumpAssociateAC(ac([], { userIdentityResponse: { serverResponse: ascii(secret) } }), []),
    ];
    assert.ok(!lines.join("\n").includes(secret), `type ${type}`);
    assert.ok(lines.some((l) => l.endsWith(`length: ${secret.length}`)), `type ${type}`);
  }
  const ac2 = dumpAssociateAC(
    ac([], { userIdentityResponse: { serverResponse: ascii("tok") } }),
    [],
  );
  assert.deepStrictEqual(ac2.slice(-3, -1), [
    "User Identity Negotiation Response: Yes",
    "  Server Response (not dumped) length: 3",
  ]);
});
