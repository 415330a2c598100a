/**
 * The `-d` (debug) dump of association PDUs, worded line for line like pynetdicom's standard
 * PDU logging handlers (the words for results, sources and reasons are in `words.ts`).
 *
 * Dump functions return lines without the `"D: "` log prefix.
 *
 * @module
 */

import { uidName } from "../uids.ts";
import {
  abortReasonText,
  abortSourceText,
  NO_VALUE,
  rejectReasonText,
  rjResultDumpText,
  rjSourceDumpText,
} from "./words.ts";
import type {
  Abort,
  AssociateAC,
  AssociateRJ,
  AssociateRQ,
  PresentationContextRQ,
  RoleSelection,
  UserIdentityRQ,
} from "./types.ts";

/** Whether a PDU is being sent by us (`"outgoing"`) or was received (`"incoming"`). */
export type DumpDirection = "outgoing" | "incoming";

/**
 * A banner line: ` TEXT ` centred in 76 `=`, like Python's `f"{' TEXT ':=^76}"`.
 *
 * @example
 * ```ts
 * import { banner } from "jsr:@x/storescu/pdu";
 * banner("END A-ABORT PDU");
 * // "============================= END A-ABORT PDU =============================="
 * ```
 */
export function banner(text: string): string {
  const t = ` ${text} `;
  const pad = Math.max(0, 76 - t.length);
  const left = Math.floor(pad / 2);
  return "=".repeat(left) + t + "=".repeat(pad - left);
}

/** `=Name` for a known UID, `=uid` otherwise, as pydicom's `UID.name` prints. */
function named(uid: string): string {
  return `=${uidName(uid) ?? uid}`;
}

/** Hex lines of extended negotiation data, like pynetdicom's `pretty_bytes` (512 bytes max). */
function prettyBytes(data: Uint8Array): string[] {
  const lines: string[] = [];
  const max = 512;
  let count = 0;
  let cut = false;
  for (let i = 0; i < data.length; i += 16) {
    const chunk = data.subarray(i, i + 16);
    count += chunk.length;
    if (count > max) {
      cut = true;
      break;
    }
    lines.push("  " + Array.from(chunk, (b) => b.toString(16).padStart(2, "0")).join("  "));
  }
  if (cut) lines.unshift(`  Only dumping ${max} bytes.`);
  return lines;
}

/** "SCP/SCU", "SCP", "SCU", "" or "Default" for an abstract syntax, as pynetdicom words it. */
function roleText(roles: Map<string, RoleSelection>, abstractSyntax: string): string {
  const role = roles.get(abstractSyntax);
  if (!role) return "Default";
  const parts: string[] = [];
  if (role.scpRole) parts.push("SCP");
  if (role.scuRole) parts.push("SCU");
  return parts.join("/");
}

function roleMap(roles: readonly RoleSelection[]): Map<string, RoleSelection> {
  return new Map(roles.map((r) => [r.sopClassUid, r]));
}

const utf8 = new TextDecoder();

/**
 * Text of a User Identity Type (PS3.7 table D.3-14), as pynetdicom names it.
 *
 * @example
 * ```ts
 * import { userIdentityTypeText } from "jsr:@x/storescu/pdu";
 * userIdentityTypeText(2); // "Username/Password"
 * ```
 */
export function userIdentityTypeText(type: number): string {
  return ["", "Username", "Username/Password", "Kerberos", "SAML", "JSON Web Token"][type] ||
    NO_VALUE;
}

function userIdentityLines(id: UserIdentityRQ, direction: DumpDirection): string[] {
  const s = [
    "Requested User Identity Negotiation:",
    `  Authentication Mode: ${id.identityType} - ${userIdentityTypeText(id.identityType)}`,
  ];
  const pLen = id.primaryField.length;
  switch (id.identityType) {
    case 1:
      s.push(`  Username: [${utf8.decode(id.primaryField)}]`);
      break;
    case 2:
      // The passcode is a secret: its length only (pynetdicom prints it).
      s.push(`  Username: [${utf8.decode(id.primaryField)}]`);
      s.push(`  Password (not dumped) length: ${id.secondaryField.length}`);
      break;
    case 3:
      s.push(`  Kerberos Service Ticket (not dumped) length: ${pLen}`);
      break;
    case 4:
      s.push(`  SAML Assertion (not dumped) length: ${pLen}`);
      break;
    case 5:
      s.push(`  JSON Web Token (not dumped) length: ${pLen}`);
      break;
  }
  // pynetdicom's incoming handler says "None" where the outgoing one says "No".
  const no = direction === "outgoing" ? "No" : "None";
  s.push(`  Positive Response Requested: ${id.positiveResponseRequested ? "Yes" : no}`);
  return s;
}

