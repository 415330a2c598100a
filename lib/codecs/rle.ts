/**
 * RLE Lossless (PS3.5 Annex G), in TypeScript: a frame is a 64-byte header (number of
 * segments, then 15 little-endian offsets) and one PackBits segment per byte of each sample,
 * most significant byte first, sample by sample (G.2). Decoded frames are laid out as the
 * data set's Planar Configuration says; encoded frames encode each row separately (G.3.1).
 * Decoding runs each segment's PackBits loop in WebAssembly (`packbits.ts`); 16-bit grey
 * frames decode as two planes interleaved there.
 *
 * @module
 */

import {
  CodecError,
  type Colour,
  colourOf,
  type FrameCodec,
  frameLength,
  type ImageInfo,
} from "./types.ts";
import { packBits } from "./packbits.ts";

const HEADER = 64;

function bytesPerSample(image: ImageInfo): number {
  return image.bitsAllocated === 1 ? 1 : image.bitsAllocated / 8;
}

/** Segments a frame of `image` has: one per byte of each sample (G.2). */
function segmentCount(image: ImageInfo): number {
  return image.samplesPerPixel * bytesPerSample(image);
}

function checkImage(image: ImageInfo): void {
  const ba = image.bitsAllocated;
  if (ba !== 1 && (ba % 8 !== 0 || ba === 0)) {
    throw new CodecError("unsupported", `RLE: Bits Allocated ${ba} is not 1 or a multiple of 8`);
  }
  if (ba === 1 && image.samplesPerPixel !== 1) {
    throw new CodecError("unsupported", "RLE: 1-bit data with more than one sample per pixel");
  }
  const n = segmentCount(image);
  if (n > 15) {
    throw new CodecError("unsupported", `RLE: ${n} segments needed, at most 15 fit (G.5)`);
  }
}

/**
 * Decodes one RLE frame into native pixel data (little-endian samples, laid out by the
 * image's Planar Configuration): into `into` when it is large enough (a view of it is
 * returned), else into a new array.
 *
 * @example
 * ```ts
 * import { decodeRleFrame } from "./rle.ts";
 * // 1 segment at offset 64: a replicate run of 4 bytes 0x07 (header byte -3 = 0xFD).
 * const frame = new Uint8Array(66);
 * frame.set([1, 0, 0, 0, 64], 0);
 * frame.set([0xfd, 0x07], 64);
 * const image = {
 *   rows: 2, columns: 2, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8,
 *   pixelRepresentation: 0, planarConfiguration: 0, photometricInterpretation: "MONOCHROME2",
 *   frames: 1,
 * };
 * decodeRleFrame(frame, image); // Uint8Array [7, 7, 7, 7]
 * ```
 */
export function decodeRleFrame(
  frame: Uint8Array,
  image: ImageInfo,
  into?: Uint8Array,
): Uint8Array {
  checkImage(image);
  if (frame.length < HEADER) {
    throw new CodecError("corrupt", `RLE: frame of ${frame.length} bytes has no 64-byte header`);
  }
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = dv.getUint32(0, true);
  const expected = segmentCount(image);
  if (segments !== expected) {
    throw new CodecError(
      "corrupt",
      `RLE: header lists ${segments} segments, the image needs ${expected}`,
    );
  }
  const offsets: number[] = [];
  for (let s = 0; s < segments; s++) offsets.push(dv.getUint32(4 + 4 * s, true));
  offsets.push(frame.length);
  for (let s = 0; s < segments; s++) {
    if (offsets[s] > frame.length) {
      throw new CodecError(
        "corrupt",
        `RLE: segment ${s + 1} starts at byte ${
          offsets[s]
        }, past the end of the ${frame.length}-byte frame`,
      );
    }
    if (offsets[s] < HEADER || offsets[s] > offsets[s + 1]) {
      throw new CodecError("corrupt", `RLE: segment ${s + 1} offset ${offsets[s]} is out of order`);
    }
  }
  const length = frameLength(image);
  const out = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  const bps = bytesPerSample(image);
  const spp = image.samplesPerPixel;
  const pixels = image.bitsAllocated === 1 ? length : image.rows * image.columns;
  const planar = image.planarConfiguration === 1;
  // 16-bit grey (CT, MR...): each segment decodes as a plane, then the two are interleaved.
  const grey16 = bps === 2 && spp === 1;
  const m = packBits(frame.length, length, grey16 ? pixels : 0);
  const { unpack1, zip2 } = m; // absent without WebAssembly SIMD: byte by byte then
  m.input.set(frame);
  const check = (s: number, missing: number) => {
    if (missing > 0) {
      throw new CodecError(
        "length",
        `RLE: segment ${s + 1} decodes to ${pixels - missing} bytes, ${pixels} expected`,
      );
    }
  };
  if (grey16 && unpack1 && zip2) {
    // The high bytes in the output's second half, the low ones in scratch; zip2 reads each
    // block of the second half before its writes can reach it.
    const high = m.outputAt + pixels;
    check(0, unpack1(offsets[0], offsets[1], high, pixels));
    check(1, unpack1(offsets[1], offsets[2], m.scratchAt, pixels));
    zip2(m.scratchAt, high, m.outputAt, pixels);
  } else if (bps === 1 && (spp === 1 || planar) && unpack1) {
    // Each segment is the image or one colour plane: consecutive bytes, plane after plane.
    for (let s = 0; s < segments; s++) {
      check(s, unpack1(offsets[s], offsets[s + 1], m.outputAt + s * pixels, pixels));
    }
  } else {
    // Each segment straight into its place: segments run MSB first, samples are little endian.
    for (let s = 0; s < segments; s++) {
      const sample = Math.floor(s / bps);
      const byte = bps - 1 - (s % bps);
      const start = planar ? sample * pixels * bps + byte : sample * bps + byte;
      const stride = planar ? bps : spp * bps;
      check(s, m.unpack(offsets[s], offsets[s + 1], m.outputAt + start, pixels, stride));
    }
  }
  out.set(m.output);
  return out;
}

