/**
 * ACSE (lib/acse.ts): AE title rules with the reference's messages, the A-ASSOCIATE-RQ we
 * build (pinned against the reference's capture), and acceptor negotiation.
 */
import assert from "node:assert/strict";
import {
  AeTitleError,
  buildAssociateRQ,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  negotiateAsAcceptor,
  validateAeTitle,
} from "../lib/acse.ts";
import {
  type AssociateAC,
  type AssociateRJ,
  type AssociateRQ,
  ContextResult,
  decodePdu,
  encodePdu,
  PduType,
} from "../lib/pdu/mod.ts";
import {
  DEFLATED_EXPLICIT_VR_LE as DEFL,
  EXPLICIT_VR_BE as BE,
  EXPLICIT_VR_LE as ELE,
  IMPLICIT_VR_LE as ILE,
} from "../lib/uids.ts";
import { sharedDir } from "./peers.ts";

const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";

function aeError(value: string): string {
  try {
    validateAeTitle(value);
  } catch (err) {
    assert.ok(err instanceof AeTitleError);
    return err.message;
  }
  assert.fail(`'${value}' accepted`);
}

Deno.test("validateAeTitle: the reference's messages", () => {
  assert.equal(
    aeError("ABCDEFGHIJKLMNOPQ"),
    "Invalid 'ae_title' value 'ABCDEFGHIJKLMNOPQ' - must not exceed 16 characters",
  );
  assert.equal(aeError(""), "Invalid 'ae_title' value - must not be an empty str");
  assert.equal(
    aeError("   "),
    "Invalid 'ae_title' value '   ' - must not consist entirely of spaces",
  );
  assert.equal(
    aeError("A\\B"),
    "Invalid 'ae_title' value 'A\\B' - must not contain control characters or backslashes",
  );
  assert.equal(
    aeError("A\tB"),
    "Invalid 'ae_title' value 'A\tB' - must not contain control characters or backslashes",
  );
  assert.match(aeError("A\x7fB"), /must not contain control characters or backslashes$/);
  assert.equal(
    aeError("ÄRZTE"),
    "Invalid 'ae_title' value 'ÄRZTE' - must only contain ASCII characters",
  );
});

Deno.test("validateAeTitle: 16 characters, inner and outer spaces are fine", () => {
  for (const ok of ["STORESCU", "ABCDEFGHIJKLMNOP", " A", "A ", "MY SCP", "a-b_c.d*?%"]) {
    assert.equal(validateAeTitle(ok), ok);
  }
  // Length counts the spaces.
  assert.match(aeError(" ABCDEFGHIJKLMNOP"), /must not exceed 16 characters/);
});

const CONTEXT = { id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] };

Deno.test("buildAssociateRQ: user information has exactly max length, class UID, version name", () => {
  const rq = buildAssociateRQ({
    callingAeTitle: "STORESCU",
    calledAeTitle: "ANY-SCP",
    presentationContexts: [CONTEXT],
    maxPduLength: 16382,
  });
  assert.equal(rq.type, PduType.AssociateRQ);
  assert.equal(rq.protocolVersion, 1);
  assert.equal(rq.applicationContext, "1.2.840.10008.3.1.1.1");
  assert.equal(rq.userInfo.maxLength, 16382);
  assert.equal(rq.userInfo.implementationClassUid, IMPLEMENTATION_CLASS_UID);
  assert.equal(rq.userInfo.implementationVersionName, IMPLEMENTATION_VERSION_NAME);
  assert.equal(rq.userInfo.asyncOperationsWindow, undefined);
  assert.deepEqual(rq.userInfo.roleSelections, []);
  assert.deepEqual(rq.userInfo.extendedNegotiation, []);
  assert.deepEqual(rq.userInfo.commonExtendedNegotiation, []);
  assert.equal(rq.userInfo.userIdentity, undefined);

  // On the wire: sub-items 0x51, 0x52, 0x55 in that order, nothing else.
  const bytes = encodePdu(rq);
  const ui = findItem(bytes, 0x50);
  assert.ok(ui);
  assert.deepEqual(subItemTypes(ui), [0x51, 0x52, 0x55]);
  assert.deepEqual(decodePdu(bytes), rq);

  const withAsync = buildAssociateRQ({
    callingAeTitle: "A",
    calledAeTitle: "B",
    presentationContexts: [CONTEXT],
    maxPduLength: 0,
    asyncOperationsWindow: { maxOperationsInvoked: 8, maxOperationsPerformed: 1 },
  });
  assert.equal(withAsync.userInfo.maxLength, 0);
  assert.deepEqual(subItemTypes(findItem(encodePdu(withAsync), 0x50)!), [0x51, 0x52, 0x53, 0x55]);
});

