/**
 * A small element writer: builds data sets and Part-10 files from element descriptions (used
 * for the repository's test data and by tests).
 *
 * @module
 */

import { deflateRawSync } from "node:zlib";
import { TRANSFER_SYNTAXES } from "../uids.ts";
import {
  encodeHeader,
  type Encoding,
  ITEM,
  ITEM_DELIMITATION,
  SEQUENCE_DELIMITATION,
  SWAP_UNIT,
  swapInPlace,
  UNDEFINED_LENGTH,
} from "./encoding.ts";
import { concatBytes } from "../bytes.ts";

/** One sequence item. */
export interface ItemSpec {
  elements: ElementSpec[];
  /** Write the item with undefined length and an item delimiter. */
  undefinedLength?: boolean;
}

/** One element: a string (text VRs), numbers (binary VRs), raw bytes (LE order) or items. */
export interface ElementSpec {
  tag: number;
  vr: string;
  value: string | number[] | Uint8Array | ItemSpec[];
  /** For SQ: write with undefined length and a sequence delimiter. */
  undefinedLength?: boolean;
}

const NUMBER_WRITERS: Record<
  string,
  [number, (dv: DataView, o: number, v: number, le: boolean) => void]
> = {
  US: [2, (dv, o, v, le) => dv.setUint16(o, v, le)],
  SS: [2, (dv, o, v, le) => dv.setInt16(o, v, le)],
  UL: [4, (dv, o, v, le) => dv.setUint32(o, v, le)],
  SL: [4, (dv, o, v, le) => dv.setInt32(o, v, le)],
  FL: [4, (dv, o, v, le) => dv.setFloat32(o, v, le)],
  FD: [8, (dv, o, v, le) => dv.setFloat64(o, v, le)],
  AT: [4, (dv, o, v, le) => {
    dv.setUint16(o, v >>> 16, le);
    dv.setUint16(o + 2, v & 0xffff, le);
  }],
};

function valueBytes(e: ElementSpec, enc: Encoding): Uint8Array {
  const v = e.value;
  if (typeof v === "string") {
    const bytes = new TextEncoder().encode(v);
    if (bytes.length % 2 === 0) return bytes;
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    padded[bytes.length] = e.vr === "UI" ? 0 : 0x20;
    return padded;
  }
  if (v instanceof Uint8Array) {
    const copy = v.slice();
    const unit = SWAP_UNIT[e.vr];
    return !enc.littleEndian && unit ? swapInPlace(copy, unit) : copy;
  }
  const writer = NUMBER_WRITERS[e.vr];
  if (!writer) throw new TypeError(`numbers need a binary VR, not ${e.vr}`);
  const [size, write] = writer;
  const out = new Uint8Array(size * (v as number[]).length);
  const dv = new DataView(out.buffer);
  (v as number[]).forEach((x, i) => write(dv, i * size, x, enc.littleEndian));
  return out;
}

/**
 * Encodes elements (in the given order) as a data set in `enc`.
 *
 * @example
 * ```ts
 * import { encodeElements } from "./writer.ts";
 * encodeElements([{ tag: 0x00100010, vr: "PN", value: "DOE^J" }], {
 *   explicitVr: true,
 *   littleEndian: true,
 * }).length; // 14
 * ```
 */
export function encodeElements(elements: ElementSpec[], enc: Encoding): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of elements) {
    if (e.vr === "SQ") {
      const items = e.value as ItemSpec[];
      const body = concatBytes(items.map((item) => {
        const content = encodeElements(item.elements, enc);
        return item.undefinedLength
          ? concatBytes([
            encodeHeader(enc, ITEM, undefined, UNDEFINED_LENGTH),
            content,
            encodeHeader(enc, ITEM_DELIMITATION, undefined, 0),
          ])
          : concatBytes([encodeHeader(enc, ITEM, undefined, content.length), content]);
      }));
      if (e.undefinedLength) {
        parts.push(encodeHeader(enc, e.tag, "SQ", UNDEFINED_LENGTH), body);
        parts.push(encodeHeader(enc, SEQUENCE_DELIMITATION, undefined, 0));
      } else {
        parts.push(encodeHeader(enc, e.tag, "SQ", body.length), body);
      }
      continue;
    }
    const value = valueBytes(e, enc);
    parts.push(encodeHeader(enc, e.tag, e.vr, value.length), value);
  }
  return concatBytes(parts);
}

/** What goes into the File Meta Information. */
export interface MetaSpec {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
}

/**
 * Builds a Part-10 file: 128-byte preamble, "DICM", meta group (Explicit VR LE, with group
 * length), then `elements` encoded in the meta's transfer syntax (deflated when it says so).
 *
 * @example
 * ```ts
 * import { encodePart10 } from "./writer.ts";
 * const file = encodePart10({
 *   sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
 *   sopInstanceUid: "2.25.1",
 *   transferSyntaxUid: "1.2.840.10008.1.2.1",
 * }, [{ tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.7" }]);
 * new TextDecoder().decode(file.subarray(128, 132)); // "DICM"
 * ```
 */
export function encodePart10(meta: MetaSpec, elements: ElementSpec[]): Uint8Array {
  const ts = TRANSFER_SYNTAXES.get(meta.transferSyntaxUid);
  if (!ts) throw new TypeError(`unknown transfer syntax ${meta.transferSyntaxUid}`);
  const le: Encoding = { explicitVr: true, littleEndian: true };
  const group = encodeElements([
    { tag: 0x00020001, vr: "OB", value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: "UI", value: meta.sopClassUid },
    { tag: 0x00020003, vr: "UI", value: meta.sopInstanceUid },
    { tag: 0x00020010, vr: "UI", value: meta.transferSyntaxUid },
    { tag: 0x00020012, vr: "UI", value: meta.implementationClassUid ?? "2.25.1" },
    { tag: 0x00020013, vr: "SH", value: meta.implementationVersionName ?? "STORESCU_TS" },
  ], le);
  const groupLength = encodeElements([{ tag: 0x00020000, vr: "UL", value: [group.length] }], le);
  let dataset = encodeElements(elements, {
    explicitVr: ts.explicitVr,
    littleEndian: ts.littleEndian,
  });
  if (ts.deflated) {
    dataset = new Uint8Array(deflateRawSync(dataset));
    if (dataset.length % 2) dataset = concatBytes([dataset, new Uint8Array(1)]);
  }
  const head = new Uint8Array(132);
  head.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concatBytes([head, groupLength, group, dataset]);
}
