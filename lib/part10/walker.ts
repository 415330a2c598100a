/**
 * In-memory walk over the start of a data set: checks that the bytes look like a data set in a
 * given encoding and picks the SOP Class/Instance UIDs on the way.
 *
 * @module
 */

import {
  type Encoding,
  ITEM,
  ITEM_DELIMITATION,
  KNOWN_VRS,
  LONG_VRS,
  SEQUENCE_DELIMITATION,
  UNDEFINED_LENGTH,
} from "./encoding.ts";

/** Outcome of {@link scanDataset}. */
export interface ScanResult {
  /** The bytes walked are consistent with the encoding. */
  valid: boolean;
  /** The buffer ended before the walk was done (more bytes would tell more). */
  needMore: boolean;
  /** Top-level elements walked completely. */
  elements: number;
  /** (0008,0016), if seen. */
  sopClassUid?: string;
  /** (0008,0018), if seen. */
  sopInstanceUid?: string;
}

const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;

/** Thrown by {@link Walker}: the buffer ends before what is being read. */
export class NeedMore extends Error {}
/** Thrown by {@link Walker}: the bytes can't be a data set in the encoding. */
export class Invalid extends Error {}

/**
 * Decodes a UI/CS-like value: ASCII, trailing NULs and spaces removed.
 *
 * @example
 * ```ts
 * import { uidValue } from "./walker.ts";
 * uidValue(new TextEncoder().encode("1.2.3\0")); // "1.2.3"
 * ```
 */
export function uidValue(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && bytes[start] === 0x20) start++;
  // A decoder, not String.fromCharCode(...spread): the spread costs ~4 KB of garbage a call,
  // which adds up over thousands of files.
  return LATIN1.decode(bytes.subarray(start, end));
}

const LATIN1 = new TextDecoder("latin1");

/**
 * Element headers and sequences read where they lie in a buffer (throwing {@link NeedMore} or
 * {@link Invalid}); used by {@link scanDataset} and `items.ts`.
 *
 * @example
 * ```ts
 * import { Walker } from "./walker.ts";
 * const LE = { explicitVr: true, littleEndian: true };
 * // (0010,0010) PN, length 4
 * const w = new Walker(new Uint8Array([0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0]), LE);
 * w.header(0, LE); // [0x00100010, "PN", 4, 8]
 * ```
 */
export class Walker {
  readonly dv: DataView;
  constructor(readonly buf: Uint8Array, readonly enc: Encoding) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Reads the header at `off`: [tag, vr, length, headerLength]. */
  header(off: number, enc: Encoding): [number, string | undefined, number, number] {
    if (off + 8 > this.buf.length) throw new NeedMore();
    const le = enc.littleEndian;
    const tag = ((this.dv.getUint16(off, le) << 16) | this.dv.getUint16(off + 2, le)) >>> 0;
    if (!enc.explicitVr || tag >>> 16 === 0xfffe) {
      return [tag, undefined, this.dv.getUint32(off + 4, le), 8];
    }
    const vr = String.fromCharCode(this.buf[off + 4], this.buf[off + 5]);
    if (!KNOWN_VRS.has(vr)) throw new Invalid();
    if (LONG_VRS.has(vr)) {
      if (off + 12 > this.buf.length) throw new NeedMore();
      return [tag, vr, this.dv.getUint32(off + 8, le), 12];
    }
    return [tag, vr, this.dv.getUint16(off + 6, le), 8];
  }

  /** Skips the items of an undefined-length sequence starting at `off`; returns the end. */
  skipSequence(off: number, enc: Encoding, depth: number): number {
    if (depth > 32) throw new Invalid();
    for (;;) {
      const [tag, , len, hl] = this.header(off, enc);
      off += hl;
      if (tag === SEQUENCE_DELIMITATION) return off;
      if (tag !== ITEM) throw new Invalid();
      if (len !== UNDEFINED_LENGTH) {
        off += len;
        continue;
      }
      for (;;) {
        const [t, vr, l, h] = this.header(off, enc);
        off += h;
        if (t === ITEM_DELIMITATION) break;
        if (t >>> 16 === 0xfffe) throw new Invalid();
        if (l === UNDEFINED_LENGTH) {
          const inner = vr === "UN" ? { explicitVr: false, littleEndian: true } : enc;
          off = this.skipSequence(off, inner, depth + 1);
        } else off += l;
      }
    }
  }
}

/**
 * Walks the top-level elements at the start of `buf` as encoded by `enc`, up to (0008,0018) or
 * `maxElements`, checking tags ascend and VRs are valid, and collecting the SOP UIDs.
 *
 * @example
 * ```ts
 * import { scanDataset } from "./walker.ts";
 * const r = scanDataset(new Uint8Array(0), { explicitVr: true, littleEndian: true });
 * r.valid; // true (nothing contradicts the encoding)
 * ```
 */
export function scanDataset(
  buf: Uint8Array,
  enc: Encoding,
  maxElements = Infinity,
): ScanResult {
  const w = new Walker(buf, enc);
  const result: ScanResult = { valid: true, needMore: false, elements: 0 };
  let off = 0;
  let prev = -1;
  try {
    while (off < buf.length && result.elements < maxElements) {
      const [tag, vr, len, hl] = w.header(off, enc);
      if (tag <= prev || tag >>> 16 === 0xfffe || tag >>> 16 === 0x0000) throw new Invalid();
      if (tag > SOP_INSTANCE_UID && result.elements > 0 && maxElements === Infinity) break;
      prev = tag;
      off += hl;
      if (len === UNDEFINED_LENGTH) {
        const inner = vr === "UN" ? { explicitVr: false, littleEndian: true } : enc;
        off = w.skipSequence(off, inner, 0);
      } else {
        if (tag === SOP_CLASS_UID || tag === SOP_INSTANCE_UID) {
          if (off + len > buf.length) throw new NeedMore();
          const v = uidValue(buf.subarray(off, off + len));
          if (tag === SOP_CLASS_UID) result.sopClassUid = v;
          else result.sopInstanceUid = v;
        }
        off += len;
        if (off > buf.length) throw new NeedMore();
      }
      result.elements++;
      if (tag === SOP_INSTANCE_UID && maxElements === Infinity) break;
    }
  } catch (e) {
    if (e instanceof NeedMore) result.needMore = true;
    else if (e instanceof Invalid) result.valid = false;
    else throw e;
  }
  return result;
}