function str(v: string | number | undefined): string {
  return v === undefined ? "None" : String(v);
}

/**
 * The dump of an A-ASSOCIATE-RQ: `"outgoing"` for the one we send (as an SCU), `"incoming"`
 * for one we receive (as an SCP).
 *
 * @example
 * ```ts
 * import { dumpAssociateRQ } from "jsr:@x/storescu/pdu";
 * import { emptyUserInformation, PduType } from "jsr:@x/storescu/pdu";
 * const lines = dumpAssociateRQ({
 *   type: PduType.AssociateRQ,
 *   protocolVersion: 1,
 *   calledAeTitle: "ANY-SCP",
 *   callingAeTitle: "STORESCU",
 *   applicationContext: "1.2.840.10008.3.1.1.1",
 *   presentationContexts: [],
 *   userInfo: { ...emptyUserInformation(), maxLength: 16382 },
 * });
 * lines[0]; // "Request Parameters:"
 * ```
 */
export function dumpAssociateRQ(
  rq: AssociateRQ,
  direction: DumpDirection = "outgoing",
): string[] {
  const ui = rq.userInfo;
  const out = direction === "outgoing";
  const s = ["Request Parameters:", banner(`${out ? "OUTGOING" : "INCOMING"} A-ASSOCIATE-RQ PDU`)];
  if (out) {
    s.push(`Our Implementation Class UID:      ${str(ui.implementationClassUid)}`);
    if (ui.implementationVersionName) {
      s.push(`Our Implementation Version Name:   ${ui.implementationVersionName}`);
    }
  } else {
    s.push(`Their Implementation Class UID:      ${ui.implementationClassUid || "unknown"}`);
    s.push(`Their Implementation Version Name:   ${ui.implementationVersionName || "unknown"}`);
  }
  s.push(`Application Context Name:    ${rq.applicationContext}`);
  s.push(`Calling Application Name:    ${rq.callingAeTitle}`);
  s.push(`Called Application Name:     ${rq.calledAeTitle}`);
  s.push(
    `${out ? "Our Max PDU Receive Size:    " : "Their Max PDU Receive Size:  "}${
      str(ui.maxLength)
    }`,
  );
  const contexts = out
    ? rq.presentationContexts
    : [...rq.presentationContexts].sort((a, b) => a.id - b.id);
  s.push(contexts.length === 1 ? "Presentation Context:" : "Presentation Contexts:");
  const roles = roleMap(ui.roleSelections);
  for (const cx of contexts) {
    s.push(`  Context ID:        ${cx.id} (Proposed)`);
    s.push(`    Abstract Syntax: ${named(cx.abstractSyntax)}`);
    s.push(`    Proposed SCP/SCU Role: ${roleText(roles, cx.abstractSyntax)}`);
    s.push(
      cx.transferSyntaxes.length === 1
        ? "    Proposed Transfer Syntax:"
        : "    Proposed Transfer Syntaxes:",
    );
    for (const ts of cx.transferSyntaxes) s.push(`      ${named(ts)}`);
  }
  if (ui.extendedNegotiation.length > 0) {
    s.push("Requested Extended Negotiation:");
    for (const x of ui.extendedNegotiation) {
      s.push(`  SOP Class: =${x.sopClassUid}`);
      for (const line of prettyBytes(x.info)) s.push(`  ${line}`);
    }
  } else {
    s.push("Requested Extended Negotiation: None");
  }
  if (ui.commonExtendedNegotiation.length > 0) {
    s.push("Requested Common Extended Negotiation:");
    for (const c of ui.commonExtendedNegotiation) {
      s.push(`  SOP Class: ${named(c.sopClassUid)}`);
      s.push(`    Service Class: ${named(c.serviceClassUid)}`);
      if (c.relatedGeneralSopClassUids.length > 0) {
        s.push("    Related General SOP Class(es):");
        for (const uid of c.relatedGeneralSopClassUids) s.push(`      ${named(uid)}`);
      } else {
        s.push("    Related General SOP Classes: None");
      }
    }
  } else {
    s.push("Requested Common Extended Negotiation: None");
  }
  s.push(...asyncLines("Requested", ui.asyncOperationsWindow));
  if (ui.userIdentity) {
    s.push(...userIdentityLines(ui.userIdentity, direction));
  } else {
    s.push("Requested User Identity Negotiation: None");
  }
  s.push(banner("END A-ASSOCIATE-RQ PDU"));
  return s;
}

