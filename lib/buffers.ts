/**
 * Large buffers kept from one frame and one file to the next. A new array of a frame's size
 * costs more than decoding a simple frame: its pages are zeroed and faulted in afresh, and
 * freed again after the next garbage collection (measured: ~1.5 ms per 512 KB array, three
 * times the decoding of a 512x512 16-bit RLE frame).
 *
 * @module
 */

/**
 * A few buffers, handed out and given back; the contents of a buffer taken are whatever its
 * last user left in it.
 *
 * @example
 * ```ts
 * import { BufferPool } from "./buffers.ts";
 * const pool = new BufferPool(2, 1 << 20);
 * const a = pool.take(1000); // a new array of 1000 bytes
 * pool.give(a);
 * pool.take(500) === a; // true: any buffer at least that large
 * ```
 */
export class BufferPool {
  readonly #keep: number;
  readonly #maxBytes: number;
  #free: Uint8Array[] = [];

  /**
   * @param keep buffers kept at most
   * @param maxBytes larger buffers are not kept
   */
  constructor(keep: number, maxBytes: number) {
    this.#keep = keep;
    this.#maxBytes = maxBytes;
  }

  /** The largest buffer kept when it holds `size` bytes, else a new array of `size` bytes. */
  take(size: number): Uint8Array {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      if (best < 0 || this.#free[i].length > this.#free[best].length) best = i;
    }
    if (best < 0 || this.#free[best].length < size) return new Uint8Array(size);
    return this.#free.splice(best, 1)[0];
  }

  /** Gives `buffer` back (kept when small enough, in place of a smaller one when full). */
  give(buffer: Uint8Array): void {
    if (buffer.length > this.#maxBytes || this.#free.includes(buffer)) return;
    if (this.#free.length < this.#keep) {
      this.#free.push(buffer);
      return;
    }
    let smallest = 0;
    for (let i = 1; i < this.#free.length; i++) {
      if (this.#free[i].length < this.#free[smallest].length) smallest = i;
    }
    if (this.#free[smallest].length < buffer.length) this.#free[smallest] = buffer;
  }
}
