/**
 * Splitting encapsulated Pixel Data into frames (lib/codecs/frames.ts, PS3.5 A.4): Basic
 * Offset Table (offsets from the first fragment's item tag), Extended Offset Table, one frame
 * of many fragments, start markers (FFD8; FF4F FF51), one fragment per frame, and the errors
 * when the fragments and Number of Frames disagree. Also the JPEG frame header reader
 * (lib/codecs/markers.ts).
 */
import assert from "node:assert/strict";
import { FrameSplitter, opensJpeg, opensJpeg2000 } from "../lib/codecs/frames.ts";
import { readJpegHeader } from "../lib/codecs/markers.ts";
import { CodecError } from "../lib/codecs/types.ts";

/** Feeds fragments (each with its item tag's offset) and collects the frames. */
function split(splitter: FrameSplitter, fragments: number[][]): number[][] {
  const frames: number[][] = [];
  let offset = 0;
  for (const f of fragments) {
    const done = splitter.push(offset, new Uint8Array(f));
    if (done) frames.push([...done]);
    offset += 8 + f.length;
  }
  const last = splitter.finish();
  if (last) frames.push([...last]);
  return frames;
}

const SOI = [0xff, 0xd8];
const SOC = [0xff, 0x4f, 0xff, 0x51];

Deno.test("frames: the Basic Offset Table says where each frame starts (from the first item tag)", () => {
  // Frame 1 = fragments of 4 and 2 bytes (items at 0 and 12), frame 2 at 22.
  const s = new FrameSplitter({ frames: 2, offsets: [0, 22] });
  assert.deepEqual(split(s, [[1, 2, 3, 4], [5, 6], [7, 8]]), [[1, 2, 3, 4, 5, 6], [7, 8]]);
  // An offset that falls inside a fragment: refused.
  const bad = new FrameSplitter({ frames: 2, offsets: [0, 10] });
  assert.throws(
    () => split(bad, [[1, 2, 3, 4], [5, 6]]),
    (e: unknown) => e instanceof CodecError && /frame 2 starts at 10/.test(e.message),
  );
  // Tables that can't be right.
  assert.throws(() => new FrameSplitter({ frames: 2, offsets: [4, 22] }), /doesn't ascend from 0/);
  assert.throws(() => new FrameSplitter({ frames: 2, offsets: [0, 22, 30] }), /lists 3 frames/);
});

Deno.test("frames: without a table, one frame takes every fragment", () => {
  const s = new FrameSplitter({ frames: 1, offsets: [], opensFrame: opensJpeg });
  assert.deepEqual(split(s, [[...SOI, 1], [...SOI, 2], [3]]), [[...SOI, 1, ...SOI, 2, 3]]);
});

Deno.test("frames: without a table, a fragment opening with the start marker opens a frame", () => {
  const jpeg = new FrameSplitter({ frames: 2, offsets: [], opensFrame: opensJpeg });
  assert.deepEqual(split(jpeg, [[...SOI, 1], [2], [...SOI, 3]]), [[...SOI, 1, 2], [...SOI, 3]]);
  const j2k = new FrameSplitter({ frames: 3, offsets: [], opensFrame: opensJpeg2000 });
  assert.deepEqual(split(j2k, [[...SOC, 1], [...SOC, 2], [9], [...SOC, 3]]), [
    [...SOC, 1],
    [...SOC, 2, 9],
    [...SOC, 3],
  ]);
  // A JP2 signature box opens a frame too.
  assert.equal(opensJpeg2000(new Uint8Array([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20])), true);
  assert.equal(opensJpeg2000(new Uint8Array([0xff, 0x4f, 0xff, 0x52])), false);
  assert.equal(opensJpeg(new Uint8Array([0xff])), false);
});

Deno.test("frames: RLE (no marker test): one fragment per frame (G.2)", () => {
  const s = new FrameSplitter({ frames: 3, offsets: [] });
  assert.deepEqual(split(s, [[1], [2], [3]]), [[1], [2], [3]]);
  // Empty fragments are skipped.
  const e = new FrameSplitter({ frames: 2, offsets: [] });
  assert.deepEqual(split(e, [[1], [], [2]]), [[1], [2]]);
});

Deno.test("frames: more or fewer frames than Number of Frames is an error", () => {
  assert.throws(
    () => split(new FrameSplitter({ frames: 2, offsets: [] }), [[1], [2], [3]]),
    /more than the 2 frame\(s\)/,
  );
  assert.throws(
    () => split(new FrameSplitter({ frames: 3, offsets: [], opensFrame: opensJpeg }), [[...SOI]]),
    /holds 1 frame\(s\), Number of Frames says 3/,
  );
  assert.throws(
    () => split(new FrameSplitter({ frames: 1, offsets: [] }), []),
    /holds 0 frame\(s\)/,
  );
});

Deno.test("frames: frames are copies, not views of the fragments fed in", () => {
  const s = new FrameSplitter({ frames: 2, offsets: [] });
  const buf = new Uint8Array([1, 2]);
  s.push(0, buf);
  buf[0] = 9;
  assert.deepEqual([...s.push(10, buf)!], [1, 2]);
  assert.equal(s.completed, 1);
});

Deno.test("readJpegHeader: SOF precision, size, components and the JPEG-LS interleave mode", () => {
  // SOF3 (lossless), P 16, 512x256, 1 component; SOS with Ns 1.
  // deno-fmt-ignore
  const lossless = new Uint8Array([
    ...SOI,
    0xff, 0xc4, 0, 2, // an empty DHT before the SOF
    0xff, 0xc3, 0, 11, 16, 1, 0, 2, 0, 1, 1, 0x11, 0,
    0xff, 0xda, 0, 8, 1, 1, 0, 1, 0, 0,
  ]);
  assert.deepEqual(readJpegHeader(lossless), {
    sof: 0xffc3,
    precision: 16,
    rows: 256,
    columns: 512,
    components: 1,
    scanComponents: 1,
    interleave: 0,
  });
  // JPEG-LS (SOF55), 3 components, sample-interleaved (ILV 2).
  // deno-fmt-ignore
  const jls = new Uint8Array([
    ...SOI,
    0xff, 0xf7, 0, 17, 8, 0, 2, 0, 2, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0,
    0xff, 0xda, 0, 12, 3, 1, 0, 2, 0, 3, 0, 0, 2, 0,
  ]);
  const h = readJpegHeader(jls);
  assert.equal(h.sof, 0xfff7);
  assert.equal(h.components, 3);
  assert.equal(h.interleave, 2);
  assert.throws(() => readJpegHeader(new Uint8Array([0, 1, 2, 3])), /SOI/);
  assert.throws(
    () => readJpegHeader(new Uint8Array([...SOI, 0xff, 0xc0, 0, 11, 8])),
    /no complete/,
  );
  assert.throws(() => readJpegHeader(new Uint8Array([...SOI, 0x12, 0x34, 0, 0])), /no JPEG marker/);
});

Deno.test("readJpegHeader: TEM and RSTn stand alone; bytes after them that aren't a marker are refused before any decoder sees them", () => {
  // deno-fmt-ignore
  const sof = [0xff, 0xc0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0];
  const sos = [0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0];
  // A TEM (FF01) between segments, as T.81 allows: read past.
  assert.equal(readJpegHeader(new Uint8Array([...SOI, 0xff, 0x01, ...sof, ...sos])).columns, 3);
  // A DHT whose marker byte was damaged into TEM (FF C4 -> FF 01), its 31 bytes left behind:
  // IJG libjpeg 6b, and DCMTK's dcmdjpeg with it, never return from such a stream.
  const dht = [0xff, 0xc4, 0, 31, 0, ...new Array(28).fill(1)];
  const damaged = [...dht];
  damaged[1] = 0x01;
  assert.equal(readJpegHeader(new Uint8Array([...SOI, ...dht, ...sof, ...sos])).rows, 2);
  assert.throws(
    () => readJpegHeader(new Uint8Array([...SOI, ...damaged, ...sof, ...sos])),
    (e) =>
      e instanceof CodecError && e.code === "corrupt" && /no JPEG marker at byte 4/.test(e.message),
  );
  // RSTn and a second SOI or an EOI before the frame header.
  assert.throws(
    () => readJpegHeader(new Uint8Array([...SOI, 0xff, 0xd3, 0x12, ...sof, ...sos])),
    /no JPEG marker/,
  );
  assert.throws(
    () => readJpegHeader(new Uint8Array([...SOI, 0xff, 0xd9, ...sof, ...sos])),
    /EOI marker at byte 2/,
  );
  assert.throws(
    () => readJpegHeader(new Uint8Array([...SOI, ...SOI, ...sof, ...sos])),
    /SOI marker at byte 2/,
  );
});
