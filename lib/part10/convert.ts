/**
 * Element-level streaming re-encoder between Implicit VR Little Endian, Explicit VR Little
 * Endian and Explicit VR Big Endian (deflate is a separate layer, see `deflate.ts`).
 *
 * Values are never decoded. Sequences and items of undefined length stay undefined; defined
 * lengths are recomputed when header sizes change (Implicit ↔ Explicit) by buffering that one
 * sequence element; other elements stream in bounded chunks. Group lengths (gggg,0000) are
 * recomputed the same way.
 *
 * @module
 */

import { type VrContext, vrForTag } from "./dictionary.ts";
import {
  encodeHeader,
  type Encoding,
  headerSize,
  ITEM,
  ITEM_DELIMITATION,
  LONG_VRS,
  PIXEL_DATA,
  SEQUENCE_DELIMITATION,
  SWAP_UNIT,
  swapInPlace,
  tagString,
  UNDEFINED_LENGTH,
} from "./encoding.ts";
import { ConversionError } from "./errors.ts";
import { type ElementHeader as Header, ElementInput, type ReadFn } from "./input.ts";

const CHUNK = 256 * 1024;
/** Elements bigger than this are streamed even inside a group whose length is recomputed. */
const GROUP_BUFFER_LIMIT = 1024 * 1024;

interface GroupBuffer {
  tag: number;
  parts: Uint8Array[];
  size: number;
}

/** Copies every chunk of `gen` (chunks are only valid until the next one is pulled). */
async function collect(
  gen: AsyncGenerator<Uint8Array>,
): Promise<{ parts: Uint8Array[]; size: number }> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of gen) {
    parts.push(c.slice());
    size += c.length;
  }
  return { parts, size };
}

class Converter {
  readonly #in: ElementInput;
  readonly #dst: Encoding;
  #src: Encoding;
  #lengthsChange: boolean;
  #swap: boolean;

  constructor(input: ElementInput, src: Encoding, dst: Encoding) {
    this.#in = input;
    this.#dst = dst;
    this.#src = src;
    this.#lengthsChange = src.explicitVr !== dst.explicitVr;
    this.#swap = src.littleEndian !== dst.littleEndian;
  }

