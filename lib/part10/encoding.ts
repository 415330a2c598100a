/**
 * Element header encoding shared by the converter, the reader and the test-data writer.
 *
 * @module
 */

import { TRANSFER_SYNTAXES } from "../uids.ts";

/** How elements are encoded: VR in the header or not, byte order. */
export interface Encoding {
  /** VR written in each element header. */
  explicitVr: boolean;
  /** Little endian byte order. */
  littleEndian: boolean;
}

/** Value length meaning "undefined length" (delimited). */
export const UNDEFINED_LENGTH = 0xffffffff;
/** (FFFE,E000) Item. */
export const ITEM = 0xfffee000;
/** (FFFE,E00D) Item Delimitation Item. */
export const ITEM_DELIMITATION = 0xfffee00d;
/** (FFFE,E0DD) Sequence Delimitation Item. */
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
/** (7FE0,0010) Pixel Data. */
export const PIXEL_DATA = 0x7fe00010;

/** VRs whose explicit header has 2 reserved bytes and a 32-bit length. */
export const LONG_VRS: ReadonlySet<string> = new Set([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "UC",
  "UN",
  "UR",
  "UT",
  "SV",
  "UV",
]);

/** Every VR an explicit header may carry. */
export const KNOWN_VRS: ReadonlySet<string> = new Set([
  ...LONG_VRS,
  "AE",
  "AS",
  "AT",
  "CS",
  "DA",
  "DS",
  "DT",
  "FD",
  "FL",
  "IS",
  "LO",
  "LT",
  "PN",
  "SH",
  "SL",
  "SS",
  "ST",
  "TM",
  "UI",
  "UL",
  "US",
]);

/**
 * A VR as a number (its two ASCII bytes), to look VRs up in {@link VR_KIND} without a string
 * per element.
 *
 * @example
 * ```ts
 * import { vrCode } from "./encoding.ts";
 * vrCode("OB"); // 0x4f42
 * ```
 */
export function vrCode(vr: string): number {
  return (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);
}

/**
 * Per VR code ({@link vrCode}, or the header's two VR bytes): 0 not a VR, 1 a VR with a
 * 2-byte length, 2 a VR with reserved bytes and a 4-byte length.
 *
 * @example
 * ```ts
 * import { VR_KIND, vrCode } from "./encoding.ts";
 * VR_KIND[vrCode("OW")]; // 2
 * ```
 */
export const VR_KIND: Uint8Array = new Uint8Array(0x10000);
for (const vr of KNOWN_VRS) VR_KIND[vrCode(vr)] = LONG_VRS.has(vr) ? 2 : 1;

/** Byte-swap unit per VR when changing byte order (others are left untouched). */
export const SWAP_UNIT: Readonly<Record<string, number>> = {
  US: 2,
  SS: 2,
  OW: 2,
  AT: 2,
  UL: 4,
  SL: 4,
  FL: 4,
  OF: 4,
  OL: 4,
  FD: 8,
  OD: 8,
  SV: 8,
  UV: 8,
  OV: 8,
};

/**
 * The element encoding of an uncompressed transfer syntax (deflate is a separate layer), or
 * `undefined` for unknown UIDs. Encapsulated syntaxes are Explicit VR Little Endian.
 *
 * @example
 * ```ts
 * import { encodingOf } from "./encoding.ts";
 * encodingOf("1.2.840.10008.1.2"); // { explicitVr: false, littleEndian: true }
 * ```
 */
export function encodingOf(transferSyntaxUid: string): Encoding | undefined {
  const ts = TRANSFER_SYNTAXES.get(transferSyntaxUid);
  return ts ? { explicitVr: ts.explicitVr, littleEndian: ts.littleEndian } : undefined;
}

/**
 * Size of an element header in `enc` for `vr` (items/delimiters: pass `undefined`).
 *
 * @example
 * ```ts
 * import { headerSize } from "./encoding.ts";
 * headerSize({ explicitVr: true, littleEndian: true }, "OB"); // 12
 * ```
 */
export function headerSize(enc: Encoding, vr: string | undefined): number {
  return enc.explicitVr && vr !== undefined && LONG_VRS.has(vr) ? 12 : 8;
}

/**
 * Encodes an element header (or an item/delimiter header when `vr` is `undefined`).
 *
 * @example
 * ```ts
 * import { encodeHeader } from "./encoding.ts";
 * encodeHeader({ explicitVr: true, littleEndian: true }, 0x00100010, "PN", 4);
 * // Uint8Array [0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0]
 * ```
 */
export function encodeHeader(
  enc: Encoding,
  tag: number,
  vr: string | undefined,
  length: number,
): Uint8Array {
  const size = headerSize(enc, vr);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const le = enc.littleEndian;
  dv.setUint16(0, tag >>> 16, le);
  dv.setUint16(2, tag & 0xffff, le);
  if (!enc.explicitVr || vr === undefined) {
    dv.setUint32(4, length, le);
  } else {
    out[4] = vr.charCodeAt(0);
    out[5] = vr.charCodeAt(1);
    if (size === 12) dv.setUint32(8, length, le);
    else dv.setUint16(6, length, le);
  }
  return out;
}

/**
 * Reverses the byte order of each `unit`-byte word of `bytes` in place (a trailing partial
 * word is left alone).
 *
 * @example
 * ```ts
 * import { swapInPlace } from "./encoding.ts";
 * swapInPlace(new Uint8Array([1, 2, 3, 4]), 2); // [2, 1, 4, 3]
 * ```
 */
export function swapInPlace(bytes: Uint8Array, unit: number): Uint8Array {
  const n = bytes.length - (bytes.length % unit);
  if (unit === 2) {
    for (let i = 0; i < n; i += 2) {
      const a = bytes[i];
      bytes[i] = bytes[i + 1];
      bytes[i + 1] = a;
    }
  } else {
    const half = unit >> 1;
    for (let i = 0; i < n; i += unit) {
      for (let j = 0; j < half; j++) {
        const a = bytes[i + j];
        bytes[i + j] = bytes[i + unit - 1 - j];
        bytes[i + unit - 1 - j] = a;
      }
    }
  }
  return bytes;
}

/**
 * Formats a tag as "(gggg,eeee)".
 *
 * @example
 * ```ts
 * import { tagString } from "./encoding.ts";
 * tagString(0x7fe00010); // "(7FE0,0010)"
 * ```
 */
export function tagString(tag: number): string {
  const h = (tag >>> 0).toString(16).toUpperCase().padStart(8, "0");
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}
