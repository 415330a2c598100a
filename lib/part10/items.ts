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
  ITEM,
  ITEM_DELIMITATION,
  KNOWN_VRS,
  LONG_VRS,
  PIXEL_DATA,
  SEQUENCE_DELIMITATION,
  tagString,
  UNDEFINED_LENGTH,
} from "./encoding.ts";
import { concatBytes } from "../bytes.ts";
import type { ReadFn } from "./input.ts";

class Walker {
  readonly #b: Uint8Array;
  readonly #dv: DataView;
  constructor(b: Uint8Array) {
    this.#b = b;
    this.#dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  #need(at: number, n: number): void {
    if (at + n > this.#b.length) {
      throw new ConversionError("truncated", `sequence ends unexpectedly at its byte ${at}`);
    }
  }

  tag(at: number): number {
    this.#need(at, 8);
    return ((this.#dv.getUint16(at, true) << 16) | this.#dv.getUint16(at + 2, true)) >>> 0;
  }

  u32(at: number): number {
    this.#need(at, 4);
    return this.#dv.getUint32(at, true);
  }

  /** An element's header length, value length and VR (`undefined`: Implicit VR). */
  element(at: number, implicit = false): { header: number; length: number; vr?: string } {
    const tag = this.tag(at);
    if (implicit) return { header: 8, length: this.u32(at + 4) };
    const vr = String.fromCharCode(this.#b[at + 4], this.#b[at + 5]);
    if (LONG_VRS.has(vr)) return { header: 12, length: this.u32(at + 8), vr };
    if (!KNOWN_VRS.has(vr)) {
      throw new ConversionError(
        "malformed",
        `invalid VR ${JSON.stringify(vr)} in ${tagString(tag)}`,
      );
    }
    return { header: 8, length: this.#dv.getUint16(at + 6, true), vr };
  }

  /**
   * Where the element at `at` ends (`implicit`: encoded with Implicit VR, as inside a UN of
   * undefined length, PS3.5 6.2.2).
   */
  skipElement(at: number, implicit = false): number {
    const { header, length, vr } = this.element(at, implicit);
    if (length !== UNDEFINED_LENGTH) return this.#within(at + header + length);
    return this.skipItems(at + header, implicit || vr === "UN");
  }

  /** Where the items from `at` end: just past their sequence delimitation item. */
  skipItems(at: number, implicit = false): number {
    for (;;) {
      const tag = this.tag(at);
      if (tag === SEQUENCE_DELIMITATION) return at + 8;
      if (tag !== ITEM) this.#expectedItem(at, tag);
      const length = this.u32(at + 4);
      at = length === UNDEFINED_LENGTH
        ? this.itemEnd(at + 8, implicit).next
        : this.#within(at + 8 + length);
    }
  }

  /** The end of an undefined-length item's data set (from `at`) and where the item ends. */
  itemEnd(at: number, implicit = false): { content: number; next: number } {
    for (;;) {
      if (this.tag(at) === ITEM_DELIMITATION) return { content: at, next: at + 8 };
      at = this.skipElement(at, implicit);
    }
  }

  /** True when the data set in `[from, to)` has encapsulated Pixel Data at its top level. */
  hasEncapsulatedPixels(from: number, to: number): boolean {
    for (let at = from; at < to; at = this.skipElement(at)) {
      if (this.tag(at) === PIXEL_DATA && this.element(at).length === UNDEFINED_LENGTH) return true;
    }
    return false;
  }

  #within(end: number): number {
    this.#need(0, end);
    return end;
  }

  #expectedItem(at: number, tag: number): never {
    throw new ConversionError(
      "malformed",
      `expected an item at sequence byte ${at}, found ${tagString(tag)}`,
    );
  }
}

function itemHeader(tag: number, length: number): Uint8Array {
  const h = new Uint8Array(8);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, tag >>> 16, true);
  dv.setUint16(2, tag & 0xffff, true);
  dv.setUint32(4, length, true);
  return h;
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
  const w = new Walker(sequence);
  const { header, length } = w.element(0);
  const undefinedLength = length === UNDEFINED_LENGTH;
  const end = undefinedLength ? sequence.length - 8 : header + length;
  const parts: Uint8Array[] = [];
  let changed = false;
  for (let at = header; at < end;) {
    const tag = w.tag(at);
    if (tag !== ITEM) {
      throw new ConversionError(
        "malformed",
        `expected an item in ${tagString(w.tag(0))}, found ${tagString(tag)}`,
      );
    }
    const itemLength = w.u32(at + 4);
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
      } else parts.push(itemHeader(ITEM, rewritten.length), rewritten);
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
