/**
 * A buffered pull reader with look-ahead, and the element headers read from it, used by the
 * converter and the Pixel Data transcoder.
 *
 * @module
 */

import { type Encoding, KNOWN_VRS, LONG_VRS, tagString } from "./encoding.ts";
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
 * The error of a data set that ends inside an element, at `input`'s position.
 *
 * @example
 * ```ts
 * import { BufferedInput, truncatedError } from "./input.ts";
 * const input = new BufferedInput(() => Promise.resolve(null));
 * truncatedError(input).message; // "data set ends unexpectedly at byte 0"
 * ```
 */
export function truncatedError(input: BufferedInput): ConversionError {
  return new ConversionError("truncated", `data set ends unexpectedly at byte ${input.pos}`);
}

/**
 * The error of a data set that is not what its encoding says (`what`), at `input`'s position.
 *
 * @example
 * ```ts
 * import { BufferedInput, malformedError } from "./input.ts";
 * const input = new BufferedInput(() => Promise.resolve(null));
 * malformedError(input, "invalid VR").message; // "invalid VR at data set byte 0"
 * ```
 */
export function malformedError(input: BufferedInput, what: string): ConversionError {
  return new ConversionError("malformed", `${what} at data set byte ${input.pos}`);
}

/**
 * Reads, without consuming it, the next element header of `input` as encoded by `enc` (item
 * and delimiter tags always without a VR); `null` at a clean end of the stream. Throws a
 * {@link ConversionError} when the stream ends inside the header ("truncated") or an explicit
 * VR is not one (`malformed`).
 *
 * @example
 * ```ts
 * import { BufferedInput, readElementHeader } from "./input.ts";
 * // (0010,0010) PN, length 4, Explicit VR Little Endian
 * const bytes = new Uint8Array([0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0, 0x41, 0x5e, 0x42, 0x20]);
 * let done = false;
 * const input = new BufferedInput(async (p) => {
 *   if (done) return null;
 *   done = true;
 *   p.set(bytes);
 *   return bytes.length;
 * });
 * await readElementHeader(input, { explicitVr: true, littleEndian: true });
 * // { tag: 0x00100010, vr: "PN", length: 4, headerLength: 8 }
 * ```
 */
export async function readElementHeader(
  input: BufferedInput,
  enc: Encoding,
): Promise<ElementHeader | null> {
  if (!(await input.ensure(8))) {
    if (input.available === 0) return null;
    throw truncatedError(input);
  }
  const le = enc.littleEndian;
  const tag = ((input.u16(0, le) << 16) | input.u16(2, le)) >>> 0;
  if (!enc.explicitVr || tag >>> 16 === 0xfffe) {
    return { tag, vr: undefined, length: input.u32(4, le), headerLength: 8 };
  }
  const vr = String.fromCharCode(input.u8(4), input.u8(5));
  if (!KNOWN_VRS.has(vr)) {
    throw malformedError(input, `invalid VR ${JSON.stringify(vr)} in ${tagString(tag)}`);
  }
  if (LONG_VRS.has(vr)) {
    if (!(await input.ensure(12))) throw truncatedError(input);
    return { tag, vr, length: input.u32(8, le), headerLength: 12 };
  }
  return { tag, vr, length: input.u16(6, le), headerLength: 8 };
}
