/**
 * Decoding of upper-layer PDUs (PS3.8 section 9.3) from bytes into the data model of
 * {@link ./types.ts}.
 *
 * The decoder is strict about structure (every length must fit inside its parent) and
 * tolerant about content: unknown top-level items of an A-ASSOCIATE PDU are skipped, unknown
 * user-information sub-items are kept raw, and odd values such as an even presentation
 * context ID are passed through for the association layer to judge.
 *
 * Byte arrays in the result (PDV data, extended negotiation info, user identity fields)
 * are views into the input, not copies.
 *
 * @module
 */

import {
  type Abort,
  type AssociateAC,
  type AssociateRJ,
  type AssociateRQ,
  emptyUserInformation,
  ItemType,
  type PDataTF,
  type Pdu,
  PduType,
  type Pdv,
  type PresentationContextAC,
  type PresentationContextRQ,
  type UserInformation,
} from "./types.ts";

/** Why a PDU could not be read, decoded or encoded. */
export type PduErrorCode =
  | "unknown-type"
  | "malformed"
  | "too-large"
  | "truncated"
  | "invalid-value";

/**
 * A PDU that is unknown, malformed, too large or cut short; also raised by the encoder for
 * values that cannot be put on the wire (code `"invalid-value"`).
 *
 * @example
 * ```ts
 * import { decodePdu, PduError } from "jsr:@x/storescu/pdu";
 * try {
 *   decodePdu(new Uint8Array([0x09, 0, 0, 0, 0, 0]));
 * } catch (e) {
 *   if (e instanceof PduError) console.log(e.code); // "unknown-type"
 * }
 * ```
 */
export class PduError extends Error {
  /** Machine-readable cause. */
  readonly code: PduErrorCode;

  /**
   * Create an error with a cause code.
   *
   * @param code the machine-readable cause
   * @param message a human-readable description
   */
  constructor(code: PduErrorCode, message: string) {
    super(message);
    this.name = "PduError";
    this.code = code;
  }
}

/** The largest PDU type code this implementation knows. */
const MAX_PDU_TYPE = PduType.Abort;

/**
 * Whether `type` is one of the seven PDU type codes of PS3.8.
 *
 * @example
 * ```ts
 * import { isKnownPduType } from "jsr:@x/storescu/pdu";
 * isKnownPduType(0x04); // true
 * isKnownPduType(0x08); // false
 * ```
 */
export function isKnownPduType(type: number): boolean {
  return type >= PduType.AssociateRQ && type <= MAX_PDU_TYPE;
}

const latin1 = new TextDecoder("latin1");

/** Decode bytes as ASCII/latin-1 text, dropping trailing NULs and spaces. */
function text(bytes: Uint8Array, start: number, end: number): string {
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x00)) end--;
  return latin1.decode(bytes.subarray(start, end));
}

function fail(message: string): never {
  throw new PduError("malformed", message);
}

/**
 * Decode one whole PDU, including its 6-byte header.
 *
 * Throws {@link PduError}: `"truncated"` when `bytes` is shorter than the header says,
 * `"unknown-type"` for a type byte outside 0x01..0x07, `"malformed"` for any structural
 * error (an item overrunning its parent, a PDV shorter than 2 bytes, trailing bytes...).
 *
 * @example
 * ```ts
 * import { decodePdu } from "jsr:@x/storescu/pdu";
 * const pdu = decodePdu(new Uint8Array([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
 * pdu.type; // 5 (A-RELEASE-RQ)
 * ```
 */
