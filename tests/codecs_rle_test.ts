/**
 * RLE Lossless in TypeScript (lib/codecs/rle.ts), byte layouts pinned from PS3.5 Annex G:
 * the 64-byte header (G.5), the segment order (G.2: one per byte of each sample, most
 * significant first), PackBits runs (G.3.1: replicate `-count+1, byte`, literal
 * `count-1, bytes`, three-byte repeats as replicate runs, rows encoded separately, segments
 * padded to even length) and the decoder (G.3.2: -128 is a no-op), whose PackBits loop is a
 * WebAssembly function (lib/codecs/packbits.ts).
 */
import assert from "node:assert/strict";
import { decodeRleFrame, encodeRleFrame, rleCodec } from "../lib/codecs/rle.ts";
import { CodecError, type ImageInfo } from "../lib/codecs/types.ts";
import { packBits, packBitsModule } from "../lib/codecs/packbits.ts";

function image(over: Partial<ImageInfo> = {}): ImageInfo {
  return {
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 8,
    bitsStored: 8,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: "MONOCHROME2",
    frames: 1,
    ...over,
  };
}

/** A frame: the header for `segments`, then the segments. */
function frame(...segments: number[][]): Uint8Array {
  const body = segments.flat();
  const out = new Uint8Array(64 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, segments.length, true);
  let off = 64;
  segments.forEach((s, i) => {
    dv.setUint32(4 + 4 * i, off, true);
    off += s.length;
  });
  out.set(body, 64);
  return out;
}

function header(rle: Uint8Array): number[] {
  const dv = new DataView(rle.buffer, rle.byteOffset);
  return Array.from({ length: 16 }, (_, i) => dv.getUint32(4 * i, true));
}