Deno.test("our implementation identity is well-formed", () => {
  assert.match(IMPLEMENTATION_CLASS_UID, /^2\.25\.(0|[1-9]\d*)$/);
  assert.ok(IMPLEMENTATION_CLASS_UID.length <= 64);
  assert.ok(IMPLEMENTATION_VERSION_NAME.length >= 1 && IMPLEMENTATION_VERSION_NAME.length <= 16);
  // 2.25 UIDs are UUIDs as a decimal integer: below 2^128.
  assert.ok(BigInt(IMPLEMENTATION_CLASS_UID.slice(5)) < 1n << 128n);
});

/** The item of `type` at the top level of an A-ASSOCIATE PDU's variable field. */
function findItem(pdu: Uint8Array, type: number): Uint8Array | undefined {
  const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  let p = 74;
  while (p + 4 <= pdu.length) {
    const len = view.getUint16(p + 2);
    if (pdu[p] === type) return pdu.subarray(p + 4, p + 4 + len);
    p += 4 + len;
  }
  return undefined;
}

function subItemTypes(item: Uint8Array): number[] {
  const view = new DataView(item.buffer, item.byteOffset, item.byteLength);
  const types: number[] = [];
  for (let p = 0; p + 4 <= item.length; p += 4 + view.getUint16(p + 2)) types.push(item[p]);
  return types;
}

Deno.test("buildAssociateRQ: byte-identical to the reference's A-ASSOCIATE-RQ (its identity swapped in)", async () => {
  const text = await Deno.readTextFile(`${sharedDir}/reference/captures/pdu_trace_cx_ct.txt`);
  const block = text.split(/\n(?=\S)/).find((b) => b.startsWith("SCU->SCP A-ASSOCIATE-RQ"))!;
  const want = new Uint8Array(
    block.split("\n").slice(1).join(" ").trim().split(/\s+/).map((h) => parseInt(h, 16)),
  );
  assert.equal(want.length, 6 + 219);
  const rq = buildAssociateRQ({
    callingAeTitle: "STORESCU",
    calledAeTitle: "ANY-SCP",
    presentationContexts: [CONTEXT],
    maxPduLength: 4096, // that run used -pdu 4096 (sub-item 0x51 = 00 00 10 00)
  });
  rq.userInfo.implementationClassUid = "1.2.826.0.1.3680043.9.3811.3.1.0";
  rq.userInfo.implementationVersionName = "PYNETDICOM_310";
  assert.deepEqual(encodePdu(rq), want);
});

function rqWith(
  contexts: AssociateRQ["presentationContexts"],
  over: Partial<AssociateRQ> = {},
): AssociateRQ {
  return {
    ...buildAssociateRQ({
      callingAeTitle: "STORESCU",
      calledAeTitle: "ANY-SCP",
      presentationContexts: contexts,
      maxPduLength: 16382,
    }),
    ...over,
  };
}

function asAC(x: AssociateAC | AssociateRJ): AssociateAC {
  assert.equal(x.type, PduType.AssociateAC, JSON.stringify(x));
  return x as AssociateAC;
}

const ALL4 = [ELE, ILE, DEFL, BE];