function asyncLines(
  verb: string,
  w: { maxOperationsInvoked: number; maxOperationsPerformed: number } | undefined,
): string[] {
  if (!w) return [`${verb} Asynchronous Operations Window Negotiation: None`];
  return [
    `${verb} Asynchronous Operations Window Negotiation:`,
    `  Maximum Invoked Operations:     ${w.maxOperationsInvoked}`,
    `  Maximum Performed Operations:   ${w.maxOperationsPerformed}`,
  ];
}

/**
 * Text of a presentation context result in an A-ASSOCIATE-AC (PS3.8 table 9-18), as
 * pynetdicom words it.
 *
 * @example
 * ```ts
 * import { contextResultText } from "jsr:@x/storescu/pdu";
 * contextResultText(3); // "Rejected - Abstract Syntax Not Supported"
 * ```
 */
export function contextResultText(result: number): string {
  return [
    "Accepted",
    "User Rejection",
    "Provider Rejection",
    "Rejected - Abstract Syntax Not Supported",
    "Rejected - Transfer Syntax Not Supported",
  ][result] ?? NO_VALUE;
}

/**
 * The dump of an A-ASSOCIATE-AC: `"incoming"` for the one we receive (as an SCU),
 * `"outgoing"` for one we send (as an SCP). The AC does not carry abstract syntaxes, so
 * `requested` (the contexts of the matching A-ASSOCIATE-RQ) supplies them by context ID.
 *
 * @example
 * ```ts
 * import { dumpAssociateAC } from "jsr:@x/storescu/pdu";
 * import { emptyUserInformation, PduType } from "jsr:@x/storescu/pdu";
 * const lines = dumpAssociateAC({
 *   type: PduType.AssociateAC,
 *   protocolVersion: 1,
 *   calledAeTitle: "ANY-SCP",
 *   callingAeTitle: "STORESCU",
 *   applicationContext: "1.2.840.10008.3.1.1.1",
 *   presentationContexts: [{ id: 1, result: 0, transferSyntax: "1.2.840.10008.1.2" }],
 *   userInfo: { ...emptyUserInformation(), maxLength: 16382 },
 * }, [{ id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] }]);
 * lines[9]; // "  Context ID:        1 (Accepted)"
 * ```
 */
