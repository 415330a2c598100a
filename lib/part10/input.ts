/**
 * A buffered pull reader with look-ahead, and the element headers read from it, used by the
 * converter and the Pixel Data transcoder.
 *
 * @module
 */

import { type Encoding, KNOWN_VRS, LONG_VRS, tagString, VR_KIND, vrCode } from "./encoding.ts";

const SQ = vrCode("SQ");
import { ConversionError } from "./errors.ts";

/** Reads up to `p.length` bytes into `p`; `null` at the end. */
export type ReadFn = (p: Uint8Array) => Promise<number | null>;

/**
 * Buffers a pull stream so that headers can be peeked and values taken in chunks. Views
 * returned by {@link BufferedInput.take} stay valid only until the next call that reads.
 *
 * @example
 * ```ts
 * import { BufferedInput } from "./input.ts";
 * const data = new Uint8Array([1, 2, 3]);
 * let done = false;
 * const input = new BufferedInput(async (p) => {
 *   if (done) return null;
 *   done = true;
 *   p.set(data);
 *   return data.length;
 * });
 * await input.ensure(2); // true
 * input.take(2); // Uint8Array [1, 2]
 * ```
 */
export class BufferedInput {
  #read: ReadFn;
  #buf: Uint8Array;
  #dv: DataView;
  #start = 0;
  #end = 0;
  #eof = false;
  /** Bytes consumed so far (absolute position in the stream). */
  pos = 0;

  /**
   * @param read the stream
   * @param size initial buffer size (it grows to hold what `ensure` asks for)
   * @param buffer a buffer to use instead of a new one (its contents are overwritten)
   */
  constructor(read: ReadFn, size = 256 * 1024, buffer?: Uint8Array) {
    this.#read = read;
    this.#buf = buffer ?? new Uint8Array(size);
    this.#dv = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  }

  /** The buffer in use (grown as needed), for a caller that reuses it once done with this. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** Bytes buffered and not yet consumed. */
  get available(): number {
    return this.#end - this.#start;
  }

  /** Makes at least `n` bytes available; false if the stream ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.#end - this.#start < n) {
      if (this.#eof) return false;
      const have = this.#end - this.#start;
      const room = this.#buf.length - this.#end;
      if (room < n - have || (room < 65536 && this.#start > 0)) {
        if (n > this.#buf.length) {
          const bigger = new Uint8Array(Math.max(n, this.#buf.length * 2));
          bigger.set(this.#buf.subarray(this.#start, this.#end));
          this.#buf = bigger;
          this.#dv = new DataView(bigger.buffer);
        } else {
          this.#buf.copyWithin(0, this.#start, this.#end);
        }
        this.#start = 0;
        this.#end = have;
      }
      const r = await this.#read(this.#buf.subarray(this.#end));
      if (r === null) this.#eof = true;
      else this.#end += r;
    }
    return true;
  }

  /** True when nothing is buffered and the stream has ended. */
  async atEnd(): Promise<boolean> {
    return !(await this.ensure(1));
  }

  /** Byte at `off` (relative to the read position). */
  u8(off: number): number {
    return this.#buf[this.#start + off];
  }

  /** 16-bit unsigned at `off`. */
  u16(off: number, littleEndian: boolean): number {
    return this.#dv.getUint16(this.#start + off, littleEndian);
  }

  /** 32-bit unsigned at `off`. */
  u32(off: number, littleEndian: boolean): number {
    return this.#dv.getUint32(this.#start + off, littleEndian);
  }

  /** A view of the next `n` buffered bytes, without consuming them. */
  peek(n: number): Uint8Array {
    return this.#buf.subarray(this.#start, this.#start + n);
  }

  /** Consumes and returns a view of `n` buffered bytes (n ≤ available). */
  take(n: number): Uint8Array {
    const v = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    this.pos += n;
    return v;
  }

  /** Consumes `n` buffered bytes (n ≤ available). */
  skip(n: number): void {
    this.#start += n;
    this.pos += n;
  }
}

/** An element (or item, or delimiter) header as read from a data set stream. */
export interface ElementHeader {
  /** (gggg,eeee) as one number. */
  tag: number;
  /** Explicit VR from the source, `undefined` for implicit sources and item tags. */
  vr: string | undefined;
  /** Value length (0xFFFFFFFF: undefined). */
  length: number;
  /** Bytes of the header itself: 8, or 12 for an explicit long VR. */
  headerLength: number;
}

/**
 * A {@link BufferedInput} over a data set: reads its element headers, and says where it goes
 * wrong (a {@link ConversionError} naming the byte).
 *
 * @example
 * ```ts
 * import { ElementInput } from "./input.ts";
 * // (0010,0010) PN, length 4, Explicit VR Little Endian
 * const bytes = new Uint8Array([0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0, 0x41, 0x5e, 0x42, 0x20]);
 * let done = false;
 * const input = new ElementInput(async (p) => {
 *   if (done) return null;
 *   done = true;
 *   p.set(bytes);
 *   return bytes.length;
 * });
 * await input.header({ explicitVr: true, littleEndian: true });
 * // { tag: 0x00100010, vr: "PN", length: 4, headerLength: 8 }
 * input.skip(12);
 * await input.header({ explicitVr: true, littleEndian: true }); // null: the end
 * ```
 */
export class ElementInput extends BufferedInput {
  /**
   * Reads, without consuming it, the next element header as encoded by `enc` (item and
   * delimiter tags always without a VR); `null` at a clean end of the stream. Throws a
   * {@link ConversionError} when the stream ends inside the header ("truncated") or an
   * explicit VR is not one ("malformed").
   */
  async header(enc: Encoding): Promise<ElementHeader | null> {
    if (!(await this.ensure(8))) {
      if (this.available === 0) return null;
      this.truncated();
    }
    const le = enc.littleEndian;
    const tag = ((this.u16(0, le) << 16) | this.u16(2, le)) >>> 0;
    if (!enc.explicitVr || tag >>> 16 === 0xfffe) {
      return { tag, vr: undefined, length: this.u32(4, le), headerLength: 8 };
    }
    const vr = String.fromCharCode(this.u8(4), this.u8(5));
    if (!KNOWN_VRS.has(vr)) this.malformed(`invalid VR ${JSON.stringify(vr)} in ${tagString(tag)}`);
    if (LONG_VRS.has(vr)) {
      if (!(await this.ensure(12))) this.truncated();
      return { tag, vr, length: this.u32(8, le), headerLength: 12 };
    }
    return { tag, vr, length: this.u16(6, le), headerLength: 8 };
  }