Deno.test("RLE header (G.5): segment count, offsets from the header's start (first 64), unused 0", () => {
  const rle = encodeRleFrame(
    new Uint8Array([1, 2, 3, 4, 5, 6]),
    image({ columns: 2, samplesPerPixel: 3 }),
  );
  // 3 segments (R, G, B), each a 2-byte literal run + 1 pad byte... here: "01 r1 r2" + pad.
  assert.deepEqual(header(rle), [3, 64, 68, 72, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(rle.length, 76);
  assert.deepEqual([...rle.subarray(64)], [1, 1, 4, 0, 1, 2, 5, 0, 1, 3, 6, 0]);
});

Deno.test("RLE runs (G.3.1): replicate -count+1, literal count-1, three-byte repeats replicate", () => {
  const enc = (
    bytes: number[],
  ) => [...encodeRleFrame(new Uint8Array(bytes), image({ columns: bytes.length })).subarray(64)];
  assert.deepEqual(enc([7, 7, 7, 7]), [0xfd, 7]); // -3: 4 × 07
  assert.deepEqual(enc([1, 2, 3, 4]), [3, 1, 2, 3, 4, 0]); // 4 literal bytes, padded to even
  assert.deepEqual(enc([1, 2, 9, 9, 9, 3]), [1, 1, 2, 0xfe, 9, 0, 3, 0]); // 3 × 09 replicate
  // A two-byte repeat between literals joins them; alone, it is a replicate run.
  assert.deepEqual(enc([1, 5, 5, 2]), [3, 1, 5, 5, 2, 0]);
  assert.deepEqual(enc([5, 5]), [0xff, 5]);
  // Runs longer than 128 split; so do literal runs.
  const long = enc(Array(130).fill(4));
  assert.deepEqual(long, [0x81, 4, 0xff, 4]); // 128 + 2
  const lit = Array.from({ length: 130 }, (_, i) => i % 2);
  const out = enc(lit);
  assert.equal(out[0], 127);
  assert.equal(out[129], 1);
  assert.deepEqual(out.slice(129), [1, 0, 1]); // then 2 literals (132 bytes: no pad)
});

Deno.test("RLE: each row is encoded separately, never one run across rows", () => {
  const rle = encodeRleFrame(new Uint8Array(8).fill(7), image({ rows: 2, columns: 4 }));
  assert.deepEqual([...rle.subarray(64)], [0xfd, 7, 0xfd, 7]);
});

Deno.test("RLE segment order (G.2): most significant byte first, sample by sample", () => {
  // Two 16-bit pixels 0x1234, 0xABCD (little endian in native data).
  const img = image({ columns: 2, bitsAllocated: 16, bitsStored: 16 });
  const rle = encodeRleFrame(new Uint8Array([0x34, 0x12, 0xcd, 0xab]), img);
  assert.equal(header(rle)[0], 2);
  assert.deepEqual([...rle.subarray(64)], [1, 0x12, 0xab, 0, 1, 0x34, 0xcd, 0]);
  assert.deepEqual([...decodeRleFrame(rle, img)], [0x34, 0x12, 0xcd, 0xab]);
  // 32-bit: four segments.
  const img32 = image({ columns: 1, bitsAllocated: 32, bitsStored: 32 });
  const r32 = encodeRleFrame(new Uint8Array([1, 2, 3, 4]), img32);
  assert.equal(header(r32)[0], 4);
  assert.deepEqual([...r32.subarray(64)], [0, 4, 0, 3, 0, 2, 0, 1]);
});

Deno.test("RLE colour: segments by plane; decoded as the Planar Configuration says", () => {
  // R, G, B segments of 2 pixels each.
  const rle = frame([1, 10, 11], [1, 20, 21], [1, 30, 31]);
  const rgb = image({ columns: 2, samplesPerPixel: 3, photometricInterpretation: "RGB" });
  assert.deepEqual([...decodeRleFrame(rle, rgb)], [10, 20, 30, 11, 21, 31]);
  assert.deepEqual([...decodeRleFrame(rle, { ...rgb, planarConfiguration: 1 })], [
    10,
    11,
    20,
    21,
    30,
    31,
  ]);
  // Encoded colour is labelled colour-by-plane (as DCMTK's encoder does).
  assert.equal(
    rleCodec.encodedColour!({
      samplesPerPixel: 3,
      photometricInterpretation: "RGB",
      planarConfiguration: 0,
    })
      .planarConfiguration,
    1,
  );
  assert.deepEqual(rleCodec.decodedColour(rgb), {
    samplesPerPixel: 3,
    photometricInterpretation: "RGB",
    planarConfiguration: 0,
  });
});

Deno.test("RLE decoder: -128 is a no-op; runs are cut at the frame's size", () => {
  const img = image({ columns: 4 });
  assert.deepEqual([...decodeRleFrame(frame([0x80, 1, 1, 2, 0x80, 0xff, 3]), img)], [1, 2, 3, 3]);
  // A run longer than what is left of the segment stops at the frame's end.
  assert.deepEqual([...decodeRleFrame(frame([0x81, 9]), img)], [9, 9, 9, 9]);
});

Deno.test("RLE decoder: a short segment, a wrong segment count or a bad header is refused", () => {
  const img = image({ columns: 4 });
  assert.throws(
    () => decodeRleFrame(frame([0xfe, 7]), img),
    (e: unknown) =>
      e instanceof CodecError && e.code === "length" && /3 bytes, 4 expected/.test(e.message),
  );
  assert.throws(
    () => decodeRleFrame(frame([0xfd, 7], [0xfd, 7]), img),
    (e: unknown) => e instanceof CodecError && e.code === "corrupt" && /2 segments/.test(e.message),
  );
  assert.throws(() => decodeRleFrame(new Uint8Array(10), img), /no 64-byte header/);
  const bad = frame([0xfd, 7]);
  new DataView(bad.buffer).setUint32(4, 20, true);
  assert.throws(() => decodeRleFrame(bad, img), /out of order/);
  // More than 15 segments can't be: 16 samples of 8 bits.
  assert.throws(() => decodeRleFrame(frame([0]), image({ samplesPerPixel: 16 })), /at most 15/);
});

Deno.test("RLE: encode then decode gives the pixels back (8/16/32-bit, grey and colour, both layouts)", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16;
  // 7 x 13: short runs; 33 x 517 (odd): literal runs of up to 128 and long replicate runs
  // too, over several 16-byte blocks (unpack1) and an odd number of pixels to interleave (zip2).
  for (const [rows, columns] of [[7, 13], [33, 517]]) {
    for (const bits of [8, 16, 32]) {
      for (const spp of [1, 3]) {
        for (const pc of [0, 1]) {
          const img = image({
            rows,
            columns,
            bitsAllocated: bits,
            bitsStored: bits,
            samplesPerPixel: spp,
            planarConfiguration: pc,
            photometricInterpretation: spp === 3 ? "RGB" : "MONOCHROME2",
          });
          const pixels = new Uint8Array(rows * columns * spp * (bits / 8));
          // Runs and noise; in the large image, stretches of each.
          for (let i = 0; i < pixels.length; i++) {
            const noisy = rows === 7 ? rand() % 4 === 0 : (i >> 9) % 3 !== 0;
            pixels[i] = noisy ? rand() & 0xff : 5;
          }
          const rle = encodeRleFrame(pixels, img);
          assert.equal(rle.length % 2, 0);
          assert.deepEqual(
            decodeRleFrame(rle, img),
            pixels,
            `${rows} x ${columns}, ${bits}-bit, ${spp} samples, PC ${pc}`,
          );
        }
      }
    }
  }
});

Deno.test("RLE 1-bit: one segment of the frame's packed bytes; not encoded", () => {
  const img = image({ rows: 2, columns: 10, bitsAllocated: 1, bitsStored: 1 });
  assert.deepEqual([...decodeRleFrame(frame([2, 0xff, 0x03, 0xaa, 0]), img)], [0xff, 0x03, 0xaa]);
  assert.throws(() => encodeRleFrame(new Uint8Array(3), img), /1-bit/);
});

Deno.test("PackBits in WebAssembly (G.3.2): literal, replicate and no-op runs, a stride, a segment that ends early", () => {
  const m = packBits(9, 12);
  // 2 literal bytes (h = 1), -128 (no-op), 3 x 0x07 (h = -2 = 0xfe), 1 literal byte.
  m.input.set([0x01, 0x0a, 0x0b, 0x80, 0xfe, 0x07, 0x00, 0x0c]);
  m.output.fill(0xee);
  assert.equal(m.unpack(0, 8, m.outputAt, 6, 2), 0);
  assert.deepEqual(
    [...m.output],
    [0x0a, 0xee, 0x0b, 0xee, 0x07, 0xee, 0x07, 0xee, 0x07, 0xee, 0x0c, 0xee],
  );
  // Cut at `count`, however long the run: nothing written beyond.
  m.output.fill(0);
  assert.equal(m.unpack(4, 6, m.outputAt, 2, 1), 0);
  assert.deepEqual([...m.output.subarray(0, 3)], [7, 7, 0]);
  // The segment ends first: how many bytes are missing.
  assert.equal(m.unpack(0, 3, m.outputAt, 5, 1), 3);
  // A replicate header with no byte after it produces nothing.
  m.input.set([0xfe]);
  assert.equal(m.unpack(0, 1, m.outputAt, 2, 1), 2);
});

Deno.test("PackBits in WebAssembly: unpack1 copies and repeats in 16-byte blocks; zip2 interleaves two planes in place", () => {
  // High bytes: a 40-byte literal (h = 39), 37 x 0x09 (h = -36 = 0xdc), a no-op, a 1-byte
  // literal. Low bytes: one literal run of all 78.
  const literal = Array.from({ length: 40 }, (_, i) => i + 100);
  const high = [...literal, ...Array(37).fill(9), 0x42];
  const n = high.length; // 78: not a multiple of 16
  const low = high.map((v) => v ^ 0xff);
  const first = [39, ...literal, 0xdc, 0x09, 0x80, 0x00, 0x42];
  const segments = [...first, n - 1, ...low];
  const second = first.length;
  const m = packBits(segments.length, 2 * n, n);
  // This machine has WebAssembly SIMD (else the module without it, tested below).
  assert.ok(m.unpack1 && m.zip2);
  const { unpack1, zip2 } = m;
  m.input.set(segments);
  m.output.fill(0xee);
  // The high plane into the output's second half, the low one into scratch, then zipped.
  assert.equal(unpack1(0, second, m.outputAt + n, n), 0);
  assert.deepEqual([...m.output.subarray(n)], high);
  assert.equal(unpack1(second, segments.length, m.scratchAt, n), 0);
  zip2(m.scratchAt, m.outputAt + n, m.outputAt, n);
  assert.deepEqual([...m.output], high.flatMap((v, i) => [low[i], v]));
  // Cut at `count` in the middle of a block; a segment that ends early says what is missing.
  m.output.fill(0);
  assert.equal(unpack1(0, second, m.outputAt, 20), 0);
  assert.deepEqual([...m.output.subarray(0, 20)], high.slice(0, 20));
  assert.equal(unpack1(0, 10, m.outputAt, n), n - 9);
});

Deno.test("PackBits in WebAssembly: without SIMD (an x86-64 CPU without SSE4.1), the module has the byte-by-byte unpack alone, and it decodes", () => {
  assert.ok(WebAssembly.validate(packBitsModule(true)));
  const plain = packBitsModule(false);
  assert.ok(WebAssembly.validate(plain));
  // No SIMD opcode prefix (0xfd) anywhere in its code.
  assert.ok(packBitsModule(true).includes(0xfd) && !plain.includes(0xfd));
  const x = new WebAssembly.Instance(new WebAssembly.Module(plain), {}).exports;
  assert.deepEqual(Object.keys(x).sort(), ["memory", "unpack"]);
  const unpack = x.unpack as (f: number, t: number, a: number, c: number, s: number) => number;
  const mem = new Uint8Array((x.memory as WebAssembly.Memory).buffer);
  mem.set([0x01, 0x0a, 0x0b, 0xfe, 0x07], 0); // 2 literal bytes, 3 x 0x07
  assert.equal(unpack(0, 5, 64, 5, 2), 0);
  assert.deepEqual([...mem.subarray(64, 74)], [0x0a, 0, 0x0b, 0, 7, 0, 7, 0, 7, 0]);
});

Deno.test("PackBits in WebAssembly: a frame over 64 MB decodes in memory of its own, not kept for the next", () => {
  // 8,200 x 8,200 bytes: 67 MB, one segment of replicate runs and a literal row.
  const rows = 8200;
  const big = image({ rows, columns: rows });
  const pixels = new Uint8Array(rows * rows);
  for (let r = 0; r < rows; r++) pixels.fill(r & 0xff, r * rows, (r + 1) * rows);
  for (let c = 0; c < rows; c++) pixels[c] = c % 251;
  const encoded = encodeRleFrame(pixels, big);
  assert.deepEqual(decodeRleFrame(encoded, big), pixels);
  assert.ok(packBits(10, 10).input.buffer.byteLength < 64 * 1024 * 1024);
});
