/**
 * A buffered pull reader with look-ahead, used by the element walker and the converter.
 *
 * @module
 */

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