/** PackBits-encodes `count` bytes of `src` (from `start`, every `stride`) row by row. */
class SegmentWriter {
  out: Uint8Array;
  n = 0;
  #row: Uint8Array;
  constructor(capacity: number, rowLength: number) {
    this.out = new Uint8Array(capacity);
    this.#row = new Uint8Array(rowLength);
  }

  #literal(row: Uint8Array, from: number, to: number): void {
    while (from < to) {
      const k = Math.min(128, to - from);
      this.out[this.n++] = k - 1;
      this.out.set(row.subarray(from, from + k), this.n);
      this.n += k;
      from += k;
    }
  }

  /** Encodes one row (gathered from `src`) without crossing its end. */
  row(src: Uint8Array, start: number, stride: number, length: number): void {
    const row = this.#row;
    for (let i = 0, o = start; i < length; i++, o += stride) row[i] = src[o];
    let lit = 0; // start of the pending literal run
    let i = 0;
    while (i < length) {
      let j = i + 1;
      while (j < length && row[j] === row[i] && j - i < 128) j++;
      const run = j - i;
      // Three or more: a replicate run (G.3.1). Two: one too, unless literals surround it.
      const surrounded = run === 2 && i > lit && j < length;
      if (run >= 3 || (run === 2 && !surrounded)) {
        this.#literal(row, lit, i);
        this.out[this.n++] = 257 - run;
        this.out[this.n++] = row[i];
        lit = j;
      }
      i = j;
    }
    this.#literal(row, lit, length);
  }
}

/**
 * Encodes one native frame (little-endian samples, laid out by the image's Planar
 * Configuration) as an RLE frame: header, then one segment per sample byte, MSB first, each
 * row encoded separately and each segment padded to even length.
 *
 * @example
 * ```ts
 * import { encodeRleFrame } from "./rle.ts";
 * const image = {
 *   rows: 1, columns: 4, samplesPerPixel: 1, bitsAllocated: 8, bitsStored: 8,
 *   pixelRepresentation: 0, planarConfiguration: 0, photometricInterpretation: "MONOCHROME2",
 *   frames: 1,
 * };
 * const rle = encodeRleFrame(new Uint8Array([7, 7, 7, 7]), image);
 * rle.subarray(64); // Uint8Array [0xfd, 7]: replicate 4 × 0x07
 * ```
 */
export function encodeRleFrame(pixels: Uint8Array, image: ImageInfo): Uint8Array {
  checkImage(image);
  if (image.bitsAllocated === 1) {
    throw new CodecError("unsupported", "RLE: storescu doesn't encode 1-bit data");
  }
  const length = frameLength(image);
  if (pixels.length !== length) {
    throw new CodecError("length", `RLE: frame of ${pixels.length} bytes, ${length} expected`);
  }
  const bps = bytesPerSample(image);
  const spp = image.samplesPerPixel;
  const { rows, columns } = image;
  const count = rows * columns;
  const planar = image.planarConfiguration === 1;
  const segments = segmentCount(image);
  // Worst case per row: one header byte per 128 literal bytes.
  const rowWorst = columns + Math.ceil(columns / 128);
  const w = new SegmentWriter(HEADER + segments * (rows * rowWorst + 1), columns);
  const header = new DataView(w.out.buffer);
  header.setUint32(0, segments, true);
  w.n = HEADER;
  for (let s = 0; s < segments; s++) {
    header.setUint32(4 + 4 * s, w.n, true);
    const sample = Math.floor(s / bps);
    const byte = bps - 1 - (s % bps);
    const start = planar ? sample * count * bps + byte : sample * bps + byte;
    const stride = planar ? bps : spp * bps;
    for (let r = 0; r < rows; r++) w.row(pixels, start + r * columns * stride, stride, columns);
    if (w.n % 2) w.out[w.n++] = 0;
  }
  return w.out.slice(0, w.n);
}

/**
 * The RLE Lossless codec. Decoded frames keep the stored colour model and planar
 * configuration; encoded colour frames are labelled colour-by-plane, as the segments are
 * (PS3.5 G.2; DCMTK does the same).
 *
 * @example
 * ```ts
 * import { rleCodec } from "./rle.ts";
 * rleCodec.encodedColour!({ samplesPerPixel: 3, photometricInterpretation: "RGB", planarConfiguration: 0 })
 *   .planarConfiguration; // 1
 * ```
 */
export const rleCodec: FrameCodec = {
  name: "RLE Lossless (TypeScript, PackBits in WebAssembly; PS3.5 Annex G)",
  decodedColour: colourOf,
  decode: decodeRleFrame,
  encodedColour: (native: Colour) => ({
    ...colourOf(native),
    planarConfiguration: native.samplesPerPixel > 1 ? 1 : native.planarConfiguration,
  }),
  encode: encodeRleFrame,
};
