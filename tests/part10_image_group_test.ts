/**
 * Group 0028 around a transcode (lib/part10/image_group.ts): elements held as read and
 * written back in tag order with the colour attributes the codec reports, Lossy Image
 * Compression after a lossy decode, the group length recomputed (PS3.5 7.2), and the image
 * read for the codec, with a clear CodecError for what is missing.
 */
import assert from "node:assert/strict";
import { concatBytes } from "../lib/bytes.ts";
import { CodecError, type Colour, type FrameCodec } from "../lib/codecs/types.ts";
import { ImageGroup, nativeLength } from "../lib/part10/image_group.ts";

/** An Explicit VR Little Endian element with a 2-byte length (PS3.5 7.1.2), header and value. */
function el(tag: number, vr: string, value: number[]): Uint8Array {
  return new Uint8Array([
    (tag >>> 16) & 0xff,
    tag >>> 24,
    tag & 0xff,
    (tag >>> 8) & 0xff,
    vr.charCodeAt(0),
    vr.charCodeAt(1),
    value.length & 0xff,
    value.length >> 8,
    ...value,
  ]);
}
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const usv = (v: number) => [v & 0xff, v >> 8];

/** A codec that only reports colour: YBR_FULL_422 comes out RGB, interleaved. */
const toRgb: FrameCodec = {
  name: "test",
  decodedColour: (c: Colour) => ({
    ...c,
    photometricInterpretation: "RGB",
    planarConfiguration: 0,
  }),
  decode: () => new Uint8Array(),
};

function holdAll(group: ImageGroup, elements: Uint8Array[]): void {
  for (const e of elements) {
    const tag = ((e[0] | (e[1] << 8)) << 16 | (e[2] | (e[3] << 8))) >>> 0;
    group.hold(tag, e, 8);
  }
}

Deno.test("image group: colour attributes rewritten, Lossy Image Compression added after a lossy decode, group length recomputed, tag order", () => {
  const group = new ImageGroup({ direction: "decode", codec: toRgb, lossy: true });
  const stored = [
    el(0x00280000, "UL", [0, 0, 0, 0]), // wrong on purpose: recomputed
    el(0x00280002, "US", usv(3)),
    el(0x00280004, "CS", ascii("YBR_FULL_422")),
    el(0x00280006, "US", usv(0)),
    el(0x00280010, "US", usv(2)),
    el(0x00280011, "US", usv(2)),
    el(0x00280100, "US", usv(8)),
  ];
  holdAll(group, stored);
  assert.equal(group.holding, true);
  const out = group.end();
  assert.equal(group.holding, false);
  const lossy = el(0x00282110, "CS", ascii("01"));
  const rest = [
    stored[1],
    el(0x00280004, "CS", ascii("RGB ")), // padded to even length
    stored[3],
    stored[4],
    stored[5],
    stored[6],
    lossy,
  ];
  const size = rest.reduce((n, e) => n + e.length, 0);
  assert.deepEqual(out, [el(0x00280000, "UL", [size & 0xff, size >> 8, 0, 0]), ...rest]);
  const image = group.image();
  assert.deepEqual(
    { rows: image.rows, spp: image.samplesPerPixel, pi: image.photometricInterpretation },
    { rows: 2, spp: 3, pi: "YBR_FULL_422" }, // the image as stored, for the codec
  );
  assert.equal(group.colour.photometricInterpretation, "RGB");
});

Deno.test("image group: a Lossy Image Compression already 01 is kept as it is; none is added after a lossless decode", () => {
  const was = el(0x00282110, "CS", ascii("01"));
  const lossy = new ImageGroup({ direction: "decode", codec: toRgb, lossy: true });
  holdAll(lossy, [el(0x00280010, "US", usv(2)), was]);
  assert.deepEqual(lossy.end(), [el(0x00280010, "US", usv(2)), was]);
  const lossless = new ImageGroup({ direction: "decode", codec: toRgb });
  holdAll(lossless, [el(0x00280010, "US", usv(2))]);
  assert.deepEqual(lossless.end(), [el(0x00280010, "US", usv(2))]);
});

Deno.test("image group: what the codec needs, missing or invalid, is a CodecError naming it; so is a colour model the codec refuses", () => {
  const missing = new ImageGroup({ direction: "decode", codec: toRgb });
  holdAll(missing, [el(0x00280011, "US", usv(2)), el(0x00280100, "US", usv(8))]);
  missing.end();
  assert.throws(() => missing.image(), (e) => {
    assert.ok(e instanceof CodecError);
    assert.equal(e.code, "corrupt");
    assert.match(e.message, /Rows \(0028,0010\) is missing/);
    return true;
  });
  const frames = new ImageGroup({ direction: "decode", codec: toRgb });
  holdAll(frames, [
    el(0x00280008, "IS", ascii("x ")),
    el(0x00280010, "US", usv(2)),
    el(0x00280011, "US", usv(2)),
    el(0x00280100, "US", usv(8)),
  ]);
  frames.end();
  assert.throws(() => frames.image(), /Number of Frames "x" is not a count/);
  const refuses: FrameCodec = {
    ...toRgb,
    decodedColour: () => {
      throw new CodecError("unsupported", "no such colour");
    },
  };
  const colour = new ImageGroup({ direction: "decode", codec: refuses });
  holdAll(colour, [
    el(0x00280010, "US", usv(2)),
    el(0x00280011, "US", usv(2)),
    el(0x00280100, "US", usv(8)),
  ]);
  // The group is written all the same (a data set without Pixel Data is sent unchanged)...
  assert.deepEqual(concatBytes(colour.end()).length, 30);
  // ...and the refusal comes when the Pixel Data does.
  assert.throws(() => colour.image(), /no such colour/);
});

Deno.test("image group: native length of 1-bit frames packs them together; others are frames x rows x columns x samples x bytes", () => {
  const image = {
    rows: 3,
    columns: 3,
    samplesPerPixel: 1,
    bitsAllocated: 1,
    bitsStored: 1,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: "MONOCHROME2",
    frames: 3,
  };
  assert.equal(nativeLength(image), 4); // 27 bits
  assert.equal(nativeLength({ ...image, bitsAllocated: 16, bitsStored: 12 }), 54);
});