  /** Changes the source encoding (inside a UN sequence, which is always Implicit VR LE). */
  #setSource(src: Encoding): void {
    this.#src = src;
    this.#lengthsChange = src.explicitVr !== this.#dst.explicitVr;
    this.#swap = src.littleEndian !== this.#dst.littleEndian;
  }

  #truncated(): never {
    return this.#in.truncated();
  }

  #malformed(what: string): never {
    return this.#in.malformed(what);
  }

  /** Converts elements until `end` (defined length), an item delimiter, or the end of stream. */
  async *elements(ctx: VrContext, end: number | null, inItem: boolean): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    let group: GroupBuffer | null = null;
    for (;;) {
      if (end !== null && input.pos >= end) {
        if (input.pos > end) this.#malformed("element overruns its item");
        break;
      }
      const h = await this.#in.header(this.#src);
      if (h === null) {
        if (inItem) this.#truncated();
        break;
      }
      if (h.tag === ITEM_DELIMITATION && inItem && end === null) {
        input.skip(8);
        break;
      }
      if (h.tag >>> 16 === 0xfffe) this.#malformed(`unexpected ${tagString(h.tag)}`);
      if (group && h.tag >>> 16 !== group.tag >>> 16) {
        yield* this.#flushGroup(group, group.size);
        group = null;
      }
      if (
        (h.tag & 0xffff) === 0 && h.length === 4 &&
        (h.vr === undefined || h.vr === "UL")
      ) {
        if (!(await input.ensure(h.headerLength + 4))) this.#truncated();
        input.skip(h.headerLength + 4);
        group = { tag: h.tag, parts: [], size: 0 };
        continue;
      }
      if (!group) {
        yield* this.#element(h, ctx);
        continue;
      }
      if (h.length !== UNDEFINED_LENGTH && h.length > GROUP_BUFFER_LIMIT) {
        const vr = h.vr ?? vrForTag(h.tag, ctx);
        if (vr !== "SQ") {
          // Assumes this big element is the group's last (true for Pixel Data, Overlay Data).
          const outVr = this.#outVr(vr, h.length);
          yield* this.#flushGroup(group, group.size + headerSize(this.#dst, outVr) + h.length);
          group = null;
          yield* this.#element(h, ctx);
          continue;
        }
      }
      const { parts, size } = await collect(this.#element(h, ctx));
      group.parts.push(...parts);
      group.size += size;
    }
    if (group) yield* this.#flushGroup(group, group.size);
  }

  *#flushGroup(group: GroupBuffer, size: number): Generator<Uint8Array> {
    const value = new Uint8Array(4);
    new DataView(value.buffer).setUint32(0, size, this.#dst.littleEndian);
    yield encodeHeader(this.#dst, group.tag, "UL", 4);
    yield value;
    yield* group.parts;
  }

  #outVr(vr: string, length: number): string {
    return this.#dst.explicitVr && !LONG_VRS.has(vr) && length > 0xffff ? "UN" : vr;
  }

  async *#element(h: Header, ctx: VrContext): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    const tag = h.tag;
    const undefinedLength = h.length === UNDEFINED_LENGTH;
    if (undefinedLength && tag === PIXEL_DATA) {
      throw new ConversionError(
        "encapsulated",
        "Pixel Data has undefined length (encapsulated/compressed); it can't be converted",
      );
    }
    input.skip(h.headerLength);
    const vr = h.vr ?? (undefinedLength ? "SQ" : vrForTag(tag, ctx));
    if (vr === "SQ") {
      yield* this.#sequence(tag, h.length);
      return;
    }
    if (undefinedLength) {
      if (vr !== "UN") this.#malformed(`undefined length in ${vr} element ${tagString(tag)}`);
      // UN of undefined length: a sequence encoded in Implicit VR LE (CP-246). Like dcmtk,
      // write it as SQ with its items re-encoded in the target syntax.
      const saved = this.#src;
      this.#setSource({ explicitVr: false, littleEndian: true });
      try {
        yield* this.#sequence(tag, UNDEFINED_LENGTH);
      } finally {
        this.#setSource(saved);
      }
      return;
    }
    if (tag === 0x00280103 && h.length === 2) {
      if (!(await input.ensure(2))) this.#truncated();
      ctx.pixelRepresentation = input.u16(0, this.#src.littleEndian);
    }
    yield encodeHeader(this.#dst, tag, this.#outVr(vr, h.length), h.length);
    yield* this.#value(h.length, this.#swap ? SWAP_UNIT[vr] ?? 1 : 1);
  }

  async *#sequence(tag: number, length: number): AsyncGenerator<Uint8Array> {
    const dst = this.#dst;
    if (length === UNDEFINED_LENGTH) {
      yield encodeHeader(dst, tag, "SQ", UNDEFINED_LENGTH);
      yield* this.#items(null);
      yield encodeHeader(dst, SEQUENCE_DELIMITATION, undefined, 0);
    } else if (!this.#lengthsChange) {
      yield encodeHeader(dst, tag, "SQ", length);
      yield* this.#items(this.#in.pos + length);
    } else {
      const { parts, size } = await collect(this.#items(this.#in.pos + length));
      yield encodeHeader(dst, tag, "SQ", size);
      yield* parts;
    }
  }

  async *#items(end: number | null): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    const dst = this.#dst;
    for (;;) {
      if (end !== null && input.pos >= end) {
        if (input.pos > end) this.#malformed("item overruns its sequence");
        return;
      }
      const h = await this.#in.header(this.#src);
      if (h === null) this.#truncated();
      if (h.tag === SEQUENCE_DELIMITATION && end === null) {
        input.skip(8);
        return;
      }
      if (h.tag !== ITEM) this.#malformed(`expected an item, found ${tagString(h.tag)}`);
      input.skip(8);
      const ctx: VrContext = {};
      if (h.length === UNDEFINED_LENGTH) {
        yield encodeHeader(dst, ITEM, undefined, UNDEFINED_LENGTH);
        yield* this.elements(ctx, null, true);
        yield encodeHeader(dst, ITEM_DELIMITATION, undefined, 0);
      } else if (!this.#lengthsChange) {
        yield encodeHeader(dst, ITEM, undefined, h.length);
        yield* this.elements(ctx, input.pos + h.length, true);
      } else {
        const { parts, size } = await collect(this.elements(ctx, input.pos + h.length, true));
        yield encodeHeader(dst, ITEM, undefined, size);
        yield* parts;
      }
    }
  }

  /** Streams `length` value bytes in bounded chunks, swapping `unit`-byte words if > 1. */
  async *#value(length: number, unit: number): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    let remaining = length;
    while (remaining > 0) {
      if (input.available === 0 && !(await input.ensure(1))) this.#truncated();
      let n = Math.min(input.available, remaining, CHUNK);
      if (unit > 1) {
        if (n >= unit) n -= n % unit;
        else if (remaining >= unit) {
          if (!(await input.ensure(unit))) this.#truncated();
          n = unit;
        }
      }
      const v = input.take(n);
      if (unit > 1) swapInPlace(v, unit);
      remaining -= n;
      yield v;
    }
  }
}

/**
 * Re-encodes a whole data set read from `read` (encoded as `src`) into `dst`, yielding chunks
 * that are valid only until the next chunk is requested (copy them to keep them).
 * Throws {@link ConversionError} for encapsulated pixel data and malformed or truncated input.
 *
 * @example
 * ```ts
 * import { convertDataset } from "jsr:@x/storescu/part10";
 * const bytes = new Uint8Array([0x10, 0, 0x10, 0, 2, 0, 0, 0, 0x41, 0x20]); // (0010,0010) "A "
 * let done = false;
 * const read = async (p: Uint8Array) => {
 *   if (done) return null;
 *   done = true;
 *   p.set(bytes);
 *   return bytes.length;
 * };
 * const out: number[] = [];
 * const implicit = { explicitVr: false, littleEndian: true };
 * const explicit = { explicitVr: true, littleEndian: true };
 * for await (const c of convertDataset(read, implicit, explicit)) out.push(...c);
 * // out: 10 00 10 00 "PN" 02 00 41 20
 * ```
 */
export function convertDataset(
  read: ReadFn,
  src: Encoding,
  dst: Encoding,
): AsyncGenerator<Uint8Array> {
  const converter = new Converter(new ElementInput(read, CHUNK), src, dst);
  return converter.elements({}, null, false);
}