Deno.test("negotiateAsAcceptor: one result per proposed context, in order", () => {
  const rq = rqWith([
    { id: 1, abstractSyntax: CT, transferSyntaxes: ALL4 },
    { id: 3, abstractSyntax: MR, transferSyntaxes: [BE, ILE] },
    { id: 5, abstractSyntax: "1.2.3.4", transferSyntaxes: [ELE] },
    { id: 7, abstractSyntax: CT, transferSyntaxes: ["1.2.840.10008.1.2.4.50"] },
  ]);
  const ac = asAC(negotiateAsAcceptor(rq, {
    abstractSyntaxes: new Set([CT, MR]),
    transferSyntaxes: [ILE, ELE],
    maxPduLength: 4096,
  }));
  assert.deepEqual(ac.presentationContexts.map((c) => [c.id, c.result]), [
    [1, ContextResult.Acceptance],
    [3, ContextResult.Acceptance],
    [5, ContextResult.AbstractSyntaxNotSupported],
    [7, ContextResult.TransferSyntaxesNotSupported],
  ]);
  // Proposer's order by default.
  assert.equal(ac.presentationContexts[0].transferSyntax, ELE);
  assert.equal(ac.presentationContexts[1].transferSyntax, ILE);
  assert.equal(ac.userInfo.maxLength, 4096);
  assert.equal(ac.userInfo.implementationClassUid, IMPLEMENTATION_CLASS_UID);
  assert.equal(ac.calledAeTitle, "ANY-SCP");
  assert.equal(ac.callingAeTitle, "STORESCU");
  assert.equal(ac.userInfo.asyncOperationsWindow, undefined);
  // Our own order when asked.
  const own = asAC(negotiateAsAcceptor(rq, {
    transferSyntaxes: [ILE, ELE],
    preferOwnOrder: true,
    maxPduLength: 0,
  }));
  assert.equal(own.presentationContexts[0].transferSyntax, ILE);
  assert.equal(own.presentationContexts[2].result, ContextResult.Acceptance);
});

Deno.test("negotiateAsAcceptor: rejections (policy, application context, AE titles)", () => {
  const rq = rqWith([{ id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] }]);
  const base = { transferSyntaxes: [ELE], maxPduLength: 0 };
  assert.deepEqual(
    negotiateAsAcceptor(rq, { ...base, reject: { result: 2, source: 3, reason: 1 } }),
    {
      type: PduType.AssociateRJ,
      result: 2,
      source: 3,
      reason: 1,
    },
  );
  assert.deepEqual(
    negotiateAsAcceptor({ ...rq, applicationContext: "1.2.3" }, base),
    { type: PduType.AssociateRJ, result: 1, source: 1, reason: 2 },
  );
  assert.deepEqual(negotiateAsAcceptor(rq, { ...base, aeTitle: "ARCHIVE" }), {
    type: PduType.AssociateRJ,
    result: 1,
    source: 1,
    reason: 7,
  });
  // Padding spaces don't matter.
  asAC(negotiateAsAcceptor(rq, { ...base, aeTitle: "ANY-SCP " }));
  assert.deepEqual(negotiateAsAcceptor(rq, { ...base, allowedCallingAeTitles: ["OTHER"] }), {
    type: PduType.AssociateRJ,
    result: 1,
    source: 1,
    reason: 3,
  });
  asAC(negotiateAsAcceptor(rq, { ...base, allowedCallingAeTitles: ["OTHER", "STORESCU"] }));
});

Deno.test("negotiateAsAcceptor: asynchronous operations window is answered only when asked", () => {
  const rq = rqWith([{ id: 1, abstractSyntax: CT, transferSyntaxes: [ELE] }]);
  rq.userInfo = {
    ...rq.userInfo,
    asyncOperationsWindow: { maxOperationsInvoked: 8, maxOperationsPerformed: 1 },
  };
  const sync = asAC(negotiateAsAcceptor(rq, { transferSyntaxes: [ELE], maxPduLength: 0 }));
  assert.deepEqual(sync.userInfo.asyncOperationsWindow, {
    maxOperationsInvoked: 1,
    maxOperationsPerformed: 1,
  });
  const async = asAC(negotiateAsAcceptor(rq, {
    transferSyntaxes: [ELE],
    maxPduLength: 0,
    maxOperationsPerformed: 4,
  }));
  assert.deepEqual(async.userInfo.asyncOperationsWindow, {
    maxOperationsInvoked: 4,
    maxOperationsPerformed: 1,
  });
  // 0 = unlimited invoked: we answer with our limit.
  rq.userInfo.asyncOperationsWindow = { maxOperationsInvoked: 0, maxOperationsPerformed: 0 };
  const unl = asAC(negotiateAsAcceptor(rq, {
    transferSyntaxes: [ELE],
    maxPduLength: 0,
    maxOperationsPerformed: 16,
  }));
  assert.equal(unl.userInfo.asyncOperationsWindow?.maxOperationsInvoked, 16);
  // The AC encodes and decodes.
  assert.deepEqual(decodePdu(encodePdu(unl)), unl);
});