export function decodePdu(bytes: Uint8Array): Pdu {
  if (bytes.length < 6) {
    throw new PduError("truncated", `PDU header needs 6 bytes, got ${bytes.length}`);
  }
  const type = bytes[0];
  if (!isKnownPduType(type)) {
    throw new PduError("unknown-type", `Unknown PDU type 0x${hex2(type)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(2);
  const end = 6 + length;
  if (bytes.length < end) {
    throw new PduError(
      "truncated",
      `PDU declares ${length} bytes but only ${bytes.length - 6} are present`,
    );
  }
  if (bytes.length > end) {
    fail(`PDU declares ${length} bytes but ${bytes.length - 6} are present`);
  }
  switch (type) {
    case PduType.AssociateRQ:
    case PduType.AssociateAC:
      return decodeAssociate(bytes, view, type);
    case PduType.PData:
      return decodePData(bytes, view, end);
    case PduType.AssociateRJ: {
      fixedBody(length, "A-ASSOCIATE-RJ");
      const rj: AssociateRJ = {
        type: PduType.AssociateRJ,
        result: bytes[7],
        source: bytes[8],
        reason: bytes[9],
      };
      return rj;
    }
    case PduType.ReleaseRQ:
      fixedBody(length, "A-RELEASE-RQ");
      return { type: PduType.ReleaseRQ };
    case PduType.ReleaseRP:
      fixedBody(length, "A-RELEASE-RP");
      return { type: PduType.ReleaseRP };
    default: {
      fixedBody(length, "A-ABORT");
      const abort: Abort = { type: PduType.Abort, source: bytes[8], reason: bytes[9] };
      return abort;
    }
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, "0");
}

function fixedBody(length: number, name: string): void {
  if (length !== 4) fail(`${name} PDU length must be 4, got ${length}`);
}

/** Check that an item of `len` bytes starting at `off` (after its header) fits in `end`. */
function checkFits(off: number, len: number, end: number, what: string): void {
  if (off + len > end) fail(`${what} length ${len} overruns its parent`);
}

function decodeAssociate(
  bytes: Uint8Array,
  view: DataView,
  type: typeof PduType.AssociateRQ | typeof PduType.AssociateAC,
): AssociateRQ | AssociateAC {
  const end = bytes.length;
  const name = type === PduType.AssociateRQ ? "A-ASSOCIATE-RQ" : "A-ASSOCIATE-AC";
  if (end < 74) fail(`${name} PDU is too short (${end} bytes)`);
  const protocolVersion = view.getUint16(6);
  const calledAeTitle = text(bytes, 10, 26);
  const callingAeTitle = text(bytes, 26, 42);
  let applicationContext = "";
  let userInfo: UserInformation | undefined;
  const rqContexts: PresentationContextRQ[] = [];
  const acContexts: PresentationContextAC[] = [];
  let off = 74;
  while (off < end) {
    if (off + 4 > end) fail(`${name}: item header cut short`);
    const itemType = bytes[off];
    const len = view.getUint16(off + 2);
    const start = off + 4;
    checkFits(start, len, end, `${name} item 0x${hex2(itemType)}`);
    const itemEnd = start + len;
    if (itemType === ItemType.ApplicationContext) {
      applicationContext = text(bytes, start, itemEnd);
    } else if (itemType === ItemType.PresentationContextRQ && type === PduType.AssociateRQ) {
      rqContexts.push(decodeContextRQ(bytes, view, start, itemEnd));
    } else if (itemType === ItemType.PresentationContextAC && type === PduType.AssociateAC) {
      acContexts.push(decodeContextAC(bytes, view, start, itemEnd));
    } else if (itemType === ItemType.UserInformation) {
      userInfo = decodeUserInfo(bytes, view, start, itemEnd);
    }
    // PS3.8 9.3.1: unknown items are ignored.
    off = itemEnd;
  }
  const common = {
    protocolVersion,
    calledAeTitle,
    callingAeTitle,
    applicationContext,
    userInfo: userInfo ?? emptyUserInformation(),
  };
  if (type === PduType.AssociateRQ) {
    return { type, ...common, presentationContexts: rqContexts };
  }
  return { type, ...common, presentationContexts: acContexts };
}

function decodeContextRQ(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
): PresentationContextRQ {
  if (end - start < 4) fail("Presentation context item (0x20) is too short");
  const id = bytes[start];
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  let off = start + 4;
  while (off < end) {
    if (off + 4 > end) fail("Presentation context (0x20): sub-item header cut short");
    const subType = bytes[off];
    const len = view.getUint16(off + 2);
    const s = off + 4;
    checkFits(s, len, end, `Presentation context sub-item 0x${hex2(subType)}`);
    if (subType === ItemType.AbstractSyntax) {
      abstractSyntax ??= text(bytes, s, s + len);
    } else if (subType === ItemType.TransferSyntax) {
      transferSyntaxes.push(text(bytes, s, s + len));
    }
    off = s + len;
  }
  return { id, abstractSyntax: abstractSyntax ?? "", transferSyntaxes };
}

function decodeContextAC(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
): PresentationContextAC {
  if (end - start < 4) fail("Presentation context item (0x21) is too short");
  const id = bytes[start];
  const result = bytes[start + 2];
  let transferSyntax: string | undefined;
  let off = start + 4;
  while (off < end) {
    if (off + 4 > end) fail("Presentation context (0x21): sub-item header cut short");
    const subType = bytes[off];
    const len = view.getUint16(off + 2);
    const s = off + 4;
    checkFits(s, len, end, `Presentation context sub-item 0x${hex2(subType)}`);
    if (subType === ItemType.TransferSyntax) transferSyntax ??= text(bytes, s, s + len);
    off = s + len;
  }
  return { id, result, transferSyntax: transferSyntax ?? "" };
}

/** Read a 2-byte length then that many bytes of UID text; returns [uid, nextOffset]. */
function lengthPrefixedUid(
  bytes: Uint8Array,
  view: DataView,
  off: number,
  end: number,
  what: string,
): [string, number] {
  if (off + 2 > end) fail(`${what}: UID length cut short`);
  const len = view.getUint16(off);
  checkFits(off + 2, len, end, `${what} UID`);
  return [text(bytes, off + 2, off + 2 + len), off + 2 + len];
}

function decodeUserInfo(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
): UserInformation {
  const ui = emptyUserInformation();
  let off = start;
  while (off < end) {
    if (off + 4 > end) fail("User information: sub-item header cut short");
    const subType = bytes[off];
    const len = view.getUint16(off + 2);
    const s = off + 4;
    checkFits(s, len, end, `User information sub-item 0x${hex2(subType)}`);
    const e = s + len;
    switch (subType) {
      case ItemType.MaximumLength:
        if (len !== 4) fail(`Maximum length sub-item length must be 4, got ${len}`);
        ui.maxLength = view.getUint32(s);
        break;
      case ItemType.ImplementationClassUid:
        ui.implementationClassUid = text(bytes, s, e);
        break;
      case ItemType.ImplementationVersionName:
        ui.implementationVersionName = text(bytes, s, e);
        break;
      case ItemType.AsyncOperationsWindow:
        if (len !== 4) fail(`Asynchronous operations sub-item length must be 4, got ${len}`);
        ui.asyncOperationsWindow = {
          maxOperationsInvoked: view.getUint16(s),
          maxOperationsPerformed: view.getUint16(s + 2),
        };
        break;
      case ItemType.RoleSelection: {
        const [sopClassUid, p] = lengthPrefixedUid(bytes, view, s, e, "Role selection");
        if (p + 2 !== e) fail("Role selection sub-item has a bad length");
        ui.roleSelections.push({
          sopClassUid,
          scuRole: bytes[p] === 1,
          scpRole: bytes[p + 1] === 1,
        });
        break;
      }
      case ItemType.SopClassExtendedNegotiation: {
        const [sopClassUid, p] = lengthPrefixedUid(bytes, view, s, e, "Extended negotiation");
        ui.extendedNegotiation.push({ sopClassUid, info: bytes.subarray(p, e) });
        break;
      }
      case ItemType.SopClassCommonExtendedNegotiation: {
        const what = "Common extended negotiation";
        const [sopClassUid, p1] = lengthPrefixedUid(bytes, view, s, e, what);
        const [serviceClassUid, p2] = lengthPrefixedUid(bytes, view, p1, e, what);
        if (p2 + 2 > e) fail(`${what}: related SOP class length cut short`);
        const relLen = view.getUint16(p2);
        checkFits(p2 + 2, relLen, e, `${what} related SOP classes`);
        const relEnd = p2 + 2 + relLen;
        if (relEnd !== e) fail(`${what} sub-item has trailing bytes`);
        const relatedGeneralSopClassUids: string[] = [];
        let q = p2 + 2;
        while (q < relEnd) {
          const [uid, next] = lengthPrefixedUid(bytes, view, q, relEnd, what);
          relatedGeneralSopClassUids.push(uid);
          q = next;
        }
        ui.commonExtendedNegotiation.push({
          sopClassUid,
          serviceClassUid,
          relatedGeneralSopClassUids,
        });
        break;
      }
      case ItemType.UserIdentityRQ: {
        if (len < 4) fail("User identity sub-item is too short");
        const primaryLen = view.getUint16(s + 2);
        checkFits(s + 4, primaryLen, e, "User identity primary field");
        const p = s + 4 + primaryLen;
        let secondaryField = bytes.subarray(p, p);
        if (p < e) {
          if (p + 2 > e) fail("User identity: secondary length cut short");
          const secondaryLen = view.getUint16(p);
          checkFits(p + 2, secondaryLen, e, "User identity secondary field");
          if (p + 2 + secondaryLen !== e) fail("User identity sub-item has trailing bytes");
          secondaryField = bytes.subarray(p + 2, e);
        }
        ui.userIdentity = {
          identityType: bytes[s],
          positiveResponseRequested: bytes[s + 1] === 1,
          primaryField: bytes.subarray(s + 4, p),
          secondaryField,
        };
        break;
      }
      case ItemType.UserIdentityAC: {
        if (len < 2) fail("User identity response sub-item is too short");
        const rl = view.getUint16(s);
        checkFits(s + 2, rl, e, "User identity server response");
        ui.userIdentityResponse = { serverResponse: bytes.subarray(s + 2, s + 2 + rl) };
        break;
      }
      default:
        ui.unknownItems.push({ itemType: subType, data: bytes.subarray(s, e) });
    }
    off = e;
  }
  return ui;
}

function decodePData(bytes: Uint8Array, view: DataView, end: number): PDataTF {
  const pdvs: Pdv[] = [];
  let off = 6;
  while (off < end) {
    if (off + 4 > end) fail("P-DATA-TF: PDV item length cut short");
    const len = view.getUint32(off);
    if (len < 2) fail(`P-DATA-TF: PDV item length ${len} is less than 2`);
    checkFits(off + 4, len, end, "P-DATA-TF PDV item");
    const control = bytes[off + 5];
    pdvs.push({
      contextId: bytes[off + 4],
      isCommand: (control & 0x01) !== 0,
      isLast: (control & 0x02) !== 0,
      data: bytes.subarray(off + 6, off + 4 + len),
    });
    off += 4 + len;
  }
  return { type: PduType.PData, pdvs };
}
