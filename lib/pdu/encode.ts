/**
 * Encoding of upper-layer PDUs (PS3.8 section 9.3) from the data model of {@link ./types.ts}.
 *
 * Every PDU is written in one pass into one exactly-sized buffer. UIDs are written as-is,
 * without padding to even length (as pynetdicom and DCMTK do); AE titles are space-padded
 * to 16 bytes.
 *
 * @module
 */

import { PduError } from "./decode.ts";
import {
  type AssociateAC,
  type AssociateRQ,
  ItemType,
  type PDataTF,
  type Pdu,
  PduType,
  type UserInformation,
} from "./types.ts";

/** Size of every PDU header: type, reserved, 4-byte length. */
export const PDU_HEADER_LENGTH: number = 6;

/** Size of a PDV item header: 4-byte item length, context ID, message control header. */
export const PDV_HEADER_LENGTH: number = 6;

/** Bytes a P-DATA-TF PDU holding exactly one PDV adds around the PDV's data. */
export const PDATA_SINGLE_PDV_OVERHEAD: number = PDU_HEADER_LENGTH + PDV_HEADER_LENGTH;

/**
 * The message control header byte of a PDV (PS3.8 annex E.2).
 *
 * @example
 * ```ts
 * import { pdvControlByte } from "jsr:@x/storescu/pdu";
 * pdvControlByte(true, true); // 0x03
 * ```
 */
export function pdvControlByte(isCommand: boolean, isLast: boolean): number {
  return (isCommand ? 0x01 : 0) | (isLast ? 0x02 : 0);
}

/**
 * Write the 12 header bytes of a P-DATA-TF PDU that carries one PDV of `dataLength` bytes:
 * the PDU header (type 0x04, length `dataLength + 6`) then the PDV header. The caller puts
 * the fragment itself at `offset + 12`. Returns the offset just past the headers.
 *
 * @example
 * ```ts
 * import { writeSinglePdvHeaders } from "jsr:@x/storescu/pdu";
 * const buf = new Uint8Array(12 + 3);
 * const at = writeSinglePdvHeaders(buf, 0, 3, 1, true, true);
 * buf.set([1, 2, 3], at); // 04 00 00 00 00 09 00 00 00 05 01 03 01 02 03
 * ```
 */
export function writeSinglePdvHeaders(
  buf: Uint8Array,
  offset: number,
  dataLength: number,
  contextId: number,
  isCommand: boolean,
  isLast: boolean,
): number {
  // Byte by byte: no DataView to allocate, once per PDU on the hot path.
  const pduLength = dataLength + PDV_HEADER_LENGTH;
  const pdvLength = dataLength + 2;
  buf[offset] = PduType.PData;
  buf[offset + 1] = 0;
  buf[offset + 2] = pduLength >>> 24;
  buf[offset + 3] = (pduLength >>> 16) & 0xff;
  buf[offset + 4] = (pduLength >>> 8) & 0xff;
  buf[offset + 5] = pduLength & 0xff;
  buf[offset + 6] = pdvLength >>> 24;
  buf[offset + 7] = (pdvLength >>> 16) & 0xff;
  buf[offset + 8] = (pdvLength >>> 8) & 0xff;
  buf[offset + 9] = pdvLength & 0xff;
  buf[offset + 10] = contextId;
  buf[offset + 11] = pdvControlByte(isCommand, isLast);
  return offset + PDATA_SINGLE_PDV_OVERHEAD;
}

/** A cursor over an exactly-sized output buffer. */
class Out {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }

  u32(v: number): void {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Write a string as one byte per character (callers have checked it is 8-bit). */
  str(s: string): void {
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
  }

  /** Item header: type, reserved, 2-byte length. */
  item(type: number, len: number): void {
    this.u8(type);
    this.u8(0);
    this.u16(len);
  }
}

function invalid(message: string): never {
  throw new PduError("invalid-value", message);
}

/** Byte length of a string written with {@link Out.str}; rejects non-8-bit characters. */
function strLen(s: string, what: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) invalid(`${what} contains a non 8-bit character: ${s}`);
  }
  return s.length;
}

function u16Len(len: number, what: string): number {
  if (len > 0xffff) invalid(`${what} is ${len} bytes, more than an item can hold (65535)`);
  return len;
}

function checkAe(ae: string, what: string): void {
  if (ae.length > 16) invalid(`${what} '${ae}' is longer than 16 characters`);
  for (let i = 0; i < ae.length; i++) {
    if (ae.charCodeAt(i) > 0x7f) invalid(`${what} '${ae}' is not ASCII`);
  }
}

/** Lengths of each user-information sub-item, in encoding order, computed once. */
interface UserInfoPlan {
  total: number;
  role: number[];
  ext: number[];
  common: number[];
  commonRelated: number[];
}

