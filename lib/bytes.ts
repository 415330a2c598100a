/**
 * Small byte-array helpers shared by the codecs and the tests.
 *
 * @module
 */

/**
 * Joins byte arrays into one new array (the only one, returned as is, when there is one).
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * The unsigned 16-bit integer at `b[o]`, little-endian unless `le` is false.
 *
 * @example
 * ```ts
 * import { readU16 } from "./bytes.ts";
 * readU16(new Uint8Array([0x02, 0x00]), 0); // 2
 * readU16(new Uint8Array([0x02, 0x00]), 0, false); // 512
 * ```
 */
export function readU16(b: Uint8Array, o: number, le = true): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

/**
 * The unsigned 32-bit integer at `b[o]`, little-endian unless `le` is false.
 *
 * @example
 * ```ts
 * import { readU32 } from "./bytes.ts";
 * readU32(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0); // 4294967295
 * ```
 */
export function readU32(b: Uint8Array, o: number, le = true): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000
    : b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}