  /**
   * How many of the buffered bytes, from the read position, are whole elements that pass as
   * they are (Explicit VR Little Endian, a known VR, a defined length, not a sequence), up to
   * the first element of a group `stop` names (or the first that isn't such an element, or
   * isn't wholly buffered): they can be taken as one span, without reading their headers
   * one by one.
   *
   * @example
   * ```ts
   * import { ElementInput } from "./input.ts";
   * // (0010,0010) PN "A^B ", then (0028,0010) US 2 bytes
   * const bytes = new Uint8Array([
   *   0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0, 0x41, 0x5e, 0x42, 0x20,
   *   0x28, 0, 0x10, 0, 0x55, 0x53, 2, 0, 0, 2,
   * ]);
   * const input = new ElementInput(async (p) => (p.set(bytes), bytes.length));
   * await input.ensure(bytes.length);
   * input.plainElements((group) => group === 0x0028); // 12
   * ```
   */
  plainElements(stop: (group: number) => boolean): number {
    const b = this.peek(this.available);
    let o = 0;
    while (o + 8 <= b.length) {
      const group = b[o] | (b[o + 1] << 8);
      if (stop(group) || group === 0xfffe) break;
      const vr = (b[o + 4] << 8) | b[o + 5];
      const kind = VR_KIND[vr];
      let end: number;
      if (kind === 1) end = o + 8 + (b[o + 6] | (b[o + 7] << 8));
      else if (kind === 2 && vr !== SQ && o + 12 <= b.length) {
        const length = (b[o + 8] | (b[o + 9] << 8) | (b[o + 10] << 16) | (b[o + 11] << 24)) >>> 0;
        if (length === 0xffffffff) break;
        end = o + 12 + length;
      } else break;
      if (end > b.length) break;
      o = end;
    }
    return o;
  }

  /** Throws: the data set ends inside an element ("truncated", at the read position). */
  truncated(): never {
    throw new ConversionError("truncated", `data set ends unexpectedly at byte ${this.pos}`);
  }

  /** Throws: the data set is not what its encoding says (`what`, at the read position). */
  malformed(what: string): never {
    throw new ConversionError("malformed", `${what} at data set byte ${this.pos}`);
  }
}