export function dumpAssociateAC(
  ac: AssociateAC,
  requested: readonly PresentationContextRQ[],
  direction: DumpDirection = "incoming",
): string[] {
  const ui = ac.userInfo;
  const out = direction === "outgoing";
  const s = ["Accept Parameters:", banner(`${out ? "OUTGOING" : "INCOMING"} A-ASSOCIATE-AC PDU`)];
  if (out) {
    s.push(`Our Implementation Class UID:      ${str(ui.implementationClassUid)}`);
    if (ui.implementationVersionName) {
      s.push(`Our Implementation Version Name:   ${ui.implementationVersionName}`);
    }
    s.push(`Application Context Name:    ${ac.applicationContext}`);
    s.push("Responding Application Name: resp. AE Title");
    s.push(`Our Max PDU Receive Size:    ${str(ui.maxLength)}`);
  } else {
    s.push(`Their Implementation Class UID:    ${ui.implementationClassUid || "unknown"}`);
    s.push(`Their Implementation Version Name: ${ui.implementationVersionName || "unknown"}`);
    s.push(`Application Context Name:    ${ac.applicationContext}`);
    s.push(`Calling Application Name:    ${ac.callingAeTitle}`);
    s.push(`Called Application Name:     ${ac.calledAeTitle}`);
    s.push(`Their Max PDU Receive Size:  ${str(ui.maxLength)}`);
  }
  const contexts = [...ac.presentationContexts].sort((a, b) => a.id - b.id);
  s.push(out && contexts.length === 0 ? "Presentation Contexts: None" : "Presentation Contexts:");
  const abstract = new Map(requested.map((cx) => [cx.id, cx.abstractSyntax]));
  const roles = roleMap(ui.roleSelections);
  for (const cx of contexts) {
    s.push(`  Context ID:        ${cx.id} (${contextResultText(cx.result)})`);
    const as = abstract.get(cx.id);
    s.push(`    Abstract Syntax: ${as === undefined ? "=(unknown)" : named(as)}`);
    if (cx.result === 0) {
      s.push(`    Accepted SCP/SCU Role: ${as === undefined ? "Default" : roleText(roles, as)}`);
      s.push(`    Accepted Transfer Syntax: ${named(cx.transferSyntax)}`);
    }
  }
  if (ui.extendedNegotiation.length > 0) {
    s.push("Accepted Extended Negotiation:");
    for (const x of ui.extendedNegotiation) {
      s.push(`  SOP Class: =${x.sopClassUid}`);
      for (const line of prettyBytes(x.info)) s.push(`  ${line}`);
    }
  } else {
    s.push("Accepted Extended Negotiation: None");
  }
  s.push(...asyncLines("Accepted", ui.asyncOperationsWindow));
  s.push(`User Identity Negotiation Response: ${ui.userIdentityResponse ? "Yes" : "None"}`);
  const response = ui.userIdentityResponse?.serverResponse.length ?? 0;
  if (response > 0) s.push(`  Server Response (not dumped) length: ${response}`);
  s.push(banner("END A-ASSOCIATE-AC PDU"));
  return s;
}

/**
 * The dump of an A-ASSOCIATE-RJ, `"incoming"` by default.
 *
 * @example
 * ```ts
 * import { dumpAssociateRJ } from "jsr:@x/storescu/pdu";
 * import { PduType } from "jsr:@x/storescu/pdu";
 * dumpAssociateRJ({ type: PduType.AssociateRJ, result: 1, source: 1, reason: 7 })[4];
 * // "Reason:    Called AE title not recognised"
 * ```
 */
export function dumpAssociateRJ(
  rj: AssociateRJ,
  direction: DumpDirection = "incoming",
): string[] {
  return [
    "Reject Parameters:",
    banner(`${direction === "outgoing" ? "OUTGOING" : "INCOMING"} A-ASSOCIATE-RJ PDU`),
    `Result:    ${rjResultDumpText(rj.result)}`,
    `Source:    ${rjSourceDumpText(rj.source)}`,
    `Reason:    ${rejectReasonText(rj.source, rj.reason)}`,
    banner("END A-ASSOCIATE-RJ PDU"),
  ];
}

/**
 * The dump of an A-ABORT, `"outgoing"` by default.
 *
 * @example
 * ```ts
 * import { dumpAbort } from "jsr:@x/storescu/pdu";
 * import { PduType } from "jsr:@x/storescu/pdu";
 * dumpAbort({ type: PduType.Abort, source: 0, reason: 0 })[2];
 * // "Abort Source: DUL service-user"
 * ```
 */
export function dumpAbort(abort: Abort, direction: DumpDirection = "outgoing"): string[] {
  return [
    "Abort Parameters:",
    banner(`${direction === "outgoing" ? "OUTGOING" : "INCOMING"} A-ABORT PDU`),
    `Abort Source: ${abortSourceText(abort.source)}`,
    `Abort Reason: ${abortReasonText(abort.source, abort.reason)}`,
    banner("END A-ABORT PDU"),
  ];
}
