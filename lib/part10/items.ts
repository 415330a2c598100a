/**
 * A sequence element held whole in memory (Explicit VR Little Endian), its items rewritten:
 * used for the Icon Image Sequence, whose items are small images of their own. Each item that
 * holds encapsulated Pixel Data at its top level is handed to a rewriter (the transcoder, run
 * on the item's data set); every other byte stays as it was. The lengths that change are
 * recomputed: an item or sequence of explicit length gets its new length, one of undefined
 * length keeps its delimiter.
 *
 * @module
 */

import { ConversionError } from "./errors.ts";
import {
  encodeHeader,
  type Encoding,
  ITEM,
  ITEM_DELIMITATION,
  PIXEL_DATA,
  tagString,
  UNDEFINED_LENGTH,
} from "./encoding.ts";
import { concatBytes } from "../bytes.ts";
import type { ReadFn } from "./input.ts";
import { Invalid, NeedMore, Walker } from "./walker.ts";

const LE: Encoding = { explicitVr: true, littleEndian: true };
const IMPLICIT_LE: Encoding = { explicitVr: false, littleEndian: true };

/** The sequence's items walked with `walker.ts`, its errors said as conversion errors. */
class Items {
  readonly #w: Walker;
  readonly #length: number;
  constructor(b: Uint8Array) {
    this.#w = new Walker(b, LE);
    this.#length = b.length;
  }

  /** [tag, VR, value length, header length] of the element (or item) at `at`. */
  header(at: number): [number, string | undefined, number, number] {
    return this.#guard(at, () => this.#w.header(at, LE));
  }

  /** Where the element at `at` ends (a UN of undefined length holds Implicit VR items). */
  skipElement(at: number): number {
    return this.#guard(at, () => {
      const [, vr, length, header] = this.#w.header(at, LE);
      if (length === UNDEFINED_LENGTH) {
        return this.#w.skipSequence(at + header, vr === "UN" ? IMPLICIT_LE : LE, 0);
      }
      const end = at + header + length;
      if (end > this.#length) throw new NeedMore();
      return end;
    });
  }

  /** The end of an undefined-length item's data set (from `at`) and where the item ends. */
  itemEnd(at: number): { content: number; next: number } {
    while (this.header(at)[0] !== ITEM_DELIMITATION) at = this.skipElement(at);
    return { content: at, next: at + 8 };
  }

  /** True when the data set in `[from, to)` has encapsulated Pixel Data at its top level. */
  hasEncapsulatedPixels(from: number, to: number): boolean {
    for (let at = from; at < to; at = this.skipElement(at)) {
      const [tag, , length] = this.header(at);
      if (tag === PIXEL_DATA && length === UNDEFINED_LENGTH) return true;
    }
    return false;
  }

  #guard<T>(at: number, walk: () => T): T {
    try {
      return walk();
    } catch (e) {
      if (e instanceof NeedMore) {
        throw new ConversionError("truncated", `sequence ends unexpectedly at its byte ${at}`);
      }
      if (e instanceof Invalid) {
        throw new ConversionError("malformed", `not a valid element at sequence byte ${at}`);
      }
      throw e;
    }
  }
}

/**
 * `sequence` (a whole SQ element: header, items and, when of undefined length, its
 * delimitation item) with each item that holds encapsulated Pixel Data replaced by
 * `rewrite(itemDataSet)`; the sequence itself (the same array) when none does.
 *
 * @example
 * ```ts ignore
 * import { rewriteItems } from "./items.ts";
 * const decoded = await rewriteItems(iconSequence, (item) => decodeDataSet(item));
 * ```
 */
export async function rewriteItems(
  sequence: Uint8Array,
  rewrite: (dataSet: Uint8Array) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const w = new Items(sequence);
  const [sq, , length, header] = w.header(0);
  const undefinedLength = length === UNDEFINED_LENGTH;
  const end = undefinedLength ? sequence.length - 8 : header + length;
  const parts: Uint8Array[] = [];
  let changed = false;
  for (let at = header; at < end;) {
    const [tag, , itemLength] = w.header(at);
    if (tag !== ITEM) {
      throw new ConversionError(
        "malformed",
        `expected an item in ${tagString(sq)}, found ${tagString(tag)}`,
      );
    }
    const from = at + 8;
    const { content, next } = itemLength === UNDEFINED_LENGTH
      ? w.itemEnd(from)
      : { content: from + itemLength, next: from + itemLength };
    const dataSet = sequence.subarray(from, content);
    if (w.hasEncapsulatedPixels(from, content)) {
      const rewritten = await rewrite(dataSet);
      changed = true;
      if (itemLength === UNDEFINED_LENGTH) {
        parts.push(sequence.subarray(at, from), rewritten, sequence.subarray(content, next));
      } else parts.push(encodeHeader(LE, ITEM, undefined, rewritten.length), rewritten);
    } else parts.push(sequence.subarray(at, next));
    at = next;
  }
  if (!changed) return sequence;
  const items = concatBytes(parts);
  const head = sequence.slice(0, header);
  if (!undefinedLength) new DataView(head.buffer).setUint32(header - 4, items.length, true);
  return concatBytes([head, items, ...(undefinedLength ? [sequence.subarray(end)] : [])]);
}

/**
 * A {@link ReadFn} over `bytes`.
 *
 * @example
 * ```ts
 * import { readBytes } from "./items.ts";
 * const read = readBytes(new Uint8Array([1, 2, 3]));
 * await read(new Uint8Array(2)); // 2
 * ```
 */
export function readBytes(bytes: Uint8Array): ReadFn {
  let at = 0;
  return (p) => {
    if (at >= bytes.length) return Promise.resolve(null);
    const n = Math.min(p.length, bytes.length - at);
    p.set(bytes.subarray(at, at + n));
    at += n;
    return Promise.resolve(n);
  };
}