function planUserInfo(ui: UserInformation): UserInfoPlan {
  let total = 0;
  if (ui.maxLength !== undefined) total += 8;
  if (ui.implementationClassUid !== undefined) {
    total += 4 + u16Len(strLen(ui.implementationClassUid, "Implementation class UID"), "UID");
  }
  if (ui.asyncOperationsWindow) total += 8;
  const role = ui.roleSelections.map((r) =>
    u16Len(2 + strLen(r.sopClassUid, "Role selection UID") + 2, "Role selection sub-item")
  );
  for (const l of role) total += 4 + l;
  if (ui.implementationVersionName !== undefined) {
    const n = strLen(ui.implementationVersionName, "Implementation version name");
    total += 4 + u16Len(n, "Implementation version name");
  }
  const ext = ui.extendedNegotiation.map((x) =>
    u16Len(
      2 + strLen(x.sopClassUid, "Extended negotiation UID") + x.info.length,
      "Extended negotiation sub-item",
    )
  );
  for (const l of ext) total += 4 + l;
  const commonRelated: number[] = [];
  const common = ui.commonExtendedNegotiation.map((c) => {
    let rel = 0;
    for (const uid of c.relatedGeneralSopClassUids) rel += 2 + strLen(uid, "Related SOP class");
    commonRelated.push(u16Len(rel, "Related general SOP class list"));
    return u16Len(
      2 + strLen(c.sopClassUid, "SOP class UID") + 2 +
        strLen(c.serviceClassUid, "Service class UID") + 2 + rel,
      "Common extended negotiation sub-item",
    );
  });
  for (const l of common) total += 4 + l;
  if (ui.userIdentity) {
    const id = ui.userIdentity;
    u16Len(id.primaryField.length, "User identity primary field");
    u16Len(id.secondaryField.length, "User identity secondary field");
    total += 4 + u16Len(6 + id.primaryField.length + id.secondaryField.length, "User identity");
  }
  if (ui.userIdentityResponse) {
    const n = ui.userIdentityResponse.serverResponse.length;
    total += 4 + u16Len(2 + n, "User identity server response");
  }
  for (const u of ui.unknownItems) total += 4 + u16Len(u.data.length, "Unknown sub-item");
  return { total: u16Len(total, "User information item"), role, ext, common, commonRelated };
}

function writeUserInfo(out: Out, ui: UserInformation, plan: UserInfoPlan): void {
  out.item(ItemType.UserInformation, plan.total);
  if (ui.maxLength !== undefined) {
    out.item(ItemType.MaximumLength, 4);
    out.u32(ui.maxLength);
  }
  if (ui.implementationClassUid !== undefined) {
    out.item(ItemType.ImplementationClassUid, ui.implementationClassUid.length);
    out.str(ui.implementationClassUid);
  }
  if (ui.asyncOperationsWindow) {
    out.item(ItemType.AsyncOperationsWindow, 4);
    out.u16(ui.asyncOperationsWindow.maxOperationsInvoked);
    out.u16(ui.asyncOperationsWindow.maxOperationsPerformed);
  }
  ui.roleSelections.forEach((r, i) => {
    out.item(ItemType.RoleSelection, plan.role[i]);
    out.u16(r.sopClassUid.length);
    out.str(r.sopClassUid);
    out.u8(r.scuRole ? 1 : 0);
    out.u8(r.scpRole ? 1 : 0);
  });
  if (ui.implementationVersionName !== undefined) {
    out.item(ItemType.ImplementationVersionName, ui.implementationVersionName.length);
    out.str(ui.implementationVersionName);
  }
  ui.extendedNegotiation.forEach((x, i) => {
    out.item(ItemType.SopClassExtendedNegotiation, plan.ext[i]);
    out.u16(x.sopClassUid.length);
    out.str(x.sopClassUid);
    out.bytes(x.info);
  });
  ui.commonExtendedNegotiation.forEach((c, i) => {
    // Byte 2 is the sub-item version, 0 (PS3.7 table D.3-12).
    out.item(ItemType.SopClassCommonExtendedNegotiation, plan.common[i]);
    out.u16(c.sopClassUid.length);
    out.str(c.sopClassUid);
    out.u16(c.serviceClassUid.length);
    out.str(c.serviceClassUid);
    out.u16(plan.commonRelated[i]);
    for (const uid of c.relatedGeneralSopClassUids) {
      out.u16(uid.length);
      out.str(uid);
    }
  });
  if (ui.userIdentity) {
    const id = ui.userIdentity;
    out.item(ItemType.UserIdentityRQ, 6 + id.primaryField.length + id.secondaryField.length);
    out.u8(id.identityType);
    out.u8(id.positiveResponseRequested ? 1 : 0);
    out.u16(id.primaryField.length);
    out.bytes(id.primaryField);
    out.u16(id.secondaryField.length);
    out.bytes(id.secondaryField);
  }
  if (ui.userIdentityResponse) {
    const r = ui.userIdentityResponse.serverResponse;
    out.item(ItemType.UserIdentityAC, 2 + r.length);
    out.u16(r.length);
    out.bytes(r);
  }
  for (const u of ui.unknownItems) {
    out.item(u.itemType, u.data.length);
    out.bytes(u.data);
  }
}

function encodeAssociate(pdu: AssociateRQ | AssociateAC): Uint8Array {
  checkAe(pdu.calledAeTitle, "Called AE title");
  checkAe(pdu.callingAeTitle, "Calling AE title");
  const appLen = u16Len(strLen(pdu.applicationContext, "Application context"), "UID");
  let body = 68 + 4 + appLen;
  const cxLens: number[] = [];
  if (pdu.type === PduType.AssociateRQ) {
    for (const cx of pdu.presentationContexts) {
      let len = 4 + 4 + u16Len(strLen(cx.abstractSyntax, "Abstract syntax"), "UID");
      for (const ts of cx.transferSyntaxes) {
        len += 4 + u16Len(strLen(ts, "Transfer syntax"), "UID");
      }
      cxLens.push(u16Len(len, "Presentation context item"));
      body += 4 + len;
    }
  } else {
    for (const cx of pdu.presentationContexts) {
      const len = 4 + 4 + u16Len(strLen(cx.transferSyntax, "Transfer syntax"), "UID");
      cxLens.push(len);
      body += 4 + len;
    }
  }
  const plan = planUserInfo(pdu.userInfo);
  body += 4 + plan.total;

  const out = new Out(6 + body);
  out.u8(pdu.type);
  out.u8(0);
  out.u32(body);
  out.u16(pdu.protocolVersion);
  out.u16(0);
  out.str(pdu.calledAeTitle.padEnd(16, " "));
  out.str(pdu.callingAeTitle.padEnd(16, " "));
  out.pos += 32;
  out.item(ItemType.ApplicationContext, appLen);
  out.str(pdu.applicationContext);
  if (pdu.type === PduType.AssociateRQ) {
    pdu.presentationContexts.forEach((cx, i) => {
      out.item(ItemType.PresentationContextRQ, cxLens[i]);
      out.u8(cx.id);
      out.pos += 3;
      out.item(ItemType.AbstractSyntax, cx.abstractSyntax.length);
      out.str(cx.abstractSyntax);
      for (const ts of cx.transferSyntaxes) {
        out.item(ItemType.TransferSyntax, ts.length);
        out.str(ts);
      }
    });
  } else {
    pdu.presentationContexts.forEach((cx, i) => {
      out.item(ItemType.PresentationContextAC, cxLens[i]);
      out.u8(cx.id);
      out.u8(0);
      out.u8(cx.result);
      out.u8(0);
      out.item(ItemType.TransferSyntax, cx.transferSyntax.length);
      out.str(cx.transferSyntax);
    });
  }
  writeUserInfo(out, pdu.userInfo, plan);
  return out.buf;
}

function encodePData(pdu: PDataTF): Uint8Array {
  let body = 0;
  for (const pdv of pdu.pdvs) body += PDV_HEADER_LENGTH + pdv.data.length;
  if (body > 0xffffffff) invalid(`P-DATA-TF body of ${body} bytes does not fit a PDU`);
  const out = new Out(PDU_HEADER_LENGTH + body);
  out.u8(PduType.PData);
  out.u8(0);
  out.u32(body);
  for (const pdv of pdu.pdvs) {
    out.u32(pdv.data.length + 2);
    out.u8(pdv.contextId);
    out.u8(pdvControlByte(pdv.isCommand, pdv.isLast));
    out.bytes(pdv.data);
  }
  return out.buf;
}

/** A 10-byte PDU: header, then bytes 6..9. */
function fixed(type: number, b7: number, b8: number, b9: number): Uint8Array {
  return new Uint8Array([type, 0, 0, 0, 0, 4, 0, b7, b8, b9]);
}

/**
 * Encode any PDU into a new buffer holding the whole PDU, header included.
 *
 * Throws {@link PduError} with code `"invalid-value"` for values that cannot be encoded
 * (an AE title over 16 characters, an item over 65535 bytes, non 8-bit characters).
 *
 * @example
 * ```ts
 * import { encodePdu } from "jsr:@x/storescu/pdu";
 * import { PduType } from "jsr:@x/storescu/pdu";
 * encodePdu({ type: PduType.Abort, source: 0, reason: 0 });
 * // Uint8Array [7, 0, 0, 0, 0, 4, 0, 0, 0, 0]
 * ```
 */
export function encodePdu(pdu: Pdu): Uint8Array {
  switch (pdu.type) {
    case PduType.AssociateRQ:
    case PduType.AssociateAC:
      return encodeAssociate(pdu);
    case PduType.AssociateRJ:
      return fixed(PduType.AssociateRJ, pdu.result, pdu.source, pdu.reason);
    case PduType.PData:
      return encodePData(pdu);
    case PduType.ReleaseRQ:
      return fixed(PduType.ReleaseRQ, 0, 0, 0);
    case PduType.ReleaseRP:
      return fixed(PduType.ReleaseRP, 0, 0, 0);
    case PduType.Abort:
      return fixed(PduType.Abort, 0, pdu.source, pdu.reason);
  }
}
